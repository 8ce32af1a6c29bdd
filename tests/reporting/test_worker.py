"""End to end through the broker: a real Celery worker runs the nightly recompute against Redis and
the test database, and the snapshot rows appear."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reporting.models import UtilizationSnapshot
from tests.transfers.factories import generate
from wasteparks.celery import app
from wasteparks.periods import Period

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_nightly_recompute_runs_on_a_real_worker_and_writes_the_snapshots(
    celery_worker_process, preparer_x, x_store, enterprise_x, park_a
):
    current = Period.containing()
    year, month = current.year, current.month
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="12.5")
    start_of_month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    hours_back = (timezone.now() - (start_of_month - timedelta(days=2))).total_seconds() / 3600
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="7", hours_ago=hours_back)

    result = app.send_task("reporting.tasks.utilization.recompute_recent_months")
    summary = result.get(timeout=90)

    previous = (current.previous().year, current.previous().month)
    assert [(item["year"], item["month"]) for item in summary] == [previous, (year, month)]
    this_month = UtilizationSnapshot.objects.get(
        subject_key=f"park:{park_a.pk}", year=year, month=month, waste_class="hazardous", category_code=""
    )
    assert this_month.generated_t == Decimal("12.5")
    assert this_month.stored_end_t == Decimal("19.5")
    last_month = UtilizationSnapshot.objects.get(
        subject_key=f"enterprise:{enterprise_x.pk}",
        year=previous[0],
        month=previous[1],
        waste_class="hazardous",
        category_code="HW08",
    )
    assert last_month.generated_t == Decimal("7")
    assert UtilizationSnapshot.objects.filter(subject_key="province:52", year=year, month=month).exists()
