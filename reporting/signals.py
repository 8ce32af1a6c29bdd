"""Hooks other parts of reporting listen to; the sender never imports its listeners.

`report_accepted` is sent after the transaction that accepted a monthly report has committed (never for
a rolled-back acceptance), with `report_id`, `enterprise_id`, `park_id`, `year` and `month`. It is sent
on every acceptance: the listener that keeps the period's utilization figures knows whether it has
computed that period already and recomputes it if so.
"""

from django.db import transaction
from django.dispatch import Signal

report_accepted = Signal()


def send_report_accepted_on_commit(*, report_id: int, enterprise_id: int, park_id: int, year: int, month: int) -> None:
    transaction.on_commit(
        lambda: report_accepted.send(
            sender="reporting",
            report_id=report_id,
            enterprise_id=enterprise_id,
            park_id=park_id,
            year=year,
            month=month,
        )
    )
