"""Hooks other apps listen to. transfers never imports them; they connect here.

`manifest_changed` is sent after the transaction that changed a manifest has committed (never for a
rolled-back change), with `manifest_id` and `action`. The warnings engine re-evaluates the rules of a
touched manifest from it.
"""

from django.db import transaction
from django.dispatch import Signal

manifest_changed = Signal()
stock_changed = Signal()


def send_manifest_changed_on_commit(*, manifest_id: int, action: str) -> None:
    transaction.on_commit(lambda: manifest_changed.send(sender="transfers", manifest_id=manifest_id, action=action))


def send_stock_changed_on_commit(*, enterprise_id: int, facility_id: int, waste_code_id: int) -> None:
    transaction.on_commit(
        lambda: stock_changed.send(
            sender="transfers", enterprise_id=enterprise_id, facility_id=facility_id, waste_code_id=waste_code_id
        )
    )
