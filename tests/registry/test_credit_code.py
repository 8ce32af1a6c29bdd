"""GB 32100-2015 unified social credit codes: the check character decides."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry.models import Enterprise
from registry.rules import CREDIT_CODE_ALPHABET, credit_code_problem, validate_credit_code
from tests import factories as f

REAL_CODE = "914403001922038216"  # a published, valid code


def test_a_real_code_is_valid():
    assert credit_code_problem(REAL_CODE) is None
    validate_credit_code(REAL_CODE)


@pytest.mark.parametrize("position", range(18))
def test_changing_any_single_character_breaks_the_check(position):
    original = REAL_CODE[position]
    for replacement in CREDIT_CODE_ALPHABET:
        if replacement == original:
            continue
        altered = REAL_CODE[:position] + replacement + REAL_CODE[position + 1 :]
        with pytest.raises(ValidationError):
            validate_credit_code(altered)


@pytest.mark.parametrize("code", [REAL_CODE[:17], REAL_CODE + "0", "", " " + REAL_CODE[1:]])
def test_wrong_length_is_refused_and_says_so(code):
    problem = str(credit_code_problem(code))
    assert ("18" in problem) or ("not allowed" in problem)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z", "a"])
def test_forbidden_letters_are_named(letter):
    code = REAL_CODE[:10] + letter + REAL_CODE[11:]
    assert letter in str(credit_code_problem(code))


def test_wrong_check_character_names_the_expected_one():
    assert "6" in str(credit_code_problem(REAL_CODE[:17] + "7"))


def test_factory_codes_are_valid_and_distinct():
    codes = {f.credit_code(n) for n in range(1, 500)}
    assert len(codes) == 499
    assert all(credit_code_problem(code) is None for code in codes)


def test_model_validation_refuses_an_altered_code(park_a):
    enterprise = f.EnterpriseFactory.build(park=park_a, credit_code=REAL_CODE[:17] + "7")
    with pytest.raises(ValidationError) as error:
        enterprise.full_clean()
    assert "credit_code" in error.value.message_dict


def test_database_refuses_a_duplicate_code(park_a):
    f.EnterpriseFactory(park=park_a, credit_code=REAL_CODE)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.EnterpriseFactory(park=park_a, credit_code=REAL_CODE)
    assert Enterprise.objects.filter(credit_code=REAL_CODE).count() == 1


def test_model_validation_reports_a_duplicate_code_as_a_field_message(park_a):
    f.EnterpriseFactory(park=park_a, credit_code=REAL_CODE)
    duplicate = f.EnterpriseFactory.build(park=park_a, credit_code=REAL_CODE)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already registered" in str(error.value.message_dict["credit_code"])
