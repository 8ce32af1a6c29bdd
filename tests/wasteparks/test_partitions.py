"""Time partitions (docs/scaling.md, "Time partitions"): the ledger, the signature and warning trails by
year, the outbox by month, made ahead by a daily job; rows land in their period's partition and a row no
partition covers in the default one; the keys and references the foreign keys gave still hold (on SQLite
too, where nothing is partitioned); years past the retention are detached, the live ones never."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings as project_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from reporting.models import WarningEvent
from tests import factories as f
from tests.reporting.views_seed import overdue_manifest
from tests.transfers.factories import generate
from transfers import services
from transfers.models import Container, LedgerEntry, LedgerStage, ManifestEvent
from transfers.services.containers import label_containers, new_code
from transfers.services.ledger import reverse_ledger_entry
from wasteparks import audit, partitions
from wasteparks.models import AuditLink, DetachedPartition, OutboxMessage
from wasteparks.partitions import LEDGER, MANIFEST_EVENTS, OUTBOX, WARNING_EVENTS

pytestmark = pytest.mark.django_db

HW = "900-249-08"
GROWING = (LEDGER, MANIFEST_EVENTS, WARNING_EVENTS, OUTBOX)
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")
sqlite_only = pytest.mark.skipif(connection.vendor == "postgresql", reason="the embedded default's behaviour")


@pytest.fixture(autouse=True)
def _partitions_made_in_a_test_are_forgotten_with_it():
    """A partition made inside a test goes with its rolled-back transaction; the process must not think
    it is still there."""
    for spec in partitions.TABLES:
        partitions.forget(spec)
    yield
    for spec in partitions.TABLES:
        partitions.forget(spec)


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def name_of(spec, period: date) -> str:
    """A partition's name: its table's, then its UTC year (and month)."""
    return f"{spec.table}_y{period:%Y}" + (f"m{period:%m}" if spec.unit == "month" else "")


def partition_holding(table: str, pk: int) -> str:
    [(name,)] = sql(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
    return name


def attached(spec) -> list[str]:
    return [partition.name for partition in partitions.partitions_of(spec)]


def refused_at_commit(write) -> IntegrityError:
    """Run `write` and check the deferred constraints as a commit would; returns the refusal."""
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        write()
        connection.check_constraints()
    return refusal.value


def detach(*arguments: str) -> str:
    out = StringIO()
    call_command("detach_partitions", *arguments, stdout=out)
    return out.getvalue()


@pytest.fixture
def entry(preparer_x, x_store):
    return generate(actor=preparer_x, facility=x_store, code=HW, quantity="12")


def entry_at(preparer_x, x_store, at: datetime, quantity: str = "5") -> LedgerEntry:
    return services.record_ledger_entry(
        actor=preparer_x,
        enterprise=x_store.enterprise,
        facility=x_store,
        waste_code=f.waste_code(HW),
        stage=LedgerStage.GENERATED,
        quantity_t=Decimal(quantity),
        occurred_at=at,
    )


# --- The layout and the daily job -------------------------------------------------------------------


@postgres_only
def test_every_endless_table_is_partitioned_by_its_time_column_in_years_or_months():
    for spec in GROWING:
        [(strategy, column)] = sql(
            "SELECT p.partstrat, a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
            "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE p.partrelid = %s::regclass",
            [spec.table],
        )
        assert (strategy, column) == ("r", spec.column), spec.table
        found = partitions.partitions_of(spec)
        assert found[-1].name == spec.default_partition and found[-1].is_default
        for partition in found[:-1]:
            assert partition.start is not None and partition.end is not None
            assert partition.name == name_of(spec, partition.start.date())
            assert partition.end.date() == spec.periods_from(partition.start.date(), 2)[1]


@postgres_only
def test_the_daily_job_makes_this_period_and_those_ahead_and_a_second_run_makes_nothing(settings):
    settings.PARTITIONS_AHEAD = 4
    settings.TELEMETRY_PARTITIONS_AHEAD = 4
    assert project_settings.CELERY_BEAT_SCHEDULE["create-partitions-daily"]["task"] == (
        partitions.create_partitions.name
    )
    now = timezone.now()

    made = partitions.create_partitions()

    for spec in (*GROWING, partitions.READINGS):
        wanted = [name_of(spec, period) for period in spec.periods_from(spec.period_of(now), 5)]
        assert set(wanted) <= set(made) and set(wanted) <= set(attached(spec)), spec.table
    before = {spec.table: attached(spec) for spec in partitions.TABLES}
    for spec in partitions.TABLES:
        partitions.forget(spec)  # as a worker freshly started would
    assert sorted(partitions.create_partitions()) == sorted(made)
    assert {spec.table: attached(spec) for spec in partitions.TABLES} == before


@sqlite_only
def test_on_the_embedded_database_the_job_and_the_detach_command_do_nothing():
    assert partitions.create_partitions() == []
    assert partitions.partitions_of(LEDGER) == []
    assert "Nothing is partitioned" in detach("--before", "2000")


@postgres_only
def test_the_function_refuses_a_table_it_does_not_partition():
    with pytest.raises(DatabaseError, match="not a table partitioned by time"), transaction.atomic():
        sql("SELECT wasteparks_ensure_partition('registry_user', '2030-01-01')")


# --- Where rows land ----------------------------------------------------------------------------------


@postgres_only
def test_a_preparers_entry_a_signature_a_warnings_history_and_a_queued_mail_land_in_their_periods_partition(
    entry, hazardous_draft, advance
):
    manifest = overdue_manifest(hazardous_draft, advance)
    event = ManifestEvent.objects.filter(manifest=manifest).latest("pk")
    warning_event = WarningEvent.objects.latest("pk")
    message = OutboxMessage.objects.create(task="registry.tasks.purge_idempotency_records")

    assert partition_holding(LEDGER.table, entry.pk) == name_of(LEDGER, LEDGER.period_of(entry.occurred_at))
    assert partition_holding(MANIFEST_EVENTS.table, event.pk) == name_of(
        MANIFEST_EVENTS, MANIFEST_EVENTS.period_of(event.at)
    )
    assert partition_holding(WARNING_EVENTS.table, warning_event.pk) == name_of(
        WARNING_EVENTS, WARNING_EVENTS.period_of(warning_event.at)
    )
    assert partition_holding(OUTBOX.table, message.pk) == name_of(OUTBOX, OUTBOX.period_of(message.created_at))


@postgres_only
def test_a_preparers_entry_back_dated_before_the_earliest_year_lands_in_the_default_partition(preparer_x, x_store):
    old = entry_at(preparer_x, x_store, datetime(2001, 6, 1, tzinfo=UTC))
    assert partition_holding(LEDGER.table, old.pk) == LEDGER.default_partition
    assert LedgerEntry.objects.get(pk=old.pk).quantity_t == Decimal("5")


@postgres_only
def test_the_job_asked_for_a_year_whose_rows_wait_in_the_default_partition_says_so(preparer_x, x_store):
    entry_at(preparer_x, x_store, datetime(2001, 6, 1, tzinfo=UTC))
    with pytest.raises(IntegrityError, match="already lie in its default partition"), transaction.atomic():
        partitions.ensure_partitions(LEDGER, [date(2001, 3, 1)])
    assert name_of(LEDGER, date(2001, 1, 1)) not in attached(LEDGER)


@postgres_only
def test_a_table_stuck_on_its_default_partition_does_not_keep_the_others_from_their_years(
    settings, preparer_x, x_store
):
    """A row dated three years ahead (written past the services, which refuse a future time) waits in the
    ledger's default partition: the job cannot make that year, says so, and makes every other table's."""
    settings.PARTITIONS_AHEAD = 3
    ahead = timezone.now() + timedelta(days=3 * 366)
    LedgerEntry.objects.create(
        enterprise=x_store.enterprise,
        facility=x_store,
        waste_code=f.waste_code(HW),
        stage=LedgerStage.GENERATED,
        quantity_t=Decimal("1"),
        occurred_at=ahead,
        recorded_by=preparer_x,
    )

    with pytest.raises(partitions.PartitionsNotMade, match="transfers_ledgerentry: partition .* not made"):
        partitions.create_partitions()

    assert name_of(LEDGER, LEDGER.period_of(ahead)) not in attached(LEDGER)
    assert name_of(MANIFEST_EVENTS, MANIFEST_EVENTS.period_of(ahead)) in attached(MANIFEST_EVENTS)
    assert name_of(OUTBOX, OUTBOX.period_of(timezone.now())) in attached(OUTBOX)
    assert LedgerEntry.objects.filter(occurred_at=ahead).exists()


# --- Keys and references ------------------------------------------------------------------------------


def test_a_preparers_reversal_of_an_entry_already_reversed_is_refused(entry, preparer_x):
    reversal = reverse_ledger_entry(entry=entry, actor=preparer_x, reason="typed twice")

    def second_reversal():
        LedgerEntry.objects.create(
            enterprise=entry.enterprise,
            facility=entry.facility,
            waste_code=entry.waste_code,
            stage=entry.stage,
            quantity_t=-entry.quantity_t,
            occurred_at=entry.occurred_at,
            recorded_by=preparer_x,
            reverses=entry,
        )

    refused_at_commit(second_reversal)
    assert list(LedgerEntry.objects.filter(reverses=entry)) == [reversal]


def test_a_reversal_naming_a_missing_entry_or_another_time_than_its_entry_is_refused(entry, preparer_x):
    def reversal(of: int, at: datetime):
        return lambda: LedgerEntry.objects.create(
            enterprise=entry.enterprise,
            facility=entry.facility,
            waste_code=entry.waste_code,
            stage=entry.stage,
            quantity_t=-entry.quantity_t,
            occurred_at=at,
            recorded_by=preparer_x,
            reverses_id=of,
        )

    missing = refused_at_commit(reversal(entry.pk + 10**9, entry.occurred_at))
    assert "existing ledger entry" in str(missing)
    refused_at_commit(reversal(entry.pk, entry.occurred_at - timedelta(hours=1)))
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


def test_a_container_naming_a_missing_ledger_entry_is_refused(entry, preparer_x):
    [container] = label_containers(
        entry=entry, actor=preparer_x, weights=[Decimal("12")], packaging_type="drum", physical_form="liquid"
    )
    missing = entry.pk + 10**9

    def relabel_onto_nothing():
        Container.objects.filter(pk=container.pk).update(ledger_entry_id=missing)

    def label_nothing():
        container.pk, container.code, container.ledger_entry_id = None, new_code(), missing
        container.save()

    assert "existing ledger entry" in str(refused_at_commit(relabel_onto_nothing))
    refused_at_commit(label_nothing)
    assert list(Container.objects.values_list("ledger_entry_id", flat=True)) == [entry.pk]


@postgres_only
def test_a_partitioned_ledger_row_stays_append_only_and_gets_its_change_version(entry):
    for statement in (
        "UPDATE transfers_ledgerentry SET quantity_t = 1 WHERE id = %s",
        "DELETE FROM transfers_ledgerentry WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="tamper evidence"), transaction.atomic():
            sql(statement, [entry.pk])
    [(version, own)] = sql(
        "SELECT sync_version, pg_current_xact_id()::text::bigint FROM transfers_ledgerentry WHERE id = %s",
        [entry.pk],
    )
    assert version == own  # stamped by the trigger in the transaction that wrote it


# --- Detaching after the retention ------------------------------------------------------------------


@pytest.fixture
def year_2010(preparer_x, x_store):
    """An entry of 2010, in its own year's partition, linked in the audit chain."""
    partitions.ensure_partitions(LEDGER, [date(2010, 1, 1)])
    return entry_at(preparer_x, x_store, datetime(2010, 6, 1, tzinfo=UTC))


