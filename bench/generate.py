"""Load a synthetic province into PostgreSQL: parks, enterprises, permits, manifests, the ledger and stock.

    python -m bench.generate --scale 0.01 --seed 42 --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

Scale 1 is a province: 100 parks, 20,000 enterprises, 1,000,000 manifests (about 2.5 million lines) over
three years. The database is dropped, migrated and loaded with COPY; the transfer tables' foreign keys
and secondary indexes are dropped during the load and recreated afterwards (re-adding a foreign key
validates every row, so the load is checked by PostgreSQL itself, not trusted).

The data follows the platform's rules by construction, so that a replay through the services would
accept it: valid credit codes; carriers with a valid road transport permit on every pickup; receivers
of hazardous and medical waste with a permit line covering the category and method of everything they
treat, with annual capacity above what they treat in any year; every shipment covered by stock
generated before it (stock never negative at any moment, balances equal to the sum of entries);
one signature per transition, consistent with the status and its timestamps; numbers of 14 digits
drawn per city and year, with ManifestSequence at the last serial used. `--check` proves it: it runs
the models' full_clean() and the services' permit checks on a sample, and whole-table SQL checks.

Mixes: about 65 % of manifests general waste, 28 % hazardous, 7 % medical (from hospitals to medical
disposal centres); a few large hazardous receivers take most of the hazardous waste; monthly volumes
vary with the seasons (a dip at the Spring Festival) and grow a little each year. Warnings have
something to find: a few loads overdue in transit or received and never treated, quantity
discrepancies beyond the 5 % tolerance, partial and whole-load rejections, hazardous stock kept over a
year, permits expiring within 30 days of the end date.

Deterministic: the same --seed, --scale and --end-date give the same rows.
"""

from __future__ import annotations

import argparse
import bisect
import io
import math
import queue
import random
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench import common
from registry.rules import credit_code_check_character

LOCAL = ZoneInfo("Asia/Shanghai")
DAY = 86400
T = 10_000  # quantities are integers in 1/10,000 t (0.1 kg): exact, and fast to format
TOLERANCE_PCT = 5  # settings.QUANTITY_TOLERANCE (5 %), as the services apply it

# --- scale ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    factor: float
    parks: int
    enterprises: int
    manifests: int
    years: int = 3

    @classmethod
    def of(cls, factor: float, years: int = 3) -> Scale:
        return cls(
            factor=factor,
            parks=max(3, round(100 * factor)),
            enterprises=max(60, round(20_000 * factor)),
            manifests=max(300, round(1_000_000 * factor)),
            years=years,
        )


# --- fast text for COPY ---------------------------------------------------------------------------

_TOD = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS: dict[int, str] = {}


def ts(seconds: float) -> str:
    """A UTC instant (epoch seconds) as PostgreSQL timestamptz text, with microseconds."""
    whole = int(seconds)
    day, rest = divmod(whole, DAY)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = (_EPOCH + timedelta(days=day)).date().isoformat()
    return f"{text} {_TOD[rest]}.{int((seconds - whole) * 1_000_000):06d}+00"


def qty(units: int) -> str:
    return f"{units // T}.{units % T:04d}"


NULL = "\\N"


class Table:
    """Rows of one table, copied in chunks (text COPY format; values never contain tabs or newlines)."""

    def __init__(self, name: str, columns: str):
        self.name, self.columns = name, columns
        self.buffer = io.StringIO()
        self.count = 0
        self.pending = 0

    def add(self, *values) -> None:
        self.buffer.write("\t".join(values))
        self.buffer.write("\n")
        self.count += 1
        self.pending += 1

    def flush(self, cursor) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        cursor.copy_expert(f"COPY {self.name} ({self.columns}) FROM STDIN", self.buffer)
        self.buffer = io.StringIO()
        self.pending = 0

    def take(self) -> tuple[str, io.StringIO] | None:
        """Hand the rows so far to a loader (see Loader) and start a new buffer."""
        if not self.pending:
            return None
        buffer, self.buffer, self.pending = self.buffer, io.StringIO(), 0
        buffer.seek(0)
        return f"COPY {self.name} ({self.columns}) FROM STDIN", buffer


class Loader:
    """COPY on its own connection and thread, so PostgreSQL loads one month while Python builds the next
    (psycopg2 releases the GIL while it waits on the server)."""

    def __init__(self, url: str):
        self.conn = common.connect(url)
        self.queue: queue.Queue = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, daemon=True)
        self.thread.start()

    def put(self, batch: list[tuple[str, io.StringIO]]) -> None:
        if self.error:
            raise self.error
        self.queue.put(batch)

    def _work(self) -> None:
        cur = self.conn.cursor()
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            try:
                for statement, buffer in batch:
                    cur.copy_expert(statement, buffer)
                self.conn.commit()
            except BaseException as error:  # noqa: BLE001 - re-raised in the producer
                self.error = error
                return

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.conn.close()
        if self.error:
            raise self.error


# --- the province ---------------------------------------------------------------------------------


@dataclass
class Ent:
    id: int
    park: int
    city: str  # 4-digit division code
    kind: str  # generator, hospital, carrier, receiver_general, receiver_hazardous, receiver_medical
    weight: float = 1.0
    status: str = "active"
    codes: list[int] = field(default_factory=list)  # waste codes it generates
    storage_facility: int = 0
    treatment_facility: int = 0
    categories: list[int] = field(default_factory=list)  # hazardous receivers: categories accepted
    methods: dict[str, list[int]] = field(default_factory=dict)  # receivers: method kind -> method ids
    large: bool = False
    hazardous_by_year: dict[int, int] = field(default_factory=lambda: defaultdict(int))


