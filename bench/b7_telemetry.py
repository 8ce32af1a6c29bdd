"""B7 telemetry: the readings table's layout (monthly partitions against one BRIN-indexed table), sustained
ingestion over HTTP and MQTT, and the device warning scan over a year of the demo park's readings.

    python -m bench.b7_telemetry --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench_telemetry

The database is recreated (migrations, catalogue, demo organisations), then:
(1) layout: --devices devices × a year of readings every --every-minutes minutes, bulk-inserted into the
    real (partitioned) table and into a copy laid out the other way (one table, BRIN on measured_at, a
    unique btree on (device_id, reading_id)); both then answer the queries the platform runs: a device's
    latest reading (every device rule), a device's last 24 hours, the ingestion's duplicate check for a
    batch, and every reading of the last hour; timed as the median of --repeat runs, with their sizes;
(2) ingestion: --batches batches of 50 readings from 20 devices, over HTTP (gunicorn, 2 workers, 4
    client threads) and over MQTT (mosquitto from write_broker_config, one consume_readings process), in
    readings stored per second;
(3) scan: the demo park's devices (reporting.simulator) with a year of readings (thermometer and storage
    sensor every minute), then the device rules as the five-minute task runs them.
No goal is set; the figures go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import common

BATCH = 50


def _sql(cursor, statement: str, params=None) -> float:
    started = time.perf_counter()
    cursor.execute(statement, params)
    return time.perf_counter() - started


def _median_ms(cursor, statement: str, params, repeat: int) -> float:
    return statistics.median(_sql(cursor, statement, params) * 1000 for _ in range(repeat))


def prepare(url: str) -> None:
    common.recreate_database(url)
    env = common.django_env(url)
    for command in (["migrate", "--noinput", "--skip-checks", "-v0"], ["load_catalogue"]):
        subprocess.run(
            [common.PYTHON, "manage.py", *command], cwd=common.ROOT, env=env, check=True, capture_output=True
        )


def layout(result: common.Result, devices: int, every_minutes: int, repeat: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from registry.devices import register_device
    from registry.models import DeviceKind
    from reporting.partitions import ensure_partitions, month_of, months_from
    from tests import factories as f

    enterprise: Any = f.EnterpriseFactory()
    facility: Any = f.FacilityFactory(enterprise=enterprise)
    ids = [
        register_device(
            enterprise=enterprise, kind=DeviceKind.STORAGE_SENSOR, name=f"s{n}", serial=f"S{n}", facility=facility
        )[0].pk
        for n in range(devices)
    ]
    now = timezone.now()
    start = now - timedelta(days=365)
    ensure_partitions(months_from(month_of(start), 14))
    per_device = 365 * 24 * 60 // every_minutes
    rows = devices * per_device
    generate = f"""
        SELECT d, start + make_interval(mins => n * {every_minutes}), 'r' || n, now(), 'http',
               (random() * 100)::numeric(14, 4), NULL, NULL, {facility.pk}, NULL
        FROM unnest(%s::bigint[]) d, generate_series(0, {per_device - 1}) n, (SELECT %s::timestamptz start) s
    """  # noqa: S608 (numbers only)
    columns = (
        "device_id, measured_at, reading_id, received_at, source, value, latitude, longitude, facility_id, manifest_id"
    )
    with connection.cursor() as cursor:
        seconds = _sql(cursor, f"INSERT INTO reporting_reading ({columns}) {generate}", [ids, start])
        result.add("layout: rows", f"{rows:,} ({devices} devices, every {every_minutes} min, one year)")
        result.add("partitioned: bulk insert", f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        cursor.execute("DROP TABLE IF EXISTS bench_reading_brin")
        cursor.execute("CREATE TABLE bench_reading_brin AS SELECT * FROM reporting_reading WITH NO DATA")
        cursor.execute("CREATE INDEX bench_brin_at ON bench_reading_brin USING brin (measured_at)")
        cursor.execute("CREATE UNIQUE INDEX bench_brin_id ON bench_reading_brin (device_id, reading_id)")
        # The BRIN layout's rows arrive in time order, as live readings do (out of order inserts would
        # widen its block ranges).
        ordered = generate + " ORDER BY 2"
        seconds = _sql(cursor, f"INSERT INTO bench_reading_brin ({columns}) {ordered}", [ids, start])
        result.add("BRIN table: bulk insert", f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        cursor.execute("ANALYZE reporting_reading")
        cursor.execute("ANALYZE bench_reading_brin")

        device = ids[len(ids) // 2]
        last_day = now - timedelta(days=1)
        batch = [f"r{n}" for n in range(per_device - BATCH, per_device)]
        window = now - timedelta(days=7)
        queries = {
            "latest reading of a device": (
                "SELECT value FROM {t} WHERE device_id = %s AND measured_at >= %s ORDER BY measured_at DESC LIMIT 1",
                [device, last_day],
            ),
            "a device's last 24 h": (
                "SELECT count(*), avg(value) FROM {t} WHERE device_id = %s AND measured_at >= %s",
                [device, last_day],
            ),
            "duplicate check of a batch of 50": (
                "SELECT reading_id FROM {t} WHERE device_id = %s AND measured_at >= %s AND reading_id = ANY(%s)",
                [device, window, batch],
            ),
            "every reading of the last hour": (
                "SELECT count(*) FROM {t} WHERE measured_at >= %s",
                [now - timedelta(hours=1)],
            ),
        }
        for label, (statement, params) in queries.items():
            partitioned = _median_ms(cursor, statement.format(t="reporting_reading"), params, repeat)
            brin = _median_ms(cursor, statement.format(t="bench_reading_brin"), params, repeat)
            result.add(f"{label} (ms)", f"partitioned {partitioned:.2f} · BRIN {brin:.2f}")
        cursor.execute(
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
            " WHERE inhparent = 'reporting_reading'::regclass"
        )
        partitioned_size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_total_relation_size('bench_reading_brin'), pg_relation_size('bench_brin_at'),"
            " pg_relation_size('bench_brin_id')"
        )
        brin_total, brin_index, unique_index = cursor.fetchone()
        result.add(
            "size",
            f"partitioned {partitioned_size / 2**20:,.0f} MiB · BRIN table {brin_total / 2**20:,.0f} MiB "
            f"(its BRIN index {brin_index / 2**10:,.0f} KiB, its unique btree {unique_index / 2**20:,.0f} MiB)",
        )
        started = time.perf_counter()
        cursor.execute("DELETE FROM bench_reading_brin WHERE measured_at < %s", [start + timedelta(days=31)])
        deleted = cursor.rowcount
        result.add(
            "drop the oldest month",
            f"BRIN table DELETE {deleted:,} rows: {time.perf_counter() - started:.1f} s; "
            "partitioned: DETACH + DROP, no row touched",
        )
        cursor.execute("DROP TABLE bench_reading_brin")
        cursor.execute("TRUNCATE reporting_reading")


def ingestion(result: common.Result, url: str, batches: int) -> None:
    import requests
    from django.utils import timezone

    from registry.devices import register_device
    from registry.models import DeviceKind
    from reporting.models import Reading
    from tests import factories as f

    enterprise: Any = f.EnterpriseFactory()
    facility: Any = f.FacilityFactory(enterprise=enterprise)
    devices = [
        register_device(
            enterprise=enterprise, kind=DeviceKind.STORAGE_SENSOR, name=f"i{n}", serial=f"I{n}", facility=facility
        )
        for n in range(20)
    ]

    def batches_for(tag: str):
        now = timezone.now()
        for b in range(batches):
            device, token = devices[b % len(devices)]
            readings = [
                {"id": f"{tag}-{b}-{n}", "at": (now - timedelta(seconds=n)).isoformat(), "value": "12.5"}
                for n in range(BATCH)
            ]
            yield device, token, {"readings": readings}

    env_extra = {"TELEMETRY_READINGS_PER_MINUTE": "100000000"}
    with _gunicorn(url, env_extra) as server:
        work = list(batches_for("h"))
        lock = threading.Lock()

        def worker():
            http = requests.Session()
            while True:
                with lock:
                    if not work:
                        return
                    device, token, body = work.pop()
                answer = http.post(
                    f"{server}/api/v1/telemetry/readings/",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                answer.raise_for_status()

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    stored = Reading.objects.filter(source="http").count()
    result.add(
        "HTTP ingestion",
        f"{stored:,} readings in {seconds:.1f} s: {stored / seconds:,.0f} readings/s "
        f"(batches of {BATCH}, 4 clients, 2 gunicorn workers)",
    )

    if not shutil.which("mosquitto"):
        result.add("MQTT ingestion", "skipped: mosquitto not installed")
        return
    import paho.mqtt.client as mqtt

    port = common.free_port()
    mqtt_url = f"mqtt://wasteparks-consumer:bench-only@127.0.0.1:{port}"
    broker_dir = Path(tempfile.mkdtemp())
    env = common.django_env(url, MQTT_URL=mqtt_url, **env_extra)
    subprocess.run(
        [common.PYTHON, "manage.py", "write_broker_config", "--skip-checks",
         "--dir", str(broker_dir), "--port", str(port)],
        cwd=common.ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    broker = subprocess.Popen(["mosquitto", "-c", str(broker_dir / "mosquitto.conf")], stderr=subprocess.DEVNULL)
    time.sleep(1)
    consumer = subprocess.Popen(
        [common.PYTHON, "manage.py", "consume_readings", "--skip-checks"],
        cwd=common.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # Publish only once the consumer has subscribed: the broker keeps nothing for a subscriber it has
    # not met yet.
    for line in consumer.stdout:  # type: ignore[union-attr]
        if line.strip() == "subscribed":
            break
    try:
        clients = {}
        for device, token in devices:
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device.mqtt_username)
            client.username_pw_set(device.mqtt_username, token)
            client.connect("127.0.0.1", port)
            client.loop_start()
            clients[device.pk] = client
        started = time.perf_counter()
        expected = batches * BATCH
        for device, _token, body in batches_for("m"):
            clients[device.pk].publish(f"wasteparks/devices/{device.mqtt_username}/readings", json.dumps(body), qos=1)
        deadline = time.monotonic() + 600
        while Reading.objects.filter(source="mqtt").count() < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        stored = Reading.objects.filter(source="mqtt").count()
        result.add(
            "MQTT ingestion",
            f"{stored:,} readings in {seconds:.1f} s: {stored / seconds:,.0f} readings/s "
            f"(batches of {BATCH}, 20 devices, one consumer)",
        )
        for client in clients.values():
            client.loop_stop()
            client.disconnect()
    finally:
        consumer.terminate()
        broker.terminate()
        consumer.wait(10)
        broker.wait(10)


class _Printing(common.Result):
    """Prints each figure as it comes too: a long run shows its progress."""

    def add(self, label: str, value) -> None:
        super().add(label, value)
        print(f"  {label}: {self.rows[-1][1]}", flush=True)


class _gunicorn:
    """common.gunicorn with extra environment (the per-device allowance raised out of the way)."""

    def __init__(self, url: str, extra: dict):
        self.url, self.extra = url, extra

    def __enter__(self) -> str:
        saved = {key: os.environ.get(key) for key in self.extra}
        os.environ.update(self.extra)
        self._context = common.gunicorn(self.url, workers=2)
        server = self._context.__enter__()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
        return server.base

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


def scan(result: common.Result, repeat: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from registry.demo import load_demo
    from reporting.partitions import ensure_partitions, month_of, months_from
    from reporting.simulator import ensure_demo_devices
    from reporting.warnings import engine
    from reporting.warnings.rules import DEVICE_RULES

    load_demo()
    devices = ensure_demo_devices(Path(tempfile.mkdtemp()) / "tokens.json")
    minute_devices = [
        d.pk for d, _t in devices if d.kind in ("thermometer", "storage_sensor") and d.serial != "SIM-LS-02"
    ]
    now = timezone.now()
    start = now - timedelta(days=365)
    ensure_partitions(months_from(month_of(start), 14))
    with connection.cursor() as cursor:
        seconds = _sql(
            cursor,
            """INSERT INTO reporting_reading
                      (device_id, measured_at, reading_id, received_at, source, value, facility_id)
               SELECT d.id, %s + make_interval(mins => n), 'y' || n, now(), 'mqtt',
                      CASE WHEN d.kind = 'thermometer' THEN 3 + random() ELSE 40 + random() END, d.facility_id
               FROM registry_device d, generate_series(0, 525599) n WHERE d.id = ANY(%s)""",
            [start, minute_devices],
        )
        cursor.execute("ANALYZE reporting_reading")
        cursor.execute("SELECT count(*) FROM reporting_reading")
        rows = cursor.fetchone()[0]
    result.add(
        "scan: demo park year", f"{rows:,} readings of {len(minute_devices)} devices inserted in {seconds:.1f} s"
    )
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        engine.run_rules(rules=DEVICE_RULES)
        timings.append(time.perf_counter() - started)
    result.add("device rules scan (6 rules)", f"median {statistics.median(timings) * 1000:,.0f} ms over {repeat} runs")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/wasteparks_bench_telemetry")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--every-minutes", type=int, default=10)
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    prepare(args.database_url)
    common.setup_django(args.database_url)
    result = _Printing("B7 telemetry", scale=f"{args.devices} devices every {args.every_minutes} min")
    result.add("machine", common.machine())
    result.add("load average before", common.load_average())
    layout(result, args.devices, args.every_minutes, args.repeat)
    ingestion(result, args.database_url, args.batches)
    scan(result, args.repeat)
    result.add("load average after", common.load_average())
    result.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