@postgres_only
def test_an_operator_cannot_detach_inside_the_retention_and_nothing_is_touched(year_2010, entry):
    before = {spec.table: attached(spec) for spec in GROWING}
    with pytest.raises(CommandError, match="Refused, nothing was detached: transfers_ledgerentry keeps its rows since"):
        detach("--before", str(timezone.now().year))
    # The outbox keeps its messages for OUTBOX_RETENTION_MONTHS: this month's are not let go either.
    with pytest.raises(
        CommandError, match="Refused, nothing was detached: wasteparks_outboxmessage keeps its rows since"
    ):
        detach("--before", f"{timezone.now():%Y-%m}", "--table", OUTBOX.table)
    assert {spec.table: attached(spec) for spec in GROWING} == before
    assert not DetachedPartition.objects.exists()


@postgres_only
def test_an_operator_detaches_a_year_past_the_retention_and_the_live_years_stay(year_2010, entry):
    live = [name for name in attached(LEDGER) if name != name_of(LEDGER, date(2010, 1, 1))]

    out = detach("--before", "2011", "--table", LEDGER.table)

    assert "detached transfers_ledgerentry_y2010 from transfers_ledgerentry: 2010-01-01 to 2011-01-01, 1 row(s)" in out
    assert attached(LEDGER) == live
    assert not LedgerEntry.objects.filter(pk=year_2010.pk).exists()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    # Out of the table, not gone: the row waits in a table of its own for its dump, still append-only.
    assert sql("SELECT id FROM transfers_ledgerentry_y2010") == [(year_2010.pk,)]
    with pytest.raises(IntegrityError, match="tamper evidence"), transaction.atomic():
        sql("DELETE FROM transfers_ledgerentry_y2010")
    record = DetachedPartition.objects.get()
    assert (record.partition, record.rows, record.id_runs) == ("transfers_ledgerentry_y2010", 1, [[year_2010.pk] * 2])
    # The chain knows the row left with its partition: it is not reported as deleted.
    assert audit.verify() == []


