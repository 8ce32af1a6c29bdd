"""The hazardous waste catalogue: well-formed codes, editions with validity dates, the ministry's table."""

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from registry.catalogue import CatalogueError, MinistryTable, load_catalogue
from registry.models import WasteCategory, WasteClass, WasteCode
from tests import factories as f

MINISTRY_SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "ministry_table_sample.csv"
EDITION_2025 = {"edition": "2025", "valid_from": date(2025, 1, 1), "source": "国家危险废物名录（2025年版）"}


@pytest.fixture
def reference_copy(tmp_path):
    target = tmp_path / "reference"
    shutil.copytree(settings.REFERENCE_DIR, target)
    return target


def edit_row(directory: Path, which: str, **changes: str) -> None:
    """Rewrite one row of the copied waste_codes.csv, as a maintainer correcting the file would."""
    path = directory / "waste_codes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fieldnames, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["code"] == which:
            row.update(changes)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def drop_row(directory: Path, code: str) -> None:
    path = directory / "waste_codes.csv"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(f"{code},")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_every_hazardous_code_is_eight_digits_ending_in_its_category(catalogue):
    listed = WasteCode.objects.exclude(waste_class=WasteClass.GENERAL).select_related("category")
    assert listed.count() >= 26 + 46
    for code in listed:
        assert len(code.code.replace("-", "")) == 8 and code.code.replace("-", "").isdigit(), code.code
        assert code.category.code == f"HW{code.code[-2:]}", code.code
        industry = code.code[:3]
        assert industry == "900" or 1 <= int(industry[:2]) <= 97, code.code


def test_every_category_has_a_code_for_waste_found_hazardous_by_identification(catalogue):
    for category in WasteCategory.objects.filter(code__startswith="HW"):
        code = WasteCode.objects.get(code=f"900-000-{category.code[2:]}")
        assert code.category == category
        assert code.editions == "2021" and code.valid_from == date(2021, 1, 1)
        assert "900-000" in code.source or "sndaepi" in code.source


def test_the_editions_of_every_code_are_consistent(catalogue):
    for code in WasteCode.objects.exclude(waste_class=WasteClass.GENERAL):
        if code.editions:
            assert code.valid_from is not None, code.code
            assert code.source, code.code
        if code.valid_from and code.valid_to:
            assert code.valid_from < code.valid_to, code.code


def test_the_database_refuses_a_code_valid_to_before_it_is_valid_from(catalogue):
    code = WasteCode.objects.get(code="900-000-08")
    code.valid_to = date(2020, 12, 31)
    with pytest.raises(IntegrityError), transaction.atomic():
        code.save(update_fields=["valid_to"])


def test_a_maintainer_filing_a_code_under_the_wrong_category_is_refused_and_nothing_is_written(db, reference_copy):
    edit_row(reference_copy, "900-218-08", category="HW09")
    with pytest.raises(CatalogueError, match="900-218-08 ends in 08 but is filed under HW09"):
        load_catalogue(reference_copy)
    assert not WasteCode.objects.exists()


def test_a_code_that_is_not_eight_digits_is_refused(db, reference_copy):
    edit_row(reference_copy, "900-218-08", code="900-2180-08")
    with pytest.raises(CatalogueError, match="not an 8-digit"):
        load_catalogue(reference_copy)
    assert not WasteCode.objects.exists()


def test_a_code_whose_industry_prefix_is_no_gbt_4754_group_is_refused(db, reference_copy):
    edit_row(reference_copy, "900-218-08", code="985-218-08")
    with pytest.raises(CatalogueError, match="985-218-08 starts with 985"):
        load_catalogue(reference_copy)
    assert not WasteCode.objects.exists()


def test_inverted_validity_dates_are_refused(db, reference_copy):
    edit_row(reference_copy, "900-000-08", valid_to="2020-12-31")
    with pytest.raises(CatalogueError, match="is not before valid_to"):
        load_catalogue(reference_copy)
    assert not WasteCode.objects.exists()


