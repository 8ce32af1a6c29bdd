"""The oldest tonne's age on an enterprise's page is read once per version of its balance
(transfers/stock_ages.py): a second look reads no ledger, and the next entry shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.transfers.factories import generate
from transfers.models import LedgerStage, StockBalance
from transfers.stock_ages import with_oldest_on_hand

pytestmark = pytest.mark.django_db
HW = "900-249-08"


def ages(client, enterprise) -> tuple[list[int | None], list[str]]:
    """The page's stock ages in days, and the statements it ran to read them from the ledger."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:enterprise_detail", args=[enterprise.pk]))
    assert response.status_code == 200
    ledger_reads = [
        query["sql"]
        for query in queries
        if "transfers_ledgerentry" in query["sql"] and "oldest_on_hand_at" in query["sql"]
    ]
    return [balance.age_days for balance in response.context["stock"]], ledger_reads


def test_an_officer_looking_twice_reads_the_ledger_once_and_sees_a_clerks_disposal_at_once(
    client, officer_a, enterprise_x, preparer_x, x_store
):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="100", hours_ago=300 * 24)
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="50", hours_ago=10 * 24)
    client.force_login(officer_a)

    first, reads = ages(client, enterprise_x)
    assert first == [300] and len(reads) == 1
    again, reads = ages(client, enterprise_x)
    assert again == [300] and reads == []

    # The clerk disposes of the oldest batch (FIFO): the next look reads the new version of the balance.
    generate(
        actor=preparer_x, facility=x_store, code=HW, quantity="100", stage=LedgerStage.DISPOSED_IN_HOUSE, method="D10"
    )
    after, reads = ages(client, enterprise_x)
    assert after == [10] and len(reads) == 1


def test_the_remembered_age_is_the_one_the_query_reads_for_every_balance(preparer_x, x_store, enterprise_x):
    """Against `with_oldest_on_hand()` itself, cold and then from the cache, for stock of two codes."""
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="7", hours_ago=40 * 24)
    generate(actor=preparer_x, facility=x_store, code="900-041-49", quantity="3", hours_ago=5 * 24)
    expected = dict(StockBalance.objects.with_oldest_on_hand().values_list("pk", "oldest_on_hand_at"))
    for _ in range(2):
        balances = list(StockBalance.objects.filter(enterprise=enterprise_x))
        with_oldest_on_hand(balances)
        assert {balance.pk: balance.oldest_on_hand_at for balance in balances} == expected
    assert len(expected) == 2 and None not in expected.values()
