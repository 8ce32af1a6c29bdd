"""B6 writes: concurrent enterprise clients moving manifests through their whole lifecycle over HTTP.

    python -m bench.b6_writes --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

Each of --clients threads is one consignor with its own API client token, shipping to a carrier and a
receiver (separate enterprises with their own tokens) taken from the generated data: create -> submit ->
pickup -> receive -> treat, every POST with an Idempotency-Key. Carriers and receivers are shared between
clients, so signatures on one receiver's stock and one city's number sequence really do race.

Prints manifests per second end to end (and requests per second), then verifies in SQL: every manifest
completed, numbers unique and 14 digits, exactly one signature per transition, stock balances equal to
their ledger. Any error answer counts as a failure.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from bench import common


@dataclass
class Party:
    consignor: int
    source_facility: int
    carrier: int
    receiver: int
    receiving_facility: int
    waste_class: str
    code: str
    method: str
    purpose: str
    tokens: dict[str, str]


def prepare(clients: int) -> list[Party]:
    """Pick consignor/carrier/receiver triples that the data shows working, and give each party a token."""
    from django.db import connection

    from registry.clients import create_api_client
    from registry.models import ApiClient, ApiScope, Enterprise

    with connection.cursor() as cur:
        # Recent completed manifests: their parties hold valid permits and (for hazardous waste) the
        # receiver's licence covers the code and method. One per consignor.
        cur.execute(
            """
            SELECT DISTINCT ON (m.consignor_id) m.consignor_id, l.source_facility_id, m.carrier_id, m.receiver_id,
                   l.receiving_facility_id, m.waste_class, w.code, t.code, m.purpose
            FROM transfers_manifest m JOIN transfers_manifestline l ON l.manifest_id = m.id
            JOIN registry_wastecode w ON w.id = l.waste_code_id
            JOIN registry_managementmethod t ON t.id = l.treatment_method_id
            WHERE m.status = 'completed' AND m.waste_class IN ('general', 'hazardous') AND m.purpose <> 'storage'
              AND m.completed_at > now() - interval '120 days'
            ORDER BY m.consignor_id, m.completed_at DESC
            LIMIT %s
            """,
            [clients * 4],
        )
        rows = cur.fetchall()
    if len(rows) < clients:
        raise SystemExit(f"Only {len(rows)} usable consignors in the data; generate a larger scale.")
    rows = rows[:: max(1, len(rows) // clients)][:clients]
    run = uuid.uuid4().hex[:6]
    tokens: dict[int, str] = {}

    def token(enterprise_id: int) -> str:
        if enterprise_id not in tokens:
            enterprise = Enterprise.objects.get(pk=enterprise_id)
            name = f"bench B6 {run} {enterprise_id}"
            ApiClient.objects.filter(name=name).delete()
            _, tokens[enterprise_id] = create_api_client(name=name, scope=ApiScope.ENTERPRISE, enterprise=enterprise)
        return tokens[enterprise_id]

    parties = []
    for consignor, source, carrier, receiver, receiving, klass, code, method, purpose in rows:
        parties.append(
            Party(consignor, source, carrier, receiver, receiving, klass, code, method, purpose,
                  {"consignor": token(consignor), "carrier": token(carrier), "receiver": token(receiver)})
        )  # fmt: skip
    return parties


class Worker(threading.Thread):
    def __init__(self, base: str, party: Party, manifests: int, quantity: Decimal):
        super().__init__(daemon=True)
        self.base, self.party, self.manifests, self.quantity = base, party, manifests, quantity
        self.sessions = {role: common.session(token) for role, token in party.tokens.items()}
        self.done: list[int] = []
        self.requests = 0
        self.errors: list[str] = []

    def post(self, role: str, path: str, body: dict) -> dict:
        response = self.sessions[role].post(
            f"{self.base}/api/v1/{path}", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=120
        )
        self.requests += 1
        if response.status_code >= 300:
            raise RuntimeError(f"{role} POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def stock_up(self) -> None:
        """Generate what this consignor will ship (not timed)."""
        p = self.party
        self.post("consignor", "ledger-entries/", {
            "enterprise": p.consignor, "facility": p.source_facility, "waste_code": p.code, "stage": "generated",
            "quantity_t": str(self.quantity * self.manifests),
        })  # fmt: skip

    def run(self) -> None:
        p, q = self.party, str(self.quantity)
        try:
            for _ in range(self.manifests):
                manifest = self.post("consignor", "manifests/", {
                    "consignor": p.consignor, "carrier": p.carrier, "receiver": p.receiver,
                    "waste_class": p.waste_class, "purpose": p.purpose, "planned_date": time.strftime("%Y-%m-%d"),
                    "lines": [{"waste_code": p.code, "source_facility": p.source_facility, "declared_quantity_t": q,
                               "packaging_type": "drum", "physical_form": "solid"}],
                })  # fmt: skip
                pk = manifest["id"]
                self.post("consignor", f"manifests/{pk}/submit/", {})
                self.post("carrier", f"manifests/{pk}/pickup/", {"vehicle_plate": "贵A12345"})
                self.post("receiver", f"manifests/{pk}/receive/", {
                    "lines": [{"line": 1, "received_quantity_t": q, "acceptance": "accepted",
                               "facility": p.receiving_facility}],
                })  # fmt: skip
                self.post(
                    "receiver", f"manifests/{pk}/treat/", {"lines": [{"line": 1, "method": p.method, "quantity_t": q}]}
                )
                self.done.append(pk)
        except Exception as error:  # noqa: BLE001 - reported as a failure of the benchmark
            self.errors.append(str(error))


VERIFY_SQL = {
    "not completed": "SELECT count(*) FROM transfers_manifest WHERE id = ANY(%(ids)s) AND status <> 'completed'",
    "duplicated numbers": """SELECT count(*) - count(DISTINCT number) FROM transfers_manifest
                             WHERE number IS NOT NULL""",
    "numbers not 14 digits": """SELECT count(*) FROM transfers_manifest
                                WHERE id = ANY(%(ids)s) AND number !~ '^[0-9]{14}$'""",
    "lost or doubled transitions": """
        SELECT count(*) FROM transfers_manifest m WHERE m.id = ANY(%(ids)s) AND
          (SELECT string_agg(action, ',' ORDER BY at, id) FROM transfers_manifestevent e WHERE e.manifest_id = m.id)
          IS DISTINCT FROM 'submit,pickup,receive,treat'""",
    "drifted stock balances": """
        SELECT count(*) FROM transfers_stockbalance b WHERE b.enterprise_id = ANY(%(parties)s) AND b.quantity_t <>
          (SELECT coalesce(sum(CASE WHEN stage IN ('generated', 'stored_in', 'received') THEN quantity_t
                                    ELSE -quantity_t END), 0)
           FROM transfers_ledgerentry l WHERE l.enterprise_id = b.enterprise_id AND l.facility_id = b.facility_id
             AND l.waste_code_id = b.waste_code_id)""",
    "sequences behind the numbers drawn": """
        SELECT count(*) FROM (SELECT substr(number, 5, 4) AS city, substr(number, 1, 4)::int AS year,
                                     max(substr(number, 9)::int) AS last
                              FROM transfers_manifest WHERE number IS NOT NULL GROUP BY 1, 2) n
        JOIN transfers_manifestsequence s ON s.city_code = n.city AND s.year = n.year WHERE s.last_serial < n.last""",
}


def run(url: str, *, clients: int = 16, manifests: int = 20, workers: int = 5) -> common.Result:
    common.setup_django(url)
    from django.db import connection

    parties = prepare(clients)
    quantity = Decimal("1.2500")
    result = common.Result(
        "B6 writes", f"{clients} concurrent clients x {manifests} manifests, {workers} gunicorn workers"
    )
    with common.gunicorn(url, workers=workers) as server:
        threads = [Worker(server.base, party, manifests, quantity) for party in parties]
        for thread in threads:
            thread.stock_up()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=1800)
        elapsed = time.perf_counter() - started
    ids = [pk for thread in threads for pk in thread.done]
    errors = [error for thread in threads for error in thread.errors]
    requests = sum(thread.requests for thread in threads) - len(threads)
    result.add("manifests through create/submit/pickup/receive/treat", f"{len(ids):,}")
    result.add("manifests per second, end to end", len(ids) / elapsed)
    result.add("API writes per second", requests / elapsed)
    result.add("wall time s", elapsed)
    result.add("error answers", f"{len(errors)}")
    result.ok = not errors and len(ids) == clients * manifests
    enterprise_ids = sorted({e for p in parties for e in (p.consignor, p.receiver)})
    with connection.cursor() as cur:
        for label, sql in VERIFY_SQL.items():
            cur.execute(sql, {"ids": ids, "parties": enterprise_ids})
            bad = cur.fetchone()[0]
            result.add(label, f"{bad}")
            result.ok &= bad == 0
    result.notes.extend(errors[:5])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b6_writes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--manifests", type=int, default=20, help="per client")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    args = parser.parse_args(argv)
    result = run(args.database_url, clients=args.clients, manifests=args.manifests, workers=args.workers)
    result.print()
    return result.exit_code()


if __name__ == "__main__":
    sys.exit(main())
