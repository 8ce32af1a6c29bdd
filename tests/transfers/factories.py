"""Helpers that build transfer records through the services, so tests start from states the
application itself can reach."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from registry.models import Enterprise, Facility, User
from tests import factories as f
from transfers import services
from transfers.models import LedgerStage, Manifest, Purpose, StockBalance
from transfers.services import LineInput, ReceiptInput, TreatmentInput


def t(value: str) -> Decimal:
    return Decimal(value)


def generate(
    *,
    actor: User,
    facility: Facility,
    code: str,
    quantity: str,
    hours_ago: float = 0,
    stage: str = LedgerStage.GENERATED,
    method: str | None = None,
):
    return services.record_ledger_entry(
        actor=actor,
        enterprise=facility.enterprise,
        facility=facility,
        waste_code=f.waste_code(code),
        stage=stage,
        quantity_t=Decimal(quantity),
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        method=f.method(method) if method else None,
    )


def stock(enterprise: Enterprise, facility: Facility, code: str) -> Decimal:
    balance = StockBalance.objects.filter(
        enterprise=enterprise, facility=facility, waste_code=f.waste_code(code)
    ).first()
    return balance.quantity_t if balance else Decimal("0")


def draft(
    *,
    actor: User,
    consignor: Enterprise,
    carrier: Enterprise,
    receiver: Enterprise,
    facility: Facility,
    code: str = "900-249-08",
    quantity: str = "10",
    waste_class: str = "hazardous",
    purpose: str = Purpose.UTILIZATION,
    lines: list[tuple[str, str]] | None = None,
) -> Manifest:
    items = lines or [(code, quantity)]
    return services.create_manifest(
        actor=actor,
        consignor=consignor,
        carrier=carrier,
        receiver=receiver,
        waste_class=waste_class,
        purpose=purpose,
        planned_date=timezone.localdate(),
        lines=[
            LineInput(
                waste_code=f.waste_code(item_code),
                source_facility=facility,
                declared_quantity_t=Decimal(item_quantity),
                packaging_type="drum",
                packaging_count=5,
                physical_form="liquid",
                batch_code="B-001",
            )
            for item_code, item_quantity in items
        ],
    )


def receipt(manifest: Manifest, facility: Facility, **by_line) -> list[ReceiptInput]:
    """Receipt inputs: every line accepted as declared unless by_line[line_no] overrides."""
    result = []
    for line in manifest.lines.order_by("line_no"):
        override = by_line.get(f"line{line.line_no}", {})
        result.append(
            ReceiptInput(
                line_no=line.line_no,
                received_quantity_t=override.get("received", line.declared_quantity_t),
                facility=facility,
                acceptance=override.get("acceptance", "accepted"),
                accepted_quantity_t=override.get("accepted"),
                rejection_reason=override.get("reason", ""),
            )
        )
    return result


def treatment(manifest: Manifest, method_code: str) -> list[TreatmentInput]:
    return [
        TreatmentInput(line_no=line.line_no, method=f.method(method_code), quantity_t=line.accepted_quantity_t)
        for line in manifest.lines.order_by("line_no")
        if line.accepted_quantity_t
    ]


@contextmanager
def rewriting_the_ledger():
    """Test set-up only: move entries that signatures posted "now" to scripted dates.

    The ledger is append-only at the database (a trigger refuses UPDATE); the test role is a superuser,
    which may switch user triggers off for its own session while it rewrites. The audit chain then no
    longer matches those rows, which is what it is for: no test here verifies it."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
