"""The waste catalogue is data: loading it twice changes nothing; corrections need no code change."""

import shutil

import pytest
from django.conf import settings
from django.core.management import call_command

from registry.catalogue import CatalogueError, load_catalogue
from registry.models import Division, ManagementMethod, WasteCategory, WasteCode


def snapshot():
    return {
        "codes": list(WasteCode.objects.order_by("code").values()),
        "categories": list(WasteCategory.objects.order_by("code").values()),
        "methods": list(ManagementMethod.objects.order_by("code").values()),
        "divisions": list(Division.objects.order_by("code").values()),
    }


@pytest.fixture
def reference_copy(tmp_path):
    target = tmp_path / "reference"
    shutil.copytree(settings.REFERENCE_DIR, target)
    return target


def test_loading_twice_changes_nothing(db):
    first = load_catalogue(settings.REFERENCE_DIR)
    assert first.changed > 0
    before = snapshot()
    second = load_catalogue(settings.REFERENCE_DIR)
    assert second.changed == 0
    assert snapshot() == before


def test_the_catalogue_holds_the_reference_lists(catalogue):
    assert WasteCode.objects.get(code="900-249-08").category.code == "HW08"
    assert WasteCode.objects.filter(category__code="HW01", waste_class="medical").count() == 6  # 5 + 900-000-01
    assert WasteCategory.objects.filter(code__startswith="HW").count() == 46
    assert WasteCategory.objects.get(code="SW01").name_en == "Smelting slag"
    assert ManagementMethod.objects.get(code="D10").kind == "disposal"
    assert Division.objects.get(code="5206").province_code == "52"


def test_a_correction_in_the_csv_updates_the_row(db, reference_copy):
    load_catalogue(reference_copy)
    path = reference_copy / "waste_codes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Waste hydraulic oil", "Spent hydraulic oil"), "utf-8")
    result = load_catalogue(reference_copy)
    assert result.counts["codes"]["updated"] == 1
    assert WasteCode.objects.get(code="900-218-08").name_en == "Spent hydraulic oil"


def test_a_code_removed_from_the_csv_is_deactivated_not_deleted(db, reference_copy):
    load_catalogue(reference_copy)
    path = reference_copy / "waste_codes.csv"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("900-218-08")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_catalogue(reference_copy)
    assert WasteCode.objects.get(code="900-218-08").active is False
    assert WasteCode.objects.active().filter(code="900-218-08").count() == 0


def test_a_file_with_a_missing_column_is_refused_and_nothing_changes(db, reference_copy):
    path = reference_copy / "management_methods.csv"
    path.write_text("code,name_zh,name_en\nR1,x,y\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="kind"):
        load_catalogue(reference_copy)
    assert not ManagementMethod.objects.exists()


def test_an_unknown_waste_class_is_refused(db, reference_copy):
    path = reference_copy / "waste_codes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",general,SW59,", ",ordinary,SW59,"), "utf-8")
    with pytest.raises(CatalogueError, match="ordinary"):
        load_catalogue(reference_copy)


def test_the_command_reports_what_it_did(db, capsys):
    call_command("load_catalogue")
    call_command("load_catalogue")
    assert "0 rows changed" in capsys.readouterr().out
