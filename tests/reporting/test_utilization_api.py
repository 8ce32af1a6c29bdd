"""The utilization and warnings collections: filters, tenancy, constant queries, read-only client."""

import pytest
from django.urls import reverse

from reporting import warnings as warning_services
from reporting.models import Warning
from reporting.services.utilization import recompute_period
from reporting.warnings import RULES_BY_CODE
from tests.api import conftest as api_fixtures
from tests.api.conftest import error_of, session_of
from tests.reporting import test_utilization_rates as scripted
from tests.transfers.factories import generate

# Fixtures shared with the API suite and the scripted utilization dataset.
provincial_platform = api_fixtures.provincial_platform
dataset = scripted.dataset
receiver_q = scripted.receiver_q
ROLLING = scripted.ROLLING

UTILIZATION = reverse("api:utilization-list")
WARNINGS = reverse("api:warning-list")


def test_provincial_client_reads_snapshots_with_year_to_date_and_rolling_figures(
    dataset, provincial_platform, enterprise_x
):
    for year, month in ROLLING:
        recompute_period(year=year, month=month)
    response = provincial_platform.get(
        UTILIZATION,
        {
            "scope": "enterprise",
            "enterprise": enterprise_x.pk,
            "period_from": "2025-04",
            "period_to": "2025-04",
            "waste_class": "hazardous",
            "category": "HW08",
        },
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["utilized_t"] == "40.0000"
    # By hand in tests/reporting/test_utilization_rates.py: 70 / 100 and 85 / 120.
    assert row["year_to_date"]["utilization_rate_pct"] == "70.0000"
    assert row["rolling_12_months"]["utilization_disposal_rate_pct"] == "70.8333"
    assert (row["rate_note"], row["year_to_date"]["rate_note"], row["rolling_12_months"]["rate_note_text"]) == (
        None,
        None,
        None,
    )


def test_a_bad_period_filter_is_a_400(provincial_platform):
    response = provincial_platform.get(UTILIZATION, {"period_from": "2025-13"})
    assert response.status_code == 400
    assert error_of(response)


def test_officer_of_park_b_sees_no_park_a_rows(dataset, officer_b, park_a):
    recompute_period(year=2025, month=3)
    rows = session_of(officer_b).get(UTILIZATION, {"park": park_a.pk}).json()["results"]
    assert rows == []


@pytest.mark.parametrize("count", [5, 50])
def test_utilization_list_runs_constant_queries(count, provincial_platform, park_a, django_assert_max_num_queries):
    from decimal import Decimal

    from django.utils import timezone

    from reporting.models import SnapshotScope, UtilizationSnapshot

    UtilizationSnapshot.objects.bulk_create(
        UtilizationSnapshot(
            scope=SnapshotScope.PARK,
            park=park_a,
            province_code="52",
            subject_key=f"park:{park_a.pk}",
            year=2000 + i // 12,
            month=i % 12 + 1,
            month_index=(2000 + i // 12) * 12 + i % 12,
            waste_class="general",
            category_code="",
            generated_t=Decimal(1),
            utilized_t=Decimal(1),
            disposed_t=Decimal(0),
            stored_end_t=Decimal(0),
            utilized_from_prior_storage_t=Decimal(0),
            treated_from_prior_storage_t=Decimal(0),
            computed_at=timezone.now(),
        )
        for i in range(count)
    )
    with django_assert_max_num_queries(6):
        response = provincial_platform.get(UTILIZATION, {"page_size": 100})
    assert len(response.json()["results"]) == count


def _raise(preparer_x, x_store, quantity="460"):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity=quantity)
    warning_services.run_rules(rules=(RULES_BY_CODE["STORAGE_OVER_CAPACITY"],))
    return Warning.objects.get()


def test_warnings_filter_by_rule_and_status_for_the_provincial_client(preparer_x, x_store, provincial_platform):
    warning = _raise(preparer_x, x_store)
    response = provincial_platform.get(WARNINGS, {"rule": "STORAGE_OVER_CAPACITY", "status": "open"})
    assert [item["id"] for item in response.json()["results"]] == [warning.pk]
    assert response.json()["results"][0]["message"].startswith("X hazardous waste store")
    assert provincial_platform.get(WARNINGS, {"severity": "critical"}).json()["results"] == []


def test_the_read_only_client_cannot_acknowledge(preparer_x, x_store, provincial_platform):
    warning = _raise(preparer_x, x_store)
    response = provincial_platform.post(reverse("api:warning-acknowledge", args=[warning.pk]), {})
    assert response.status_code == 403


def test_officer_of_the_park_acknowledges_and_resolves_through_the_api(preparer_x, x_store, officer_a, officer_b):
    warning = _raise(preparer_x, x_store)
    assert (
        session_of(officer_b, csrf=False).post(reverse("api:warning-acknowledge", args=[warning.pk]), {}).status_code
        == 404
    )
    officer = session_of(officer_a, csrf=False)
    response = officer.post(reverse("api:warning-acknowledge", args=[warning.pk]), {"note": "Seen"})
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    response = officer.post(reverse("api:warning-resolve", args=[warning.pk]), {"note": ""})
    assert response.status_code == 400
    response = officer.post(reverse("api:warning-resolve", args=[warning.pk]), {"note": "Collected"})
    warning.refresh_from_db()
    assert (response.status_code, warning.status) == (200, "resolved")


@pytest.mark.parametrize("count", [5, 50])
def test_warning_list_runs_constant_queries(count, provincial_platform, park_a, django_assert_max_num_queries):
    from django.utils import timezone

    Warning.objects.bulk_create(
        Warning(
            rule="PERMIT_EXPIRING",
            severity="warning",
            park=park_a,
            message_zh="z",
            message_en="e",
            dedup_key=f"K:{i}",
            raised_at=timezone.now(),
        )
        for i in range(count)
    )
    with django_assert_max_num_queries(8):
        response = provincial_platform.get(WARNINGS, {"page_size": 100})
    assert len(response.json()["results"]) == count
