"""HJ 1259-2022 management classes at their 10 t and 100 t boundaries."""

from decimal import Decimal

import pytest

from registry.rules import ManagementClass, management_class


@pytest.mark.parametrize(
    "years, expected",
    [
        ([], ManagementClass.REGISTRATION),
        (["0"], ManagementClass.REGISTRATION),
        (["9.9999"], ManagementClass.REGISTRATION),
        (["10"], ManagementClass.SIMPLIFIED),
        (["10.0000", "3", "1"], ManagementClass.SIMPLIFIED),
        (["99.9999"], ManagementClass.SIMPLIFIED),
        (["100"], ManagementClass.KEY),
        (["5", "100.0001", "20"], ManagementClass.KEY),
    ],
)
def test_the_largest_year_of_the_last_three_decides(years, expected):
    quantities = [Decimal(value) for value in years]
    assert (
        management_class(
            annual_hazardous_tonnes=quantities, operates_own_treatment=False, holds_operating_licence=False
        )
        == expected
    )


def test_an_own_treatment_installation_makes_a_small_site_key_supervised():
    assert (
        management_class(
            annual_hazardous_tonnes=[Decimal("1")], operates_own_treatment=True, holds_operating_licence=False
        )
        == ManagementClass.KEY
    )


def test_an_operating_licence_makes_a_site_key_supervised():
    assert (
        management_class(annual_hazardous_tonnes=[], operates_own_treatment=False, holds_operating_licence=True)
        == ManagementClass.KEY
    )
