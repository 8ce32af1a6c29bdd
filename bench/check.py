"""Prove that the platform accepts generated data: whole-table SQL checks plus the models' full_clean()
and the services' own permit and capacity checks on a random sample.

    python -m bench.generate --check-only --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from bench import common

SAMPLE = 300

# Each query returns the number of offending rows; all must be 0.
SQL_CHECKS = {
    "stock balances equal the sum of their entries": """
        SELECT count(*) FROM transfers_stockbalance b
        LEFT JOIN (
            SELECT enterprise_id, facility_id, waste_code_id,
                   sum(CASE WHEN stage IN ('generated', 'stored_in', 'received') THEN quantity_t
                            ELSE -quantity_t END) AS total
            FROM transfers_ledgerentry GROUP BY 1, 2, 3
        ) l USING (enterprise_id, facility_id, waste_code_id)
        WHERE b.quantity_t <> coalesce(l.total, 0)""",
    "every ledger key has a balance": """
        SELECT count(*) FROM (SELECT DISTINCT enterprise_id, facility_id, waste_code_id FROM transfers_ledgerentry) k
        LEFT JOIN transfers_stockbalance b USING (enterprise_id, facility_id, waste_code_id) WHERE b.id IS NULL""",
    "stock never negative at any moment": """
        SELECT count(*) FROM (
            SELECT sum(CASE WHEN stage IN ('generated', 'stored_in', 'received') THEN quantity_t ELSE -quantity_t END)
                   OVER (PARTITION BY enterprise_id, facility_id, waste_code_id ORDER BY occurred_at, id) AS running
            FROM transfers_ledgerentry) r WHERE running < 0""",
    "one signature per transition, matching the status": """
        SELECT count(*) FROM transfers_manifest m
        LEFT JOIN (SELECT manifest_id, string_agg(action, ',' ORDER BY at, id) AS trail
                   FROM transfers_manifestevent GROUP BY 1) e ON e.manifest_id = m.id
        WHERE coalesce(e.trail, '') <> CASE m.status
            WHEN 'draft' THEN ''
            WHEN 'submitted' THEN 'submit'
            WHEN 'in_transit' THEN 'submit,pickup'
            WHEN 'received' THEN 'submit,pickup,receive'
            WHEN 'completed' THEN 'submit,pickup,receive,treat'
            WHEN 'rejected' THEN 'submit,pickup,reject'
            WHEN 'cancelled' THEN CASE WHEN m.submitted_at IS NULL THEN 'cancel' ELSE 'submit,cancel' END
        END""",
    "status stamps in order": """
        SELECT count(*) FROM transfers_manifest WHERE NOT (
            coalesce(submitted_at >= created_at, true) AND coalesce(picked_up_at > submitted_at, true)
            AND coalesce(received_at > picked_up_at, true) AND coalesce(completed_at > received_at, true)
            AND coalesce(rejected_at > picked_up_at, true) AND updated_at >= created_at)""",
    "numbers: 14 digits, consignor's city, submission year": """
        SELECT count(*) FROM transfers_manifest m JOIN registry_enterprise e ON e.id = m.consignor_id
        JOIN registry_park p ON p.id = e.park_id JOIN registry_division d ON d.id = p.division_id
        WHERE m.number IS NOT NULL AND (substr(m.number, 5, 4) <> d.code
              OR substr(m.number, 1, 4)::int <> extract(year FROM m.submitted_at AT TIME ZONE 'Asia/Shanghai'))""",
    "sequences at the last serial used": """
        SELECT count(*) FROM (SELECT substr(number, 5, 4) AS city, substr(number, 1, 4)::int AS year,
                                     max(substr(number, 9)::int) AS last, count(*) AS n
                              FROM transfers_manifest WHERE number IS NOT NULL GROUP BY 1, 2) n
        FULL JOIN transfers_manifestsequence s ON s.city_code = n.city AND s.year = n.year
        WHERE s.last_serial IS DISTINCT FROM n.last OR n.last <> n.n""",
    "lines carry codes of their manifest's class": """
        SELECT count(*) FROM transfers_manifestline l JOIN transfers_manifest m ON m.id = l.manifest_id
        JOIN registry_wastecode w ON w.id = l.waste_code_id WHERE w.waste_class <> m.waste_class""",
    "parties active and in their roles": """
        SELECT count(*) FROM transfers_manifest m
        JOIN registry_enterprise c ON c.id = m.consignor_id JOIN registry_enterprise k ON k.id = m.carrier_id
        JOIN registry_enterprise r ON r.id = m.receiver_id
        WHERE c.status <> 'active' OR k.status <> 'active' OR r.status <> 'active'
           OR NOT k.is_carrier OR NOT r.is_receiver OR NOT (c.is_generator OR c.is_receiver)""",
    "discrepancy flags follow the 5 % tolerance": """
        SELECT count(*) FROM transfers_manifestline
        WHERE received_quantity_t IS NOT NULL
          AND is_discrepancy <> (abs(received_quantity_t - declared_quantity_t) > declared_quantity_t * 0.05)""",
}


def run(url: str, *, sample: int = SAMPLE, seed: int = 1) -> bool:
    common.setup_django(url)
    from django.db import connection

    started = time.monotonic()
    ok = True
    with connection.cursor() as cursor:
        for label, query in SQL_CHECKS.items():
            t0 = time.monotonic()
            cursor.execute(query)
            bad = cursor.fetchone()[0]
            ok &= bad == 0
            print(f"  {'ok ' if bad == 0 else 'BAD'} {label}: {bad} offending ({time.monotonic() - t0:.1f} s)")
    ok &= _sample_checks(sample, random.Random(seed))
    print(f"  check {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return ok


def _sample_checks(sample: int, rng: random.Random) -> bool:
    from django.utils import timezone

    from registry.models import Enterprise, Facility, Park, Permit, PermitLine
    from transfers.models import LedgerEntry, Manifest, ManifestLine, StockBalance
    from transfers.services.common import (
        check_receiver_permit,
        check_road_transport_permit,
        check_treatment_capacity,
    )

    ok = True
    problems: list[str] = []

    def sample_of(model, n=sample):
        top = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ids = {rng.randint(1, top) for _ in range(n)} if top else set()
        return list(model.objects.filter(pk__in=ids))

    cleaned = 0
    for model in (Park, Enterprise, Facility, Permit, PermitLine, Manifest, ManifestLine, LedgerEntry, StockBalance):
        for obj in sample_of(model):
            try:
                # validate_unique stays on: each sampled row must not collide with any other.
                obj.full_clean()
                cleaned += 1
            except Exception as error:  # noqa: BLE001 - report every kind of refusal
                problems.append(f"{model.__name__} {obj.pk}: {error}")
    ok &= not problems
    print(f"  {'ok ' if not problems else 'BAD'} full_clean() on {cleaned} sampled rows of 9 models")

    # The services' permit rules, on the dates the signatures were made.
    checked, refused = 0, []
    manifests = (
        Manifest.objects.filter(pk__in=[m.pk for m in sample_of(Manifest, sample * 3)], picked_up_at__isnull=False)
        .select_related("carrier", "receiver")
        .prefetch_related("lines__waste_code__category", "lines__treatment_method")
    )
    for manifest in manifests:
        try:
            check_road_transport_permit(carrier=manifest.carrier, on=timezone.localdate(manifest.picked_up_at))
            for line in manifest.lines.all():
                if manifest.received_at and (line.accepted_quantity_t or 0) > 0:
                    check_receiver_permit(
                        receiver=manifest.receiver,
                        waste_code=line.waste_code,
                        waste_class=manifest.waste_class,
                        on=timezone.localdate(manifest.received_at),
                        method_kinds=frozenset({_kind(manifest.purpose)}),
                    )
                if line.treatment_method_id:
                    # Capacity: the whole year's treatment must fit (quantity 0 asks "is anything left?").
                    check_treatment_capacity(
                        receiver=manifest.receiver,
                        waste_code=line.waste_code,
                        waste_class=manifest.waste_class,
                        method=line.treatment_method,
                        quantity_t=0,
                        on=timezone.localdate(line.treated_at),
                    )
            checked += 1
        except Exception as error:  # noqa: BLE001
            refused.append(f"manifest {manifest.pk}: {error}")
    ok &= not refused
    print(f"  {'ok ' if not refused else 'BAD'} permits and capacity checked by the services on {checked} manifests")
    drifted = StockBalance.objects.drifted().count()
    ok &= drifted == 0
    print(f"  {'ok ' if drifted == 0 else 'BAD'} StockBalance.objects.drifted(): {drifted}")
    for line in (problems + refused)[:10]:
        print(f"    {line}")
    _ = timedelta
    return ok


def _kind(purpose: str) -> str:
    return {"utilization": "utilization", "disposal": "disposal", "storage": "storage"}[purpose]
