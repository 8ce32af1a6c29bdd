"""Booking another platform's records: each row mapped to our enterprise (by unified social credit code),
waste code and manifest (by number), or refused with its reason in the run's report.

A file whose columns are wrong is refused whole, with the column report and no row booked. Otherwise the
readable rows are booked and the rest reported, all in one transaction. A record is booked once per
(source, source record id): sending it again reports it unchanged and writes nothing; the same file sent
again for the same park returns its first run.
"""

import hashlib
import json
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from registry.models import Enterprise, Park, User, WasteCode
from registry.tenancy import scope_of
from transfers.models import Manifest

from ..models.imports import ImportedRecord, ImportOutcome, ImportRow, ImportRun, ImportRunStatus, ImportSource
from . import batteries
from .formats import Table, kind_of, read_table

# source -> its layout module (column_map, parse_row, WASTE_CODES); one platform so far.
LAYOUTS: dict[str, Any] = {ImportSource.BATTERIES: batteries}


def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@transaction.atomic
def import_file(*, source: str, park: Park, actor: User | None, file_name: str, content: bytes) -> ImportRun:
    """Read an uploaded or given file and book its rows (see import_records). Raises UnreadableFile for a
    file that cannot be read at all; nothing is written then."""
    kind = kind_of(file_name)
    table = read_table(content=content, kind=kind)
    return import_records(
        source=source, park=park, actor=actor, table=table, file_name=file_name, file_kind=kind,
        digest=digest_of(content),
    )  # fmt: skip


@transaction.atomic
def import_records(
    *, source: str, park: Park, actor: User | None, table: Table, file_name: str, file_kind: str, digest: str
) -> ImportRun:
    """Book `table`'s rows for `park`. `actor` is the officer importing (None for the scheduled pull and
    the management command, which act for the park's operator)."""
    if actor is not None:
        scope_of(actor).require_officer_of(park, _("Only the park's officers import platform records."))
    layout = LAYOUTS[source]
    # One import per park at a time: two officers sending the same file must not both book it.
    Park.objects.select_for_update().filter(pk=park.pk).first()
    earlier = ImportRun.objects.filter(park=park, source=source, digest=digest).first()
    if earlier is not None:
        return earlier
    run = ImportRun(
        park=park, source=source, file_name=file_name[:200], file_kind=file_kind, digest=digest, actor=actor
    )
    columns, problems = layout.column_map(table.header)
    if problems:
        run.status = ImportRunStatus.REFUSED
        run.column_report = "\n".join(problems)
        run.rows_total = len(table.rows)
        run.save()
        return run
    run.status = ImportRunStatus.DONE
    run.save()
    results = _book(run=run, layout=layout, rows=table.rows, columns=columns)
    ImportRow.objects.bulk_create(results)
    counts = Counter(row.outcome for row in results)
    run.rows_total = len(results)
    run.rows_imported = counts[ImportOutcome.IMPORTED]
    run.rows_unchanged = counts[ImportOutcome.UNCHANGED]
    run.rows_refused = counts[ImportOutcome.REFUSED]
    run.save(update_fields=["rows_total", "rows_imported", "rows_unchanged", "rows_refused", "updated_at"])
    return run


def _book(*, run: ImportRun, layout, rows: list[dict[str, str]], columns: dict[str, str]) -> list[ImportRow]:
    parsed: list[tuple[int, Any, str]] = []  # (row number as in the file, record or None, reason)
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            parsed.append((number, layout.parse_row(row, columns), ""))
        except layout.RowProblem as problem:
            parsed.append((number, None, str(problem)))
    records = [record for _number, record, _reason in parsed if record is not None]
    # Two rows with one id cannot both be right and we cannot tell which is: refuse every copy.
    seen = Counter(record.record_id for record in records)
    codes = {record.enterprise_credit_code for record in records} | {r.receiver_credit_code for r in records}
    enterprises = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes - {""})}
    waste_codes = {w.code: w for w in WasteCode.objects.filter(code__in=layout.WASTE_CODES, active=True)}
    numbers = {record.manifest_number for record in records if record.manifest_number}
    manifests = {m.number: m for m in Manifest.objects.filter(number__in=numbers)}
    existing = {
        r.source_record_id: r for r in ImportedRecord.objects.filter(source=run.source, source_record_id__in=list(seen))
    }
    results: list[ImportRow] = []
    for (number, record, reason), raw in zip(parsed, rows, strict=True):
        # An unreadable row still shows the id it carries, so the officer can find it in the export.
        given = record.record_id if record else raw.get(columns.get("record_id", ""), "")[:64]
        outcome_row = ImportRow(run=run, row_no=number, source_record_id=given)
        if record is None:
            outcome_row.outcome, outcome_row.reason = ImportOutcome.REFUSED, reason[:300]
        else:
            outcome_row.outcome, outcome_row.reason, outcome_row.record = _map(
                run=run, record=record, duplicates=seen, enterprises=enterprises, waste_codes=waste_codes,
                manifests=manifests, existing=existing,
            )  # fmt: skip
        results.append(outcome_row)
    return results


def _map(*, run, record, duplicates, enterprises, waste_codes, manifests, existing) -> tuple[str, str, Any]:
    """(outcome, reason, booked record or None) for one readable row."""
    refused = ImportOutcome.REFUSED
    if duplicates[record.record_id] > 1:
        return refused, _("Record id %(id)s appears more than once in this file.") % {"id": record.record_id}, None
    enterprise = enterprises.get(record.enterprise_credit_code)
    # One reason for "unknown" and "another park's": the report must not tell an officer what is
    # registered in a park they do not supervise.
    if enterprise is None or enterprise.park_id != run.park_id:
        return (
            refused,
            _("No enterprise with credit code %(code)s is registered in this park.")
            % {"code": record.enterprise_credit_code},
            None,
        )
    waste_code = waste_codes.get(record.waste_code)
    if waste_code is None:
        reason = _("Waste code %(code)s is not one this platform's records may carry.")
        return refused, reason % {"code": record.waste_code}, None
    manifest = None
    if record.manifest_number:
        manifest = manifests.get(record.manifest_number)
        if manifest is None or manifest.consignor_id != enterprise.pk:
            return (
                refused,
                _("No manifest numbered %(number)s was sent by this enterprise.") % {"number": record.manifest_number},
                None,
            )
    fingerprint = _fingerprint(record)
    earlier = existing.get(record.record_id)
    if earlier is not None:
        if earlier.fingerprint != fingerprint or earlier.park_id != run.park_id:
            return (
                refused,
                _("Record %(id)s was imported before with other content; corrections are not applied.")
                % {"id": record.record_id},
                None,
            )
        return ImportOutcome.UNCHANGED, "", earlier
    receiver = enterprises.get(record.receiver_credit_code)
    booked = ImportedRecord.objects.create(
        source=run.source,
        source_record_id=record.record_id,
        park_id=run.park_id,
        kind=record.kind,
        occurred_on=record.occurred_on,
        enterprise=enterprise,
        receiver=receiver,
        receiver_credit_code=record.receiver_credit_code[:18],
        waste_code=waste_code,
        quantity_t=record.quantity_t,
        manifest=manifest,
        fingerprint=fingerprint,
    )
    return ImportOutcome.IMPORTED, "", booked


def _fingerprint(record) -> str:
    fields = {key: str(value) for key, value in vars(record).items()}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