@postgres_only
def test_an_entry_deleted_from_a_live_year_is_still_reported_after_a_detachment(year_2010, entry):
    detach("--before", "2011", "--table", LEDGER.table)
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # deferred checks would block ALTER TABLE
    sql("ALTER TABLE transfers_ledgerentry DISABLE TRIGGER wasteparks_append_only")
    sql("DELETE FROM transfers_ledgerentry WHERE id = %s", [entry.pk])
    sql("ALTER TABLE transfers_ledgerentry ENABLE TRIGGER wasteparks_append_only")
    link = AuditLink.objects.get(table="transfers.ledgerentry", row_id=entry.pk)
    assert audit.verify() == [f"transfers.ledgerentry #{entry.pk}: missing (audit link #{link.sequence})"]


@postgres_only
def test_a_dry_run_says_what_it_would_detach_and_detaches_nothing(year_2010):
    before = attached(LEDGER)
    out = detach("--before", "2011", "--dry-run")
    assert "would detach transfers_ledgerentry_y2010" in out
    assert attached(LEDGER) == before and not DetachedPartition.objects.exists()


@postgres_only
def test_a_year_whose_entry_a_container_still_names_is_not_detached(year_2010, preparer_x):
    label_containers(
        entry=year_2010, actor=preparer_x, weights=[Decimal("5")], packaging_type="drum", physical_form="liquid"
    )
    with pytest.raises(CommandError, match="row\\(s\\) of transfers_container still name its rows"):
        detach("--before", "2011")
    assert name_of(LEDGER, date(2010, 1, 1)) in attached(LEDGER)


