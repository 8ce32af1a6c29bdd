"""The officers' dashboard: the queries behind it, each a fixed number of SQL statements.

Utilization figures come from the monthly snapshots (reporting.services.utilization writes them), never
from the ledger, so the page costs the same whatever the park's activity. The rolling 12 months are
added up by `UtilizationSnapshot.objects.window_totals()` and their rates come from `rates_of()`: sums
of numerators over sums of denominators (DESIGN 5.6).
The Sankey and the reporting compliance aggregate manifests and reports in SQL. The two figures that
read a year of manifests and ledger entries (the Sankey's flows and the CO2e figures) are read at most
every DASHBOARD_AGGREGATES_CACHE_SECONDS per subject, and the page says when they were read.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Division, Enterprise, Park, WasteClass
from registry.rules import ReportKind, filing_deadline, periods_being_filed
from registry.tenancy import among
from transfers.models import ManifestLine, ManifestStatus
from wasteparks import jobs, outbox
from wasteparks.periods import Period, local_date

from ..carbon.figures import SubjectCarbon, carbon_of
from ..models.reports import MonthlyReport
from ..models.utilization import SnapshotScope, UtilizationSnapshot, rate_note_text, rate_pct, rates_of, window_note
from ..models.warnings import Severity, Warning

ZERO = Decimal("0")
# The trend and the rolling rate cover the same months: the rolling 12 months ending with this one.
TREND_MONTHS = 12
# Beyond this many flows the diagram is unreadable; the smallest are left out (and said so).
SANKEY_MAX_LINKS = 40
# Enterprises named in the reporting compliance card; the rest are counted (their warnings list them).
COMPLIANCE_LISTED = 30
# Manifests that moved waste (a draft or a cancelled one did not).
MOVED = (ManifestStatus.IN_TRANSIT, ManifestStatus.RECEIVED, ManifestStatus.COMPLETED)


@dataclass(frozen=True)
class Subject:
    """Whose figures: one park, or a whole province."""

    scope: str  # SnapshotScope.PARK or SnapshotScope.PROVINCE
    key: str  # the snapshots' subject_key
    name: str
    park: Park | None = None
    province_code: str = ""
    target_pct: Decimal | None = None

    @classmethod
    def of_park(cls, park: Park) -> "Subject":
        return cls(
            scope=SnapshotScope.PARK,
            key=f"park:{park.pk}",
            name=park.name,
            park=park,
            province_code=park.division.province_code,
            target_pct=park.utilization_target_pct,
        )

    @classmethod
    def of_province(cls, province_code: str) -> "Subject":
        division = Division.objects.filter(code=province_code).only("name_zh", "name_en").first()
        name = division.name if division else province_code
        return cls(
            scope=SnapshotScope.PROVINCE, key=f"province:{province_code}", name=name, province_code=province_code
        )

    def enterprises(self):
        if self.park is not None:
            return Enterprise.objects.filter(park=self.park)
        return Enterprise.objects.filter(park__in=Park.objects.in_province(self.province_code))


@dataclass
class Dashboard:
    subject: Subject
    period: Period  # the current month
    months: list[str]
    this_month: list[dict]
    trend: list[dict]
    rolling_rate_pct: Decimal | None
    warnings: dict[str, int]
    compliance: dict
    flows: dict
    carbon: dict  # {"figures": SubjectCarbon over the rolling window, "as_of": when they were read}
    parks: list[dict] = field(default_factory=list)
    rolling_rate_note: str = ""  # why the rolling rate is withheld, in words ("" when it is not)
    computed_at: datetime | None = None  # when the subject's newest figures were computed (None: never)


def _float(value) -> float | None:
    return None if value is None else float(value)


def _figures(rows, subject_key: str, window: Period) -> tuple[list[dict], list[dict]]:
    """This month's figures per class and the trend over the window per class, from one subject's class
    rows (already fetched)."""
    by_class: dict[str, dict[int, UtilizationSnapshot]] = defaultdict(dict)
    for row in rows:
        if row.subject_key == subject_key:
            by_class[row.waste_class][row.month_index] = row
    this_month, trend = [], []
    for waste_class, label in WasteClass.choices:
        months = by_class.get(waste_class, {})
        if not months:
            continue
        current = months.get(window.last_index)
        this_month.append(
            {
                "waste_class": waste_class,
                "label": label,
                "generated": current.generated_t if current else ZERO,
                "utilized": current.utilized_t if current else ZERO,
                "disposed": current.disposed_t if current else ZERO,
                "stored": current.stored_end_t if current else ZERO,
                "rate": current.rate_pct if current else None,
                "rate_note": current.rate_withheld_text if current else "",
            }
        )
        points = []
        for month in window.months():
            row = months.get(month.first_index)
            points.append(
                {
                    "month": str(month),
                    "generated": row.generated_t if row else ZERO,
                    "utilized": row.utilized_t if row else ZERO,
                    "disposed": row.disposed_t if row else ZERO,
                    "stored": row.stored_end_t if row else ZERO,
                }
            )
        trend.append({"waste_class": waste_class, "label": label, "points": points})
    return this_month, trend


def _subjects(subject: Subject, *, with_parks: bool) -> Q:
    """The subject's class rows (all categories), and for a province each of its parks' too."""
    condition = Q(subject_key=subject.key)
    if with_parks:
        condition |= Q(scope=SnapshotScope.PARK, province_code=subject.province_code)
    return condition & Q(category_code="")


def _snapshot_rows(*, subject: Subject, window: Period, with_parks: bool) -> list[UtilizationSnapshot]:
    """One query: the subject's class rows for the window, and for a province the rows of each of its
    parks too (for the comparison table)."""
    return list(
        UtilizationSnapshot.objects.filter(_subjects(subject, with_parks=with_parks))
        .for_period(window)
        .only(
            "subject_key",
            "park_id",
            "waste_class",
            "month_index",
            "generated_t",
            "utilized_t",
            "disposed_t",
            "stored_end_t",
            "utilized_from_prior_storage_t",
            "treated_from_prior_storage_t",
            "utilization_rate_pct",
            "utilization_disposal_rate_pct",
            "rate_note",
            "computed_at",
        )
        .order_by()
    )


def _window_totals(*, subject: Subject, window: Period, with_parks: bool) -> dict[tuple[str, str], dict]:
    """One query: the window's totals per (subject key, waste class) of the subject, and for a province
    of each of its parks."""
    rows = UtilizationSnapshot.objects.filter(_subjects(subject, with_parks=with_parks)).window_totals(
        window, "subject_key", "waste_class"
    )
    return {(row["subject_key"], row["waste_class"]): row for row in rows}


def _general_rate(totals: dict[tuple[str, str], dict], subject_key: str) -> Decimal | None:
    """The rolling rate of general industrial solid waste (the national statistics definition, DESIGN 5.6)."""
    general = totals.get((subject_key, WasteClass.GENERAL))
    return rates_of(general)[0] if general is not None else None


def _general_rate_note(totals: dict[tuple[str, str], dict], subject_key: str) -> str:
    """Why `_general_rate` is withheld, in words ("" when it is not)."""
    general = totals.get((subject_key, WasteClass.GENERAL))
    return rate_note_text(window_note(general)) if general is not None else ""


def open_warnings_by_severity(subject: Subject) -> dict[str, int]:
    warnings = Warning.objects.live()
    if subject.park is not None:
        warnings = warnings.filter(park=subject.park)
    else:
        warnings = warnings.filter(park__in=Park.objects.in_province(subject.province_code))
    counts = dict(warnings.order_by().values_list("severity").annotate(n=Count("pk")))
    return {severity: counts.get(severity, 0) for severity in reversed(Severity.values)}


def _must_report(enterprises, period: Period):
    """The enterprises that must file `period` (`must_file`, the rule the reminders and REPORT_MISSING
    use too), each annotated with whether it filed and whether late."""
    reports = MonthlyReport.objects.for_period(period).filed().filter(enterprise=OuterRef("pk"))
    return enterprises.must_file(period).annotate(
        filed=Exists(reports), filed_late=Exists(reports.filter(is_late=True))
    )


def compliance(subject: Subject, *, now: datetime | None = None) -> dict:
    """Who filed the reports being filed now: of each kind (monthly, quarterly, annual) the latest period
    that has ended, owed by whom `must_file` names. One query per kind. Each row is one report owed; an
    enterprise owing two (a key site's monthly and annual reports) is listed for each."""
    today = local_date(now)
    duties: list[dict] = []
    on_time = 0
    late: list[dict] = []
    missing: list[dict] = []
    for period in periods_being_filed(today):
        deadline = filing_deadline(period)
        duty = {"period": str(period), "report": ReportKind(period.length).label, "deadline": deadline,
                "deadline_passed": today > deadline}  # fmt: skip
        owed = (
            _must_report(subject.enterprises(), period)
            .order_by("name")
            .values_list("pk", "name", "filed", "filed_late")
        )
        due = filed = 0
        # A park owes hundreds of reports: rows are made only for those listed (missing or late).
        for pk, name, was_filed, was_late in owed:
            due += 1
            filed += was_filed
            if was_filed and not was_late:
                on_time += 1
                continue
            (late if was_late else missing).append(
                {"pk": pk, "name": name, "filed": was_filed, "filed_late": was_late, **duty}
            )
        duties.append({**duty, "due": due, "filed": filed})
    missing_shown = missing[:COMPLIANCE_LISTED]
    late_shown = late[: COMPLIANCE_LISTED - len(missing_shown)]
    monthly = duties[0]
    due = sum(duty["due"] for duty in duties)
    return {
        # The monthly reports' period and deadline, the ones most often asked about.
        "period": monthly["period"],
        "deadline": monthly["deadline"],
        "deadline_passed": monthly["deadline_passed"],
        "duties": duties,
        "due": due,
        "on_time": on_time,
        "late": late,
        "missing": missing,
        # The names listed on the page: missing first, then late, at most COMPLIANCE_LISTED in all.
        "missing_shown": missing_shown,
        "late_shown": late_shown,
        "unlisted": len(missing) + len(late) - len(missing_shown) - len(late_shown),
        "filed_pct": rate_pct(Decimal(on_time + len(late)), Decimal(due)),
    }


def cached_aggregate(key: str, read: Callable[[], dict]) -> dict:
    """`read()`'s answer, a dict with its `as_of`, read again at most every DASHBOARD_AGGREGATES_CACHE_SECONDS
    for this key. For the dashboard's aggregates over a year of rows; the rest of the page reads snapshots."""
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = read()
    if settings.DASHBOARD_AGGREGATES_CACHE_SECONDS:
        cache.set(key, result, settings.DASHBOARD_AGGREGATES_CACHE_SECONDS)
    return result


def flows(subject: Subject, *, window: Period) -> dict:
    """Tonnes from each consignor to each receiver over the window, as Sankey nodes and links, with
    `as_of`, when they were read (at most every DASHBOARD_AGGREGATES_CACHE_SECONDS per subject and window)."""
    return cached_aggregate(
        f"dashboard-flows:{subject.key}:{window.first_index}", lambda: read_flows(subject, window=window)
    )


def carbon(subject: Subject, *, window: Period) -> dict:
    """CO2e avoided by the subject's utilization and emitted by its transport over the window, by the current
    factor edition (docs/carbon.md), with `as_of` (at most every DASHBOARD_AGGREGATES_CACHE_SECONDS)."""
    return cached_carbon(f"dashboard-carbon:{subject.key}", subject.enterprises().values("pk"), window)


def cached_carbon(key: str, enterprise_ids, period: Period) -> dict:
    """`carbon_of` the enterprises over the period as {"figures", "as_of"}, read at most every
    DASHBOARD_AGGREGATES_CACHE_SECONDS for this key and period (the dashboard's, an enterprise page's)."""

    def read() -> dict:
        figures: SubjectCarbon = carbon_of(enterprise_ids=enterprise_ids, period=period)
        return {"figures": figures, "as_of": timezone.now()}

    return cached_aggregate(f"{key}:{period.first_index}", read)


def read_flows(subject: Subject, *, window: Period) -> dict:
    """The flows picked up since the window began, read now (one aggregate query). Sources and targets
    are separate nodes, so an enterprise that both ships and receives draws no cycle."""
    lines = ManifestLine.objects.filter(manifest__status__in=MOVED, manifest__picked_up_at__gte=window.start)
    # A park's few hundred enterprises as a list of ids, which PostgreSQL can estimate (registry/tenancy.py).
    enterprises = subject.enterprises().order_by().values("pk")
    if subject.park is not None:
        enterprises = list(enterprises.values_list("pk", flat=True))
    lines = lines.filter(among("manifest__consignor", enterprises) | among("manifest__receiver", enterprises))
    rows = list(
        lines.order_by()
        .values(
            "manifest__consignor_id", "manifest__consignor__name", "manifest__receiver_id", "manifest__receiver__name"
        )
        .annotate(tonnes=Sum(Coalesce("received_quantity_t", "declared_quantity_t")))
        .order_by("-tonnes", "manifest__consignor_id", "manifest__receiver_id")
    )
    shown, left_out = rows[:SANKEY_MAX_LINKS], rows[SANKEY_MAX_LINKS:]
    nodes: dict[str, str] = {}
    links = []
    for row in shown:
        source, target = f"s{row['manifest__consignor_id']}", f"r{row['manifest__receiver_id']}"
        nodes[source] = row["manifest__consignor__name"]
        nodes[target] = row["manifest__receiver__name"]
        links.append(
            {
                "source": source,
                "target": target,
                "from": row["manifest__consignor__name"],
                "to": row["manifest__receiver__name"],
                "tonnes": row["tonnes"],
            }
        )
    return {
        "nodes": [{"name": key, "label": label} for key, label in nodes.items()],
        "links": links,
        "left_out": len(left_out),
        "total": sum((row["tonnes"] for row in rows), ZERO),
        "as_of": timezone.now(),
    }


def _park_comparison(
    subject: Subject,
    rows: list[UtilizationSnapshot],
    totals: dict[tuple[str, str], dict],
    window: Period,
    now: datetime | None,
) -> list[dict]:
    """Per park of the province: rolling rate vs target, generated this month and over the window, open
    critical warnings and reporting compliance. Three queries whatever the number of parks."""
    parks = list(Park.objects.in_province(subject.province_code).order_by("name"))
    generated: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        if row.month_index == window.last_index:
            generated[row.subject_key] += row.generated_t
    generated_window: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (subject_key, _waste_class), total in totals.items():
        generated_window[subject_key] += total["generated_t"]
    critical = dict(
        Warning.objects.live()
        .filter(severity=Severity.CRITICAL, park__in=Park.objects.in_province(subject.province_code))
        .order_by()
        .values_list("park_id")
        .annotate(n=Count("pk"))
    )
    # The reports being filed now, of every kind (as the compliance card counts them): one query a kind.
    due: dict[int, dict] = defaultdict(lambda: {"due": 0, "filed_count": 0})
    for period in periods_being_filed(local_date(now)):
        for row in (
            _must_report(subject.enterprises(), period)
            .order_by()
            .values("park_id")
            .annotate(due=Count("pk"), filed_count=Count("pk", filter=Q(filed=True)))
        ):
            due[row["park_id"]]["due"] += row["due"]
            due[row["park_id"]]["filed_count"] += row["filed_count"]
    result = []
    for park in parks:
        key = Subject.of_park(park).key
        rate = _general_rate(totals, key)
        counts = due[park.pk]
        result.append(
            {
                "park": park,
                "rate": rate,
                "rate_note": _general_rate_note(totals, key),
                "target": park.utilization_target_pct,
                "below_target": rate is not None and rate < park.utilization_target_pct,
                "gap": rate - park.utilization_target_pct if rate is not None else None,
                "generated": generated[key],
                "generated_12": generated_window[key],
                "critical": critical.get(park.pk, 0),
                "compliance": rate_pct(Decimal(counts["filed_count"]), Decimal(counts["due"])),
            }
        )
    return result


PARK_SORTS = {
    "park": lambda row: row["park"].name,
    "rate": lambda row: (row["rate"] is None, row["rate"] or ZERO),
    "gap": lambda row: (row["gap"] is None, row["gap"] or ZERO),
    "generated": lambda row: row["generated_12"],
    "critical": lambda row: row["critical"],
    "compliance": lambda row: (row["compliance"] is None, row["compliance"] or ZERO),
}


def sort_parks(rows: list[dict], sort: str) -> tuple[list[dict], str]:
    key = sort.removeprefix("-")
    if key not in PARK_SORTS:
        return rows, "park"
    return sorted(rows, key=PARK_SORTS[key], reverse=sort.startswith("-")), sort


def build_dashboard(subject: Subject, *, now: datetime | None = None) -> Dashboard:
    current = Period.containing(now)
    window = current.rolling(TREND_MONTHS)
    provincial = subject.scope == SnapshotScope.PROVINCE
    rows = _snapshot_rows(subject=subject, window=window, with_parks=provincial)
    totals = _window_totals(subject=subject, window=window, with_parks=provincial)
    this_month, trend = _figures(rows, subject.key, window)
    return Dashboard(
        subject=subject,
        period=current,
        months=[str(month) for month in window.months()],
        this_month=this_month,
        trend=trend,
        rolling_rate_pct=_general_rate(totals, subject.key),
        warnings=open_warnings_by_severity(subject),
        compliance=compliance(subject, now=now),
        flows=flows(subject, window=window),
        carbon=carbon(subject, window=window),
        parks=_park_comparison(subject, rows, totals, window, now) if provincial else [],
        rolling_rate_note=_general_rate_note(totals, subject.key),
        computed_at=max((row.computed_at for row in rows if row.subject_key == subject.key), default=None),
    )


def chart_data(dashboard: Dashboard, labels: dict) -> dict:
    """What static/js/dashboard.js draws, as plain JSON (numbers as floats)."""
    return {
        "labels": labels,
        "gauge": {"rate": _float(dashboard.rolling_rate_pct), "target": _float(dashboard.subject.target_pct)},
        "months": dashboard.months,
        # The last month is the current one, still filling: said on its axis label, so that the first
        # morning of a month is never read as the park's output collapsing to nothing.
        "month_labels": [*dashboard.months[:-1], _("%(month)s so far") % {"month": dashboard.months[-1]}],
        "trend": [
            {
                "waste_class": series["waste_class"],
                "label": str(series["label"]),
                **{
                    figure: [_float(point[figure]) for point in series["points"]]
                    for figure in ("generated", "utilized", "disposed", "stored")
                },
            }
            for series in dashboard.trend
        ],
        "sankey": {
            "nodes": dashboard.flows["nodes"],
            "links": [
                {"source": link["source"], "target": link["target"], "value": _float(link["tonnes"])}
                for link in dashboard.flows["links"]
            ],
        },
    }


# --- recompute with progress ----------------------------------------------------------------------


@transaction.atomic
def start_park_recompute(*, park: Park, period: Period) -> str:
    """Queue a recompute of one park and month through the outbox and return the task id the progress
    page follows. Validates at once (a clear error for the caller)."""
    from ..tasks.utilization import recompute_park_period
    from .utilization import check_period, resolve_park

    resolve_park(park.pk)
    check_period(year=period.year, month=period.month)
    return str(outbox.enqueue(recompute_park_period, park.pk, period.year, period.month).task_id)


@transaction.atomic
def start_recompute(*, park: Park, period: Period, whole_year: bool = False, whole_province: bool = False) -> str:
    """Queue an officer's recompute and return the task id the progress page follows: the month of
    `period` or (whole_year) every begun month of its year, for the park or (whole_province) the park's
    whole province. Validates at once. A year is recomputed month by month, each month one step of the
    job's progress."""
    from ..tasks.utilization import recompute_span
    from .utilization import check_period, months_of_year, resolve_park

    if not whole_year and not whole_province:
        return start_park_recompute(park=park, period=period)
    resolve_park(park.pk)
    if whole_year:
        months_of_year(year=period.year)
    else:
        check_period(year=period.year, month=period.month)
    month = None if whole_year else period.month
    return str(outbox.enqueue(recompute_span, park.pk, period.year, month, whole_province).task_id)


def task_progress(task_id: str, *, queued_at: datetime | None) -> dict:
    """The recompute's state as the progress page shows it: state, percentage, done, failed, stalled (silent
    for JOB_STALLED_AFTER: offered to run again), and the rows written."""
    progress = jobs.progress_of(task_id, queued_at=queued_at)
    return {
        "state": progress.state,
        "percent": progress.percent,
        "done": progress.done,
        "failed": progress.failed,
        "stalled": progress.stalled,
        "rows": progress.result.get("rows") if progress.done else None,
        **_steps(progress),
    }


def _steps(progress: jobs.Progress) -> dict:
    """The steps (months) done of all, while the job reports them and once it is done."""
    if progress.done:
        total = progress.result.get("months", 1)
        return {"steps_done": total, "steps_total": total}
    if progress.state == jobs.PROGRESS and progress.result.get("total"):
        return {"steps_done": progress.result.get("done", 0), "steps_total": progress.result["total"]}
    return {"steps_done": None, "steps_total": None}
