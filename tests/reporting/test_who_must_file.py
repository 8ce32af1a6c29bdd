"""Who must file a monthly report: one rule (`Enterprise.objects.must_file`) behind the reminders and the
dashboard's compliance card, so the two name the same enterprises.

Active generators and receivers owe the reports of the months that end after they registered; a carrier
only moves others' waste, a pending enterprise is not on the platform yet, and a month before an
enterprise registered is owed by nobody.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from registry.models import Enterprise, EnterpriseStatus
from reporting.models import ReportReminder
from reporting.services import dashboard
from reporting.services import reports as services
from tests import factories as f
from tests.fixtures.reports import at, make_report, registered_on
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def park(park_a, enterprise_x, receiver_r, carrier_c, enterprise_y):
    """Park A in the month being filed: generator X (registered during that month), receiver R, carrier
    C, a pending enterprise and one that registered once the month was over; Y is in park B."""
    period = Period.containing().previous()
    pending = f.EnterpriseFactory(name="Pending P", park=park_a, status=EnterpriseStatus.PENDING)
    newcomer = f.EnterpriseFactory(name="Newcomer N", park=park_a)
    registered_on(period.previous().start, receiver_r, carrier_c, pending, enterprise_y)
    registered_on(at(period, 15), enterprise_x)
    registered_on(period.end, newcomer)
    return park_a


def _names(enterprises) -> set[str]:
    return {enterprise.name for enterprise in enterprises}


def test_the_reminders_and_the_compliance_card_agree_on_who_must_file(park):
    period = Period.containing().previous()
    owing = Enterprise.objects.must_file(period).filter(park=park)
    assert _names(owing) == {"Enterprise X (generator)", "Receiver R"}

    due = services.enterprises_due(period=period).filter(park=park)
    card = dashboard.compliance(dashboard.Subject.of_park(park))
    # The card's monthly duty (its other kinds are in tests/reporting/test_duties_by_class.py).
    missing = {row["name"] for row in card["missing"] if row["period"] == str(period)}
    assert card["duties"][0]["due"] == owing.count() == 2
    assert _names(due) == missing == {"Enterprise X (generator)", "Receiver R"}

    # Three days before the deadline, the reminders go to exactly those the card lists as missing.
    today = period.deadline(settings.REPORT_DEADLINE_DAY) - timedelta(days=3)
    services.send_due_reminders(today=today)
    reminded = ReportReminder.objects.for_period(period).filter(enterprise__park=park)
    assert {reminder.enterprise.name for reminder in reminded} == missing
    assert len(mail.outbox) == 3  # X, R and Y (park B)


def test_a_filed_report_takes_the_enterprise_off_both(park, receiver_r):
    period = Period.containing().previous()
    make_report(enterprise=receiver_r, period=period, status="submitted")

    due = services.enterprises_due(period=period).filter(park=park)
    card = dashboard.compliance(dashboard.Subject.of_park(park))
    missing = {row["name"] for row in card["missing"] if row["period"] == str(period)}
    assert _names(due) == missing == {"Enterprise X (generator)"}
    assert (card["duties"][0]["due"], card["on_time"]) == (2, 1)