@postgres_only
def test_the_default_partition_is_never_detached(preparer_x, x_store):
    old = entry_at(preparer_x, x_store, datetime(2001, 6, 1, tzinfo=UTC))
    out = detach("--before", "2016", "--table", LEDGER.table)
    assert "Nothing to detach" in out
    assert LEDGER.default_partition in attached(LEDGER)
    assert LedgerEntry.objects.filter(pk=old.pk).exists()


@postgres_only
def test_an_old_month_of_the_outbox_is_detached_unless_a_message_there_is_still_unsent():
    months_ago = timezone.now() - timedelta(days=200)
    month = OUTBOX.period_of(months_ago)
    partitions.ensure_partitions(OUTBOX, [month])
    waiting = OutboxMessage.objects.create(task="registry.tasks.purge_idempotency_records", created_at=months_ago)
    cut = OUTBOX.periods_from(month, 2)[1].strftime("%Y-%m")

    with pytest.raises(CommandError, match="still wait"):
        detach("--before", cut, "--table", OUTBOX.table)
    OutboxMessage.objects.filter(pk=waiting.pk).update(sent_at=timezone.now())
    assert f"detached {name_of(OUTBOX, month)}" in detach("--before", cut, "--table", OUTBOX.table)
    assert not OutboxMessage.objects.filter(pk=waiting.pk).exists()