def test_a_code_withdrawn_by_a_later_edition_stays_on_the_permit_that_names_it(catalogue, reference_copy):
    line = f.PermitLineFactory(waste_code=f.waste_code("900-218-08"))
    edit_row(reference_copy, "900-218-08", editions="2021", valid_from="2021-01-01", valid_to="2024-12-31")
    load_catalogue(reference_copy)
    withdrawn = WasteCode.objects.get(code="900-218-08")
    assert withdrawn.active is False and withdrawn.valid_to == date(2024, 12, 31)
    line.refresh_from_db()
    assert line.waste_code_id == withdrawn.pk
    assert load_catalogue(reference_copy).changed == 0


def test_a_provincial_officer_loads_the_ministrys_table_and_a_second_load_changes_nothing(catalogue):
    table = MinistryTable(path=MINISTRY_SAMPLE, **EDITION_2025)
    first = load_catalogue(settings.REFERENCE_DIR, ministry_table=table)
    assert first.counts["codes"]["updated"] == 5
    oil = WasteCode.objects.get(code="900-218-08")
    assert (oil.industry_source, oil.hazard, oil.name_zh) == ("非特定行业", "T/I", "废液压油")
    assert (
        oil.editions == "2025" and oil.valid_from == date(2025, 1, 1) and oil.source == "国家危险废物名录（2025年版）"
    )
    assert oil.name_en == "Waste hydraulic oil", "the table has no English: the CSV's name stays"
    catalyst = WasteCode.objects.get(code="900-049-50")
    assert catalyst.industry_source == "非特定行业" and catalyst.category.code == "HW50"
    assert WasteCode.objects.get(code="772-007-50").industry_source == "环境治理业"
    assert load_catalogue(settings.REFERENCE_DIR, ministry_table=table).changed == 0


def test_a_code_only_the_ministrys_table_lists_is_created_with_the_tables_fields(db, reference_copy):
    drop_row(reference_copy, "900-249-08")
    load_catalogue(reference_copy, ministry_table=MinistryTable(path=MINISTRY_SAMPLE, **EDITION_2025))
    code = WasteCode.objects.get(code="900-249-08")
    assert code.waste_class == WasteClass.HAZARDOUS and code.category.code == "HW08" and code.name_en == ""
    assert code.industry_source == "非特定行业" and code.active is True


def test_the_ministrys_spreadsheet_loads_like_its_csv(db, tmp_path):
    book = Workbook()
    with MINISTRY_SAMPLE.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            book.active.append([cell or None for cell in row])
    path = tmp_path / "名录.xlsx"
    book.save(path)
    load_catalogue(settings.REFERENCE_DIR, ministry_table=MinistryTable(path=path, **EDITION_2025))
    assert WasteCode.objects.get(code="900-210-08").editions == "2025"


def test_a_table_without_the_ministrys_columns_is_refused_and_nothing_is_written(db, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("类别,代码,名称\nHW08,900-218-08,废液压油\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="lacks the columns"):
        load_catalogue(settings.REFERENCE_DIR, ministry_table=MinistryTable(path=path, **EDITION_2025))
    assert not WasteCode.objects.exists()


def test_a_table_with_an_unknown_hazard_characteristic_is_refused(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "废物类别,行业来源,废物代码,危险废物,危险特性\nHW08,非特定行业,900-218-08,废液压油,X\n", encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match="unknown hazard characteristic X"):
        load_catalogue(settings.REFERENCE_DIR, ministry_table=MinistryTable(path=path, **EDITION_2025))
    assert not WasteCode.objects.exists()


def test_the_command_needs_the_edition_of_the_table(db):
    with pytest.raises(CommandError, match="--edition"):
        call_command("load_catalogue", "--ministry-table", str(MINISTRY_SAMPLE))
    assert not WasteCode.objects.exists()


def test_the_command_loads_the_table_with_its_edition(db, capsys):
    call_command(
        "load_catalogue", "--ministry-table", str(MINISTRY_SAMPLE), "--edition", "2025", "--valid-from", "2025-01-01"
    )
    assert WasteCode.objects.get(code="900-218-08").source == "ministry_table_sample.csv"
    assert "rows changed" in capsys.readouterr().out