GENERAL_UTILIZATION = ("C1", "C2", "R5", "R4", "R15")
HAZARDOUS_UTILIZATION = ("R9", "R4", "R2", "R6", "R8", "R15", "C1")
HAZARDOUS_DISPOSAL = ("D10", "D9", "D1")
MEDICAL_DISPOSAL = ("D10", "D9")
INDUSTRIES = ("C3011", "C3120", "C2614", "C3311", "D4411", "C2511", "C3250", "C2662", "C3971", "C1761", "B0610")


class Generator:
    def __init__(self, *, scale: Scale, seed: int, end: datetime, url: str, chunk_days: int = 31):
        self.scale, self.seed, self.url = scale, seed, url
        self.rng = random.Random(seed)
        self.end = end.timestamp()
        self.start = (end - timedelta(days=365 * scale.years + scale.years // 4)).timestamp()
        self.ids: dict[str, int] = defaultdict(int)
        self.stock: dict[tuple[int, int, int], list[int]] = {}  # key -> [in, out, first_at, last_at]
        self.generation: dict[tuple[int, int, int, float], int] = defaultdict(int)
        self.treated: dict[tuple[int, int, int, int], int] = defaultdict(int)  # receiver, cat, method, year
        self.sequences: dict[tuple[str, int], int] = defaultdict(int)
        self.stats: dict[str, int] = defaultdict(int)

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    # --- catalogue ---------------------------------------------------------------------------------

    def read_catalogue(self, cursor) -> None:
        cursor.execute("SELECT id, code, name_zh FROM registry_division WHERE length(code) = 4 ORDER BY code")
        self.cities = [(pk, code, name) for pk, code, name in cursor.fetchall()]
        cursor.execute(
            "SELECT w.id, w.code, w.waste_class, w.hazard, w.category_id FROM registry_wastecode w "
            "WHERE w.active ORDER BY w.code"
        )
        self.codes = {row[0]: row for row in cursor.fetchall()}
        self.by_class: dict[str, list[int]] = defaultdict(list)
        for pk, _code, klass, _hazard, _cat in self.codes.values():
            self.by_class[klass].append(pk)
        cursor.execute("SELECT id, code, kind FROM registry_managementmethod")
        self.methods = {code: (pk, kind) for pk, code, kind in cursor.fetchall()}
        self.hazardous_categories = sorted({self.codes[c][4] for c in self.by_class["hazardous"]})
        self.medical_category = self.codes[self.by_class["medical"][0]][4]
        self.infectious = next(pk for pk in self.by_class["medical"] if self.codes[pk][1] == "841-001-01")

    # --- registry ----------------------------------------------------------------------------------

    def build_registry(self) -> None:
        rng, s = self.rng, self.scale
        self.parks = []
        for number in range(1, s.parks + 1):
            city = self.cities[(number - 1) % len(self.cities)]
            self.parks.append((number, city, rng.uniform(0.3, 3.0)))
        park_weights = [weight for _, _, weight in self.parks]
        n = s.enterprises
        n_medical = max(1, min(2 * len(self.cities), round(n * 0.001)))
        n_hazardous = max(3, round(n * 0.01))
        n_general = max(2, round(n * 0.015))
        n_carriers = max(3, round(n * 0.02))
        n_hospitals = max(3, round(n * 0.04))
        n_inactive = max(1, round(n * 0.013))
        kinds = (
            ["receiver_medical"] * n_medical
            + ["receiver_hazardous"] * n_hazardous
            + ["receiver_general"] * n_general
            + ["carrier"] * n_carriers
            + ["hospital"] * n_hospitals
        )
        kinds += ["generator"] * (n - len(kinds))
        self.ents: list[Ent] = []
        for index, kind in enumerate(kinds):
            if kind == "receiver_medical":
                # One medical disposal centre per city first, so every hospital has one nearby.
                city = self.cities[index % len(self.cities)]
                park = next((p for p in self.parks if p[1] == city), self.parks[index % len(self.parks)])
            else:
                park = rng.choices(self.parks, park_weights)[0]
            ent = Ent(id=index + 1, park=park[0], city=park[1][1], kind=kind)
            ent.storage_facility = self.next_id("facility")
            if kind.startswith("receiver"):
                ent.treatment_facility = self.next_id("facility")
            self.ents.append(ent)
        # Enterprises registered but not (yet, or any more) active: they never appear on a manifest.
        for ent in rng.sample([e for e in self.ents if e.kind == "generator"], n_inactive):
            ent.status = rng.choice(("pending", "pending", "pending", "closed", "suspended"))

        hazardous_codes = self.by_class["hazardous"]
        general_codes = self.by_class["general"]
        medical_codes = self.by_class["medical"]
        self.recv_seen = False
        for ent in self.ents:
            if ent.kind == "generator":
                ent.weight = rng.lognormvariate(0, 1.1)
                ent.codes = rng.sample(general_codes, rng.randint(1, 3))
                if rng.random() < 0.45:
                    ent.codes += rng.sample(hazardous_codes, rng.randint(1, 3))
            elif ent.kind == "hospital":
                ent.weight = rng.lognormvariate(0, 0.8)
                ent.codes = [self.infectious, *rng.sample([c for c in medical_codes if c != self.infectious], 2)]
            elif ent.kind == "receiver_hazardous":
                # The first is a large centre taking every category, so every hazardous code has a taker.
                ent.large = not self.recv_seen or rng.random() < 0.12
                self.recv_seen = True
                ent.weight = rng.uniform(12, 20) if ent.large else rng.lognormvariate(0, 0.6)
                ent.categories = (
                    list(self.hazardous_categories)
                    if ent.large
                    else rng.sample(self.hazardous_categories, rng.randint(3, 6))
                )
                profile = rng.choice(("utilization", "disposal", "both")) if not ent.large else "both"
                if profile in ("utilization", "both"):
                    ent.methods["utilization"] = [self.methods[c][0] for c in rng.sample(HAZARDOUS_UTILIZATION, 2)]
                if profile in ("disposal", "both"):
                    ent.methods["disposal"] = [self.methods[c][0] for c in rng.sample(HAZARDOUS_DISPOSAL, 2)]
            elif ent.kind == "receiver_general":
                ent.large = rng.random() < 0.1
                ent.weight = rng.uniform(8, 15) if ent.large else rng.lognormvariate(0, 0.7)
                ent.methods = {
                    "utilization": [self.methods[c][0] for c in rng.sample(GENERAL_UTILIZATION, 2)],
                    "disposal": [self.methods["D1"][0]],
                    "storage": [self.methods["S1"][0]],
                }
            elif ent.kind == "receiver_medical":
                ent.methods = {"disposal": [self.methods[c][0] for c in MEDICAL_DISPOSAL]}
            else:
                ent.weight = rng.lognormvariate(0, 0.5)

        def active(kind):
            return [e for e in self.ents if e.kind == kind and e.status == "active"]

        self.generators = active("generator")
        self.gen_general = self.generators
        self.gen_hazardous = [e for e in self.generators if any(c in hazardous_codes for c in e.codes)]
        self.hospitals = active("hospital")
        self.carriers = active("carrier")
        self.recv_general = active("receiver_general")
        self.recv_hazardous = active("receiver_hazardous")
        self.recv_medical = active("receiver_medical")
        self.carriers_by_city = defaultdict(list)
        for carrier in self.carriers:
            self.carriers_by_city[carrier.city].append(carrier)
        self.medical_by_city = defaultdict(list)
        for receiver in self.recv_medical:
            self.medical_by_city[receiver.city].append(receiver)
        self.general_by_park = defaultdict(list)
        for receiver in self.recv_general:
            self.general_by_park[receiver.park].append(receiver)
        self.hazardous_by_category = defaultdict(list)
        for receiver in self.recv_hazardous:
            for category in receiver.categories:
                self.hazardous_by_category[category].append(receiver)
        self.cum = {
            name: _cumulative([e.weight for e in group])
            for name, group in (
                ("general", self.gen_general),
                ("hazardous", self.gen_hazardous),
                ("medical", self.hospitals),
                ("recv_general", self.recv_general),
                ("carriers", self.carriers),
            )
        }

    # --- manifests ---------------------------------------------------------------------------------

    def month_plan(self) -> list[tuple[float, float, int]]:
        """(start, end, manifests) per calendar month (Asia/Shanghai): seasons, Spring Festival, growth."""
        months = []
        cursor = datetime.fromtimestamp(self.start, LOCAL).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end_local = datetime.fromtimestamp(self.end, LOCAL)
        while cursor < end_local:
            nxt = (cursor + timedelta(days=32)).replace(day=1)
            lo, hi = max(cursor.timestamp(), self.start), min(nxt.timestamp(), self.end)
            if hi > lo:
                season = 1 + 0.12 * math.sin((cursor.month - 4) / 12 * 2 * math.pi)
                if cursor.month == 2:
                    season *= 0.72  # Spring Festival
                growth = 1.05 ** ((lo - self.start) / (365 * DAY))
                months.append((lo, hi, season * growth * (hi - lo)))
            cursor = nxt
        total = sum(weight for _, _, weight in months)
        counts = [round(self.scale.manifests * weight / total) for _, _, weight in months]
        counts[-1] += self.scale.manifests - sum(counts)
        return [(lo, hi, n) for (lo, hi, _), n in zip(months, counts, strict=True)]

    def run(self) -> None:
        started = time.monotonic()
        conn = common.connect(self.url)
        cur = conn.cursor()
        self.read_catalogue(cur)
        self.build_registry()
        self.users(cur)
        # Commit the users first: their deferred foreign-key checks (User.disabled_by) would still be pending,
        # and PostgreSQL refuses to drop a foreign key onto registry_user while they are.
        conn.commit()
        dropped = drop_load_obstacles(cur)
        self.make_partitions(cur)
        conn.commit()

        self.t_manifest = Table(
            "transfers_manifest",
            "id,created_at,updated_at,number,waste_class,vehicle_plate,planned_date,purpose,emergency_measures,status,"
            "is_cross_province,has_discrepancy,reason,submitted_at,picked_up_at,received_at,completed_at,"
            "cancelled_at,rejected_at,approval_id,carrier_id,consignor_id,created_by_id,driver_id,receiver_id",
        )
        self.t_line = Table(
            "transfers_manifestline",
            "id,line_no,declared_quantity_t,packaging_type,packaging_count,physical_form,hazard,batch_code,"
            "received_quantity_t,accepted_quantity_t,acceptance,rejection_reason,is_discrepancy,treated_quantity_t,"
            "treated_at,manifest_id,receiving_facility_id,source_facility_id,treatment_method_id,waste_code_id",
        )
        self.t_event = Table(
            "transfers_manifestevent",
            "id,action,from_status,to_status,party,role,comment,source,at,signer_name,acting_enterprise_id,actor_id,"
            "manifest_id",
        )
        self.t_ledger = Table(
            "transfers_ledgerentry",
            "id,created_at,updated_at,stage,quantity_t,batch_code,occurred_at,note,source,enterprise_id,"
            "facility_id,method_id,recorded_by_id,waste_code_id,manifest_line_id",
        )
        tables = (self.t_manifest, self.t_line, self.t_event, self.t_ledger)
        plan = self.month_plan()
        loader = Loader(self.url)
        for index, (lo, hi, n) in enumerate(plan):
            for _ in range(n):
                self.manifest(lo, hi)
            horizon = plan[index + 1][0] - 8 * DAY if index + 1 < len(plan) else float("inf")
            self.flush_generation(horizon)
            loader.put([batch for batch in (table.take() for table in tables) if batch])
            done = sum(p[2] for p in plan[: index + 1])
            if index % 6 == 5 or index + 1 == len(plan):
                print(
                    f"  manifests {done:>9,}/{self.scale.manifests:,}  ledger {self.t_ledger.count:>10,}"
                    f"  {time.monotonic() - started:6.0f} s",
                    flush=True,
                )
        self.flush_generation(float("inf"))
        loader.put([batch for batch in (self.t_ledger.take(),) if batch])
        loader.close()
        self.write_registry(cur)
        self.write_stock_and_sequences(cur)
        conn.commit()
        t_loaded = time.monotonic()
        print(f"  rows loaded in {t_loaded - started:.0f} s; rebuilding indexes and foreign keys")
        restore_load_obstacles(cur, dropped)
        for table in ("transfers_manifest", "transfers_manifestline", "transfers_manifestevent",
                      "transfers_ledgerentry", "transfers_stockbalance", "transfers_manifestsequence",
                      "registry_park", "registry_enterprise", "registry_facility", "registry_permit",
                      "registry_permitline", "registry_user"):  # fmt: skip
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))"  # noqa: S608
            )
        conn.commit()
        print(f"  indexes and foreign keys in {time.monotonic() - t_loaded:.0f} s; analyzing")
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
        conn.close()
        self.stats["seconds"] = round(time.monotonic() - started)

    def users(self, cur) -> None:
        """The people who sign: one per party role (the signature trail needs real users)."""
        self.user_ids = {}
        for name in ("bench-officer", "bench-preparer", "bench-driver", "bench-receiver"):
            cur.execute(
                "INSERT INTO registry_user (password, is_superuser, username, first_name, last_name, email, "
                "is_staff, is_active, date_joined, full_name, phone, is_service_account, disabled_reason) "
                "VALUES ('!', false, %s, '', '', '', false, true, now(), %s, '', false, '') RETURNING id",
                [name, name],
            )
            self.user_ids[name] = cur.fetchone()[0]

    def manifest(self, lo: float, hi: float) -> None:
        rng = self.rng
        roll = rng.random()
        klass = "general" if roll < 0.65 else ("hazardous" if roll < 0.93 else "medical")
        if klass == "general":
            consignor = self.gen_general[_pick(rng, self.cum["general"])]
            codes = [c for c in consignor.codes if self.codes[c][2] == "general"]
            local = self.general_by_park.get(consignor.park)
            if local and rng.random() < 0.6:
                receiver = rng.choice(local)
            else:
                receiver = self.recv_general[_pick(rng, self.cum["recv_general"])]
            purpose = rng.choices(("utilization", "disposal", "storage"), (85, 10, 5))[0]
        elif klass == "hazardous":
            consignor = self.gen_hazardous[_pick(rng, self.cum["hazardous"])]
            codes = [c for c in consignor.codes if self.codes[c][2] == "hazardous"]
            candidates = self.hazardous_by_category[self.codes[rng.choice(codes)][4]]
            receiver = rng.choices(candidates, [r.weight for r in candidates])[0]
            codes = [c for c in codes if self.codes[c][4] in receiver.categories]
            purpose = rng.choice(list(receiver.methods))
        else:
            consignor = self.hospitals[_pick(rng, self.cum["medical"])]
            codes = consignor.codes
            receiver = rng.choice(self.medical_by_city.get(consignor.city) or self.recv_medical)
            purpose = "disposal"
        if receiver.id == consignor.id:
            receiver = next(
                r for r in (self.recv_general if klass == "general" else self.recv_hazardous) if r.id != consignor.id
            )
        local_carriers = self.carriers_by_city.get(consignor.city)
        carrier = (
            rng.choice(local_carriers)
            if local_carriers and rng.random() < 0.8
            else (self.carriers[_pick(rng, self.cum["carriers"])])
        )

        # Times: prepared in working hours; signatures follow with class-specific delays.
        day_start = lo + rng.random() * (hi - lo)
        created = _working_hours(day_start, rng)
        if created >= self.end - 60:
            created = self.end - rng.uniform(120, 3 * 3600)
        submitted = created + rng.uniform(300, 4 * 3600)
        medical = klass == "medical"
        pickup = submitted + (rng.uniform(0.5, 20) * 3600 if medical else rng.uniform(2, 48) * 3600)
        receive = pickup + (rng.uniform(1, 8) * 3600 if medical else rng.uniform(1, 36) * 3600)
        treat = receive + (rng.uniform(1, 20) * 3600 if medical else rng.uniform(6, 240) * 3600)
        fate = rng.random()
        stuck_transit = fate < 0.002  # MANIFEST_OVERDUE: in transit for days
        stuck_received = 0.002 <= fate < 0.005  # received, never confirmed treated
        cancelled = 0.005 <= fate < 0.015
        cancelled_draft = 0.015 <= fate < 0.017
        rejected = 0.017 <= fate < 0.020
        left_draft = 0.020 <= fate < 0.021

        mid = self.next_id("manifest")
        # About 2.5 lines a manifest; a code may come twice (two batches, two packagings).
        n_lines = rng.choices((1, 2, 3, 4, 5), (22, 30, 28, 13, 7))[0]
        if n_lines < len(codes):
            codes = rng.sample(codes, n_lines)
        else:
            codes = list(codes)
            while len(codes) < n_lines:
                codes.append(rng.choice(codes))
        # Status and stamps, given the end of the data (what has happened by then).
        end = self.end
        status = "draft"
        stamps = {}
        if cancelled_draft:
            status, stamps["cancelled_at"] = "cancelled", min(submitted, end - 30)
        elif not left_draft and submitted < end:
            status, stamps["submitted_at"] = "submitted", submitted
            if cancelled:
                status, stamps["cancelled_at"] = "cancelled", min(submitted + rng.uniform(600, 86400), end - 1)
            elif pickup < end:
                status, stamps["picked_up_at"] = "in_transit", pickup
                if rejected and receive < end:
                    status, stamps["rejected_at"] = "rejected", receive
                elif not stuck_transit and receive < end:
                    status, stamps["received_at"] = "received", receive
                    if not stuck_received and treat < end:
                        status, stamps["completed_at"] = "completed", treat

        number = NULL
        if "submitted_at" in stamps:
            year = _local_year(submitted)
            self.sequences[(consignor.city, year)] += 1
            number = f"{year}{consignor.city}{self.sequences[(consignor.city, year)]:06d}"
        updated = max([created, *stamps.values()]) + rng.random()
        plate = f"贵{'ABCDEFGHJ'[int(consignor.city[2:]) % 9]}{rng.randint(10000, 99999)}"
        self.stats[f"status_{status}"] += 1
        self.stats[f"class_{klass}"] += 1

        has_discrepancy = False
        year_treated = _local_year(treat)
        line_rows = []
        for line_no, code in enumerate(codes, start=1):
            code_row = self.codes[code]
            lid = self.next_id("line")
            if klass == "general":
                declared = int(rng.lognormvariate(2.5, 0.6) * T) + T
                packaging, form, count = "bulk", rng.choice(("solid", "solid", "sludge")), 1
            elif klass == "hazardous":
                declared = int(rng.lognormvariate(1.0, 0.9) * T) + 1000
                packaging, form = (
                    rng.choice(("drum", "ibc", "bag", "tank")),
                    rng.choice(("solid", "liquid", "sludge", "semi_solid")),
                )
                count = max(1, declared // 2000)
            else:
                declared = int(rng.lognormvariate(-1.2, 0.7) * T) + 100
                packaging, form, count = "box", "solid", max(1, declared // 150)
            declared = min(declared, 60 * T)
            received = accepted = treated = None
            acceptance, reason, discrepancy, method = "", "", False, None
            receiving = treated_at = NULL
            if "received_at" in stamps:
                r = rng.random()
                if r < 0.02:
                    received = declared + int(declared * rng.uniform(0.06, 0.2)) * rng.choice((1, -1))
                elif r < 0.6:
                    received = declared
                else:
                    received = declared + int(declared * rng.uniform(-0.01, 0.01))
                received = max(received, 1)
                discrepancy = abs(received - declared) * 100 > declared * TOLERANCE_PCT
                has_discrepancy |= discrepancy
                if rng.random() < 0.005:
                    acceptance, accepted = "partially_rejected", max(1, int(received * rng.uniform(0.5, 0.95)))
                    reason = "包装破损，部分拒收 / damaged packaging, partly refused"
                else:
                    acceptance, accepted = "accepted", received
                receiving = str(receiver.storage_facility)
                if "completed_at" in stamps:
                    method = rng.choice(receiver.methods[purpose])
                    treated = accepted
                    treated_at = ts(treat)
                    if klass != "general":
                        self.treated[(receiver.id, code_row[4], method, year_treated)] += treated
            elif status == "rejected":
                acceptance, reason = "rejected", "与联单申报不符，整车拒收 / does not match the manifest, load refused"
            batch = f"B{mid:07d}-{line_no}" if klass == "hazardous" else ""
            self.t_line.add(
                str(lid), str(line_no), qty(declared), packaging, str(count), form, code_row[3], batch,
                qty(received) if received is not None else NULL, qty(accepted) if accepted is not None else NULL,
                acceptance, reason, "t" if discrepancy else "f", qty(treated) if treated is not None else NULL,
                treated_at, str(mid), receiving, str(consignor.storage_facility),
                str(method) if method else NULL, str(code),
            )  # fmt: skip
            line_rows.append((lid, code, declared, received, accepted, treated, method, batch))

        self.t_manifest.add(
            str(mid), ts(created), ts(updated), number, klass, plate, _local_date(pickup),
            purpose, "", status, "f", "t" if has_discrepancy else "f",
            "计划变更 / plans changed" if status == "cancelled" and "submitted_at" in stamps
            else ("整车拒收 / load refused" if status == "rejected" else ""),
            *(ts(stamps[k]) if k in stamps else NULL
              for k in ("submitted_at", "picked_up_at", "received_at", "completed_at", "cancelled_at", "rejected_at")),
            NULL, str(carrier.id), str(consignor.id), str(self.user_ids["bench-preparer"]), NULL, str(receiver.id),
        )  # fmt: skip
        self.events(mid, status, stamps, consignor, carrier, receiver)
        self.ledger(mid, klass, stamps, consignor, receiver, line_rows, purpose)

    def events(self, mid, status, stamps, consignor, carrier, receiver) -> None:
        users = self.user_ids
        trail = []
        if "submitted_at" in stamps:
            trail.append(
                (
                    "submit",
                    "draft",
                    "submitted",
                    consignor,
                    "bench-preparer",
                    "consignor",
                    "preparer",
                    stamps["submitted_at"],
                )
            )
        if status == "cancelled":
            frm = "submitted" if "submitted_at" in stamps else "draft"
            trail.append(
                (
                    "cancel",
                    frm,
                    "cancelled",
                    consignor,
                    "bench-preparer",
                    "consignor",
                    "preparer",
                    stamps["cancelled_at"],
                )
            )
        if "picked_up_at" in stamps:
            trail.append(
                (
                    "pickup",
                    "submitted",
                    "in_transit",
                    carrier,
                    "bench-driver",
                    "carrier",
                    "driver",
                    stamps["picked_up_at"],
                )
            )
        if "rejected_at" in stamps:
            trail.append(
                (
                    "reject",
                    "in_transit",
                    "rejected",
                    receiver,
                    "bench-receiver",
                    "receiver",
                    "preparer",
                    stamps["rejected_at"],
                )
            )
        if "received_at" in stamps:
            trail.append(
                (
                    "receive",
                    "in_transit",
                    "received",
                    receiver,
                    "bench-receiver",
                    "receiver",
                    "preparer",
                    stamps["received_at"],
                )
            )
        if "completed_at" in stamps:
            trail.append(
                (
                    "treat",
                    "received",
                    "completed",
                    receiver,
                    "bench-receiver",
                    "receiver",
                    "preparer",
                    stamps["completed_at"],
                )
            )
        for action, frm, to, ent, user, party, role, at in trail:
            comment = (
                "整车拒收 / load refused"
                if action == "reject"
                else ("计划变更 / plans changed" if action == "cancel" else "")
            )
            self.t_event.add(
                str(self.next_id("event")), action, frm, to, party, role, comment, "api", ts(at), user, str(ent.id),
                str(users[user]), str(mid),
            )  # fmt: skip

    def ledger(self, mid, klass, stamps, consignor, receiver, lines, purpose) -> None:
        if "picked_up_at" not in stamps:
            return
        recorder = {"c": self.user_ids["bench-driver"], "r": self.user_ids["bench-receiver"]}
        pickup = stamps["picked_up_at"]
        note = f"manifest {mid}"
        # What the consignor ships must have been generated before: per week (per day for medical waste,
        # which may wait at most 48 h), at the start of the bucket, so stock never goes below zero.
        bucket = _day_start(pickup) if klass == "medical" else _week_start(pickup)
        for lid, code, declared, received, accepted, treated, method, batch in lines:
            self.generation[(consignor.id, consignor.storage_facility, code, bucket)] += declared
            self.entry(
                pickup,
                "shipped",
                declared,
                batch,
                note,
                consignor.id,
                consignor.storage_facility,
                None,
                recorder["c"],
                code,
                lid,
            )
            if "rejected_at" in stamps:
                self.entry(stamps["rejected_at"], "received", declared, batch, "returned: load refused", consignor.id,
                           consignor.storage_facility, None, recorder["r"], code, lid)  # fmt: skip
                continue
            if received is None:
                continue
            at = stamps["received_at"]
            self.entry(
                at,
                "received",
                accepted,
                batch,
                note,
                receiver.id,
                receiver.storage_facility,
                None,
                recorder["r"],
                code,
                lid,
            )
            if received > accepted:
                self.entry(at, "received", received - accepted, batch, "returned: partly refused", consignor.id,
                           consignor.storage_facility, None, recorder["r"], code, lid)  # fmt: skip
            if treated is not None and purpose != "storage":
                stage = "utilized_in_house" if purpose == "utilization" else "disposed_in_house"
                self.entry(stamps["completed_at"], stage, treated, batch, note, receiver.id, receiver.storage_facility,
                           method, recorder["r"], code, lid)  # fmt: skip
        if klass != "general":
            year = _local_year(pickup)
            consignor.hazardous_by_year[year] += sum(line[2] for line in lines)

    def entry(self, at, stage, units, batch, note, ent, facility, method, user, code, line) -> None:
        eid = self.next_id("ledger")
        stamp = ts(at)
        self.t_ledger.add(
            str(eid), stamp, stamp, stage, qty(units), batch, stamp, note, "api", str(ent), str(facility),
            str(method) if method else NULL, str(user), str(code), str(line) if line else NULL,
        )  # fmt: skip
        balance = self.stock.get((ent, facility, code))
        if balance is None:
            balance = self.stock[(ent, facility, code)] = [0, 0, at, at]
        if stage in ("generated", "stored_in", "received"):
            balance[0] += units
        else:
            balance[1] += units
        balance[2], balance[3] = min(balance[2], at), max(balance[3], at)
        self.stats[f"ledger_{stage}"] += 1

    def flush_generation(self, horizon: float) -> None:
        """Write the generated entries of every bucket no later manifest can add to."""
        rng = self.rng
        user = self.user_ids["bench-preparer"]
        for key in [k for k in self.generation if k[3] < horizon]:
            units = self.generation.pop(key)
            ent, facility, code, bucket = key
            # Some sites generate more than they ship: stock builds up (and, for hazardous waste, ages).
            if self.codes[code][2] != "medical" and (ent * 7919 + code) % 10 == 0:
                units += int(units * rng.uniform(0.05, 0.3))
            # Just before the bucket opens: a pickup in its first second must still find the stock (an entry
            # at the very same instant would sort after the shipment by id).
            self.entry(bucket - 1 - rng.random(), "generated", units, "", "", ent, facility, None, user, code, None)

    # --- registry rows -----------------------------------------------------------------------------

    def write_registry(self, cur) -> None:
        rng = self.rng
        now = ts(self.end - 3600)
        start = ts(self.start - 400 * DAY)
        city_ids = {code: pk for pk, code, _ in self.cities}
        parks = Table("registry_park", "id,created_at,updated_at,name,utilization_target_pct,division_id")
        for number, (_pk, code, name), _ in self.parks:
            parks.add(
                str(number), start, now, f"{name}第{number}工业园区", f"{rng.randint(60, 90)}.00", str(city_ids[code])
            )
        parks.flush(cur)

        officer = str(self.user_ids["bench-officer"])
        ents = Table(
            "registry_enterprise",
            "id,created_at,updated_at,credit_code,name,industry_code,address,longitude,latitude,contact_name,"
            "contact_phone,contact_email,is_generator,is_carrier,is_receiver,management_class,management_class_overridden,"
            "status,status_reason,verified_at,verified_by_id,park_id",
        )
        facilities = Table(
            "registry_facility", "id,created_at,updated_at,name,kind,capacity_t,active,enterprise_id,cold_store"
        )
        stock_by_facility = defaultdict(int)
        for (_ent, facility, _code), (t_in, t_out, *_rest) in self.stock.items():
            stock_by_facility[facility] += t_in - t_out
        labels = {
            "generator": ("制造", None), "hospital": ("医院", "Q8411"), "carrier": ("运输", "G5430"),
            "receiver_general": ("资源综合利用", "N7723"), "receiver_hazardous": ("危废处置", "N7724"),
            "receiver_medical": ("医疗废物处置中心", "N7724"),
        }  # fmt: skip
        for ent in self.ents:
            word, industry = labels[ent.kind]
            industry = industry or rng.choice(INDUSTRIES)
            first17 = f"91{ent.city}00{ent.id:09d}"
            credit = first17 + credit_code_check_character(first17)
            hazardous = max(ent.hazardous_by_year.values(), default=0)
            klass = (
                "key"
                if ent.kind.startswith("receiver") or hazardous >= 100 * T
                else ("simplified" if hazardous >= 10 * T else "registration")
            )
            active = ent.status == "active"
            ents.add(
                str(ent.id), start, now, credit, f"贵州{word}企业{ent.id:05d}有限公司", industry,
                f"贵州省{ent.city}园区路{ent.id}号",
                f"{rng.uniform(103.6, 109.5):.6f}", f"{rng.uniform(24.7, 29.2):.6f}",
                f"联系人{ent.id}", f"0851-{5000000 + ent.id:07d}", f"ent{ent.id}@example.cn",
                "t" if ent.kind in ("generator", "hospital") else "f", "t" if ent.kind == "carrier" else "f",
                "t" if ent.kind.startswith("receiver") else "f", klass, "f", ent.status,
                "" if ent.status in ("active", "pending") else "停产 / ceased operation",
                start if active else NULL, officer if active else NULL, str(ent.park),
            )  # fmt: skip
            on_hand = stock_by_facility.get(ent.storage_facility, 0)
            # Most stores have room to spare; about 2 % run close to or over capacity (STORAGE_OVER_CAPACITY).
            factor = rng.uniform(0.85, 1.05) if rng.random() < 0.02 else rng.uniform(1.5, 4)
            capacity = max(50 * T, int(on_hand * factor)) if factor > 1.2 else max(T, int(on_hand * factor))
            facilities.add(
                str(ent.storage_facility), start, now, "一号贮存库", "warehouse", qty(capacity), "t", str(ent.id), "f"
            )
            if ent.treatment_facility:
                kind = "disposal" if "disposal" in ent.methods and "utilization" not in ent.methods else "utilization"
                facilities.add(
                    str(ent.treatment_facility),
                    start,
                    now,
                    "处置利用装置",
                    kind,
                    qty(rng.randint(20_000, 300_000) * T),
                    "t",
                    str(ent.id),
                    "f",
                )
        ents.flush(cur)
        facilities.flush(cur)

        permits = Table(
            "registry_permit",
            "id,created_at,updated_at,kind,number,issuer,valid_from,valid_to,covers_collection,covers_storage,"
            "covers_utilization,covers_disposal,revoked_at,status,status_reason,enterprise_id",
        )
        lines = Table("registry_permitline", "id,annual_capacity_t,method_id,permit_id,category_id,waste_code_id")
        end_day = datetime.fromtimestamp(self.end, LOCAL).date()
        start_day = datetime.fromtimestamp(self.start, LOCAL).date()

        def validity() -> tuple[date, date]:
            # Five years (a comprehensive licence), covering every day of the data; some end soon.
            soon = rng.random() < 0.04
            latest_from = start_day
            earliest_from = end_day - timedelta(days=5 * 365 - 5)
            valid_from = (
                earliest_from + timedelta(days=rng.randint(0, 20))
                if soon
                else (earliest_from + timedelta(days=rng.randint(30, max(31, (latest_from - earliest_from).days))))
            )
            valid_from = min(valid_from, latest_from)
            return valid_from, valid_from + timedelta(days=5 * 365)

        yearly_max: dict[tuple[int, int, int], int] = defaultdict(int)
        for (receiver, category, method, _year), units in self.treated.items():
            yearly_max[(receiver, category, method)] = max(yearly_max[(receiver, category, method)], units)
        for ent in self.ents:
            if ent.kind == "carrier":
                vf, vt = validity()
                pid = self.next_id("permit")
                permits.add(str(pid), start, now, "road_transport", f"黔交运管{ent.id:06d}", "贵州省交通运输厅",
                            vf.isoformat(), vt.isoformat(), "f", "f", "f", "f", NULL, "valid", "",
                            str(ent.id))  # fmt: skip
            elif ent.kind in ("receiver_hazardous", "receiver_medical"):
                vf, vt = validity()
                pid = self.next_id("permit")
                medical = ent.kind == "receiver_medical"
                kind = "medical_disposal" if medical else "hw_operating"
                permits.add(
                    str(pid), start, now, kind, f"GZ{'YF' if medical else 'WF'}{ent.id:06d}", "贵州省生态环境厅",
                    vf.isoformat(), vt.isoformat(), "t", "t", "t" if "utilization" in ent.methods else "f",
                    "t" if "disposal" in ent.methods else "f", NULL, "valid", "", str(ent.id),
                )  # fmt: skip
                categories = [self.medical_category] if medical else ent.categories
                for category in categories:
                    for methods in ent.methods.values():
                        for method in methods:
                            used = yearly_max.get((ent.id, category, method), 0)
                            capacity = int(used * rng.uniform(1.15, 1.8)) + rng.randint(50, 2000) * T
                            lines.add(
                                str(self.next_id("permitline")),
                                qty(capacity),
                                str(method),
                                str(pid),
                                str(category),
                                NULL,
                            )
        permits.flush(cur)
        lines.flush(cur)
        self.stats["enterprises"] = len(self.ents)
        self.stats["permits"] = permits.count
        self.stats["permit_lines"] = lines.count

    def make_partitions(self, cur) -> None:
        """The yearly partitions of every year the data spans (wasteparks/partitions.py), made before the
        load: the migration made only the current years', and a row of no partition's year would land in the
        table's default partition (PostgreSQL only; the function exists once the migrations have run)."""
        first = datetime.fromtimestamp(self.start, UTC).year - 1  # a generation may precede its first manifest
        last = datetime.fromtimestamp(self.end, UTC).year
        for table in ("transfers_ledgerentry", "transfers_manifestevent"):
            for year in range(first, last + 1):
                cur.execute("SELECT wasteparks_ensure_partition(%s, %s)", [table, date(year, 1, 1)])

    def write_stock_and_sequences(self, cur) -> None:
        stock = Table(
            "transfers_stockbalance",
            "id,created_at,updated_at,quantity_t,total_in_t,total_out_t,enterprise_id,facility_id,waste_code_id",
        )
        for (ent, facility, code), (t_in, t_out, first, last) in sorted(self.stock.items()):
            if t_in - t_out < 0:
                raise AssertionError(f"negative stock at {(ent, facility, code)}")
            stock.add(str(self.next_id("stock")), ts(first), ts(last), qty(t_in - t_out), qty(t_in), qty(t_out),
                      str(ent), str(facility), str(code))  # fmt: skip
        stock.flush(cur)
        sequences = Table("transfers_manifestsequence", "id,city_code,year,last_serial")
        for (city, year), serial in sorted(self.sequences.items()):
            sequences.add(str(self.next_id("sequence")), city, str(year), str(serial))
        sequences.flush(cur)
        self.stats["stock_balances"] = stock.count
        self.stats["manifests"] = self.t_manifest.count
        self.stats["manifest_lines"] = self.t_line.count
        self.stats["manifest_events"] = self.t_event.count
        self.stats["ledger_entries"] = self.t_ledger.count


# --- helpers ---------------------------------------------------------------------------------------


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return min(bisect.bisect(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


# China has kept UTC+8 all year since 1991: local days are plain arithmetic, much faster than zoneinfo.
OFFSET = 8 * 3600
_YEARS: dict[int, int] = {}


def _local_midnight(at: float) -> float:
    return at - (at + OFFSET) % DAY


def _local_year(at: float) -> int:
    day = int((at + OFFSET) // DAY)
    year = _YEARS.get(day)
    if year is None:
        year = _YEARS[day] = (_EPOCH + timedelta(days=day)).year
    return year


def _local_date(at: float) -> str:
    return (_EPOCH + timedelta(days=int((at + OFFSET) // DAY))).date().isoformat()


def _working_hours(at: float, rng: random.Random) -> float:
    return _local_midnight(at) + rng.uniform(8, 18) * 3600


def _day_start(at: float) -> float:
    return _local_midnight(at)


def _week_start(at: float) -> float:
    day = int((at + OFFSET) // DAY)
    return day * DAY - OFFSET - (day + 3) % 7 * DAY  # 1970-01-01 was a Thursday (weekday 3)


# --- dropping and restoring what slows a bulk load ---------------------------------------------------

LOAD_TABLES = (
    "transfers_manifest",
    "transfers_manifestline",
    "transfers_manifestevent",
    "transfers_ledgerentry",
    "transfers_stockbalance",
)


def drop_load_obstacles(cur) -> dict[str, list[str]]:
    """Drop the foreign keys and secondary (non-unique) indexes of the transfer tables; return how to
    recreate them. Primary keys, unique and check constraints stay: they are checked during the load.

    A partitioned table's foreign key (telemetry readings) is dropped and recreated on the parent only: its
    partitions' copies (conparentid set) go and come back with it and cannot be dropped on their own."""
    cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conparentid = 0 "
        "AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
        [list(LOAD_TABLES), list(LOAD_TABLES)],
    )
    foreign = cur.fetchall()
    cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique",
        [list(LOAD_TABLES)],
    )
    indexes = cur.fetchall()
    for table, name, _ in foreign:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    return {
        "indexes": [definition for _, definition in indexes],
        "foreign": [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in foreign],
    }


def restore_load_obstacles(cur, dropped: dict[str, list[str]]) -> None:
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute("SET max_parallel_maintenance_workers = 2")
    for statement in dropped["indexes"]:
        # A partitioned table's index is written `ON ONLY` the parent (as it is attached partition by
        # partition); made again on the parent, it is made on every partition.
        cur.execute(statement.replace(" ON ONLY ", " ON ", 1))
    # Adding a foreign key back validates every row against its target: the load is proved, not trusted.
    for statement in dropped["foreign"]:
        cur.execute(statement)


# --- command line ----------------------------------------------------------------------------------


def parse_end(text: str | None) -> datetime:
    if text:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), LOCAL)
    return datetime.now(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)


def generate(*, url: str, scale: float, seed: int, end: str | None = None, quiet: bool = False) -> dict:
    size = Scale.of(scale)
    print(
        f"Generating scale {scale} (seed {seed}) into {common.db_name(url)}: {size.parks} parks, "
        f"{size.enterprises:,} enterprises, {size.manifests:,} manifests over {size.years} years"
    )
    started = time.monotonic()
    common.recreate_database(url)
    generator = Generator(scale=size, seed=seed, end=parse_end(end), url=url)
    generator.run()
    stats = dict(sorted(generator.stats.items()))
    stats["seconds_total"] = round(time.monotonic() - started)
    if not quiet:
        for key, value in stats.items():
            print(f"  {key:<26} {value:>12,}")
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = a province (default); 0.01 for quick runs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL, help="dropped and recreated")
    parser.add_argument("--end-date", help="last day of data (YYYY-MM-DD, exclusive); default today")
    parser.add_argument("--check", action="store_true", help="validate the loaded data afterwards")
    parser.add_argument("--check-only", action="store_true", help="only validate an existing bench database")
    parser.add_argument("--check-sample", type=int, default=300, help="rows per model for full_clean()")
    args = parser.parse_args(argv)
    if not args.check_only:
        generate(url=args.database_url, scale=args.scale, seed=args.seed, end=args.end_date)
    if args.check or args.check_only:
        from bench import check

        return 0 if check.run(args.database_url, sample=args.check_sample) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
