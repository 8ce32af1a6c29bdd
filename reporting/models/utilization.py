"""Utilization-rate snapshots: models.

One row per (subject, month, waste class, category), where the subject is an enterprise, a park or a
province and an empty category means "all categories of the class". Rows are written only by
`reporting.services.utilization.recompute_period`, which replaces a period's rows in one transaction.
The counting rules are documented at the top of that module; the rate rule (`window_rates`, with its
bound `RATE_BOUND_PCT` and the `RateNote` that says why a rate is withheld) is here, used by the SQL
that writes the rows and by every window read from them.
"""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Count, Func, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from registry.models import (
    Enterprise,
    Park,
    WasteCategory,
    WasteClass,
)
from registry.tenancy import scope_of
from wasteparks.models import Timestamped, tonnes_field
from wasteparks.periods import Period

__all__ = [
    "RATE_BOUND_PCT",
    "TONNES_MAX",
    "RateNote",
    "SnapshotScope",
    "UtilizationSnapshot",
    "UtilizationSnapshotQuerySet",
    "WINDOW_FIGURES",
    "rate_note_text",
    "rate_pct",
    "rates_of",
    "window_note",
    "window_rates",
    "window_sums",
]

HUNDRED = Decimal("100")
RATE_PLACES = Decimal("0.0001")
_TONNES = tonnes_field("tonnes")
_NOTHING = Value(Decimal("0"), output_field=_TONNES)
# The largest quantity a tonnes column holds (numeric(14, 4)): 9,999,999,999.9999 t, more than twice the
# nation's yearly general industrial solid waste (4.47 bn t in 2024). A sum beyond it is a ledger error.
TONNES_MAX = Decimal(10) ** (_TONNES.max_digits - _TONNES.decimal_places) - Decimal(10) ** -_TONNES.decimal_places
# A utilization rate above 100 times what it is measured against is withheld (stored NULL, with a note).
# Under the national definition a year's rate stays at or below 100 % on a consistent ledger; a month's
# passes it through timing (waste generated in January, shipped, treated by the receiver in February
# counts against February's generation), and in a month that generated next to nothing that quotient is
# unbounded (bench/RESULTS.md met 24.87 t treated against 0.0038 t: 654,000 %), as is a typing error
# (0.0001 t generated, 1e9 t utilized). Past 100 times the quotient says nothing as a rate: the month is
# read from its quantities, which stay in the row, and from its year to date. Withholding keeps every
# stored rate within 10000.0000, which any rate column and serializer holds.
RATE_BOUND_PCT = Decimal("10000")

# The monthly figures a window adds up. The stock is not a flow: a window's is that of its last month.
WINDOW_FIGURES = (
    "generated_t",
    "utilized_t",
    "disposed_t",
    "utilized_from_prior_storage_t",
    "treated_from_prior_storage_t",
)


class SnapshotScope(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    PARK = "park", _("Park")
    PROVINCE = "province", _("Province")


class RateNote(models.TextChoices):
    """Why a row's (or a window's) rate is withheld; empty when nothing is. A rate that is null with an
    empty note has nothing to divide by."""

    NONE = "", _("none")
    RATE_BEYOND_BOUND = (
        "rate_beyond_bound",
        format_lazy(
            _(
                "The rate would be above {bound} %, more than {times} times what was generated and taken "
                "from prior years' storage (waste of earlier months treated now, or a wrong quantity): not a "
                "meaningful rate. The quantities are shown."
            ),
            bound=f"{RATE_BOUND_PCT:,.0f}",
            times=f"{RATE_BOUND_PCT / 100:,.0f}",
        ),
    )
    FIGURES_OUT_OF_RANGE = (
        "figures_out_of_range",
        format_lazy(
            _(
                "A quantity of the period is outside what a figure can hold (below 0 or above {max} t); "
                "it is shown at that limit and no rate is computed. Check the ledger of the period."
            ),
            max=f"{TONNES_MAX:,}",
        ),
    )
    STOCK_OUT_OF_RANGE = (
        "stock_out_of_range",
        format_lazy(
            _(
                "The stock at month end is outside what a figure can hold (below 0, e.g. after a back-dated "
                "withdrawal, or above {max} t); it is shown at that limit. The rates do not depend on it."
            ),
            max=f"{TONNES_MAX:,}",
        ),
    )


def rate_note_text(note: str) -> str:
    """A RateNote in words, in the active language; "" for no note."""
    return str(RateNote(note).label) if note else ""


# --- rates ----------------------------------------------------------------------------------------


def rate_pct(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator × 100, to 4 places, half away from zero (as PostgreSQL's ROUND, which
    writes the stored monthly rates); None when there is nothing to divide by. The one rate helper."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _beyond_bound(numerator: Decimal, denominator: Decimal) -> bool:
    """The rate numerator / denominator would pass RATE_BOUND_PCT (compared without dividing, as in SQL)."""
    return bool(denominator) and numerator * HUNDRED > denominator * RATE_BOUND_PCT


def _bounded_rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if _beyond_bound(numerator, denominator) else rate_pct(numerator, denominator)


def window_rates(
    *, generated: Decimal, utilized: Decimal, disposed: Decimal, utilized_prior: Decimal, treated_prior: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    """(utilization rate, utilization and disposal rate) over summed figures (DESIGN 5.6): utilized /
    (generated + utilized from prior years' storage) and (utilized + disposed) / (generated + utilized or
    disposed from prior years' storage); None when there is nothing to divide by or beyond RATE_BOUND_PCT.
    The recompute's SQL writes the monthly rows by the same rule."""
    return (
        _bounded_rate(utilized, generated + utilized_prior),
        _bounded_rate(utilized + disposed, generated + treated_prior),
    )


def rates_of(totals: Mapping[str, Decimal]) -> tuple[Decimal | None, Decimal | None]:
    """`window_rates` of a row of `window_totals` (figures keyed by their column names); none when a
    month of the window holds quantities out of range (its figures are clamped, not what happened)."""
    if totals.get("months_out_of_range"):
        return None, None
    return window_rates(
        generated=totals["generated_t"],
        utilized=totals["utilized_t"],
        disposed=totals["disposed_t"],
        utilized_prior=totals["utilized_from_prior_storage_t"],
        treated_prior=totals["treated_from_prior_storage_t"],
    )


def window_note(totals: Mapping[str, Decimal]) -> str:
    """Why `rates_of(totals)` withholds a rate (a RateNote value), or "" when it withholds none."""
    if totals.get("months_out_of_range"):
        return RateNote.FIGURES_OUT_OF_RANGE
    generated = totals["generated_t"]
    utilized, disposed = totals["utilized_t"], totals["disposed_t"]
    if _beyond_bound(utilized, generated + totals["utilized_from_prior_storage_t"]) or _beyond_bound(
        utilized + disposed, generated + totals["treated_from_prior_storage_t"]
    ):
        return RateNote.RATE_BEYOND_BOUND
    return RateNote.NONE


# --- windows --------------------------------------------------------------------------------------


def window_sums(last_index) -> dict:
    """The aggregates that add monthly rows up over a window ending with month index `last_index` (a
    number, or an expression for a window per row): each of WINDOW_FIGURES summed, `stored_end_t`, the
    stock at the last month, and `months_out_of_range`, the months whose quantities were clamped. Rates
    over a window are derived from these sums (`rates_of`), never averaged from monthly rates (DESIGN 5.6)."""
    sums: dict[str, Func] = {figure: Coalesce(Sum(figure), _NOTHING) for figure in WINDOW_FIGURES}
    sums["stored_end_t"] = Coalesce(Sum("stored_end_t", filter=Q(month_index=last_index)), _NOTHING)
    sums["months_out_of_range"] = Count("pk", filter=Q(rate_note=RateNote.FIGURES_OUT_OF_RANGE))
    return sums


class UtilizationSnapshotQuerySet(models.QuerySet):
    """Row-set verbs for snapshots (kept beside the model: the queries are specific to its columns)."""

    def visible_to(self, user):
        # Province rows carry no park: only users who see a whole province (provincial officers, the
        # provincial client) see them.
        scope = scope_of(user)
        if scope.everything:
            return self
        condition = scope.q(park="park", enterprise="enterprise")
        if scope.province_codes:
            condition |= Q(scope=SnapshotScope.PROVINCE, province_code__in=scope.province_codes)
        return self.filter(condition)

    def for_period(self, period: Period):
        """The monthly rows of the months in `period` (a month, a quarter, a year, a rolling window)."""
        return self.filter(month_index__gte=period.first_index, month_index__lte=period.last_index)

    def window_totals(self, window: Period, *by: str):
        """The one way a window of monthly rows is added up: per group of the `by` columns, the
        `window_sums` of the rows in `window` (e.g. `Period.containing(now).rolling(12)`), as values()
        rows. One query; `rates_of(row)` gives the window's rates."""
        if not by:
            # values() without columns would group by every column: one group a row, nothing added up.
            raise TypeError("window_totals() needs at least one column to group by")
        return self.for_period(window).order_by().values(*by).annotate(**window_sums(window.last_index))

    def with_windows(self):
        """Annotate each monthly row with its year to date (`ytd_*`) and its rolling 12 months (`r12_*`):
        the windows `Period.year_to_date()` and `Period.rolling(12)` of the row's own month, added up by
        `window_sums` over the rows of the same subject, class and category (a correlated subquery per
        figure, so a page of rows is still one query), with `ytd_months_out_of_range` and
        `r12_months_out_of_range` for `rates_of`."""
        month = OuterRef("month_index")
        annotations = {}
        for prefix, first_index in (("ytd", month - OuterRef("month") + 1), ("r12", month - 11)):
            rows = (
                UtilizationSnapshot.objects.filter(
                    subject_key=OuterRef("subject_key"),
                    waste_class=OuterRef("waste_class"),
                    category_code=OuterRef("category_code"),
                    month_index__gte=first_index,
                    month_index__lte=month,
                )
                .order_by()
                .values("subject_key")
            )
            sums = window_sums(month)
            for figure in WINDOW_FIGURES:
                total = rows.annotate(total=sums[figure]).values("total")
                annotations[f"{prefix}_{figure}"] = Coalesce(Subquery(total, output_field=_TONNES), _NOTHING)
            clamped = rows.annotate(total=sums["months_out_of_range"]).values("total")
            annotations[f"{prefix}_months_out_of_range"] = Coalesce(
                Subquery(clamped, output_field=IntegerField()), Value(0)
            )
        return self.annotate(**annotations)


def _rate_field(verbose_name):
    # A month's rate can pass 100 % many times over: what a generator shipped in January and the
    # receiver treated in February counts as February's utilization against February's generation.
    # Beyond RATE_BOUND_PCT it is withheld (NULL, with `rate_note`).
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=4, null=True, blank=True)


class UtilizationSnapshot(Timestamped):
    scope = models.CharField(_("scope"), max_length=10, choices=SnapshotScope.choices)
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("enterprise")
    )
    # Set for enterprise rows too (the enterprise's park), so tenancy reaches every row the same way.
    park = models.ForeignKey(Park, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("park"))
    province_code = models.CharField(_("province code"), max_length=2)
    # "enterprise:<id>", "park:<id>" or "province:<code>": one non-null column naming the subject, for
    # the unique constraint and for matching a row with its own earlier months.
    subject_key = models.CharField(_("subject"), max_length=32, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    # year × 12 + month − 1: consecutive months are consecutive numbers, so windows are ranges.
    month_index = models.PositiveIntegerField(_("month index"), editable=False)
    waste_class = models.CharField(_("waste class"), max_length=12, choices=WasteClass.choices)
    category = models.ForeignKey(
        WasteCategory, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    category_code = models.CharField(_("category code"), max_length=8, blank=True, help_text=_("Empty: all."))
    generated_t = tonnes_field(_("generated (t)"))
    utilized_t = tonnes_field(_("utilized (t)"))
    disposed_t = tonnes_field(_("disposed of (t)"))
    stored_end_t = tonnes_field(_("stored at month end (t)"))
    utilized_from_prior_storage_t = tonnes_field(_("utilized from prior years' storage (t)"))
    treated_from_prior_storage_t = tonnes_field(_("utilized or disposed of from prior years' storage (t)"))
    utilization_rate_pct = _rate_field(_("utilization rate (%)"))
    utilization_disposal_rate_pct = _rate_field(_("utilization and disposal rate (%)"))
    rate_note = models.CharField(
        _("rate note"),
        max_length=24,
        choices=RateNote.choices,
        blank=True,
        default=RateNote.NONE,
        help_text=_("Why a rate is withheld; empty when none is."),
    )
    computed_at = models.DateTimeField(_("computed at"))

    objects = UtilizationSnapshotQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["scope", "subject_key", "year", "month", "waste_class", "category_code"]
        verbose_name = _("utilization snapshot")
        verbose_name_plural = _("utilization snapshots")
        indexes = [
            # Timestamped's sync index, under a name short enough for Django's 30-character limit.
            models.Index(fields=["updated_at", "id"], name="utilization_sync"),
            models.Index(fields=["sync_version", "id"], name="utilization_changes"),
            models.Index(fields=["month_index", "scope"], name="utilization_period"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "month_index", "waste_class", "category_code"],
                name="utilization_one_row_per_subject_period_class_category",
            ),
            models.CheckConstraint(
                condition=(Q(scope="enterprise") & Q(enterprise__isnull=False) & Q(park__isnull=False))
                | (Q(scope="park") & Q(enterprise__isnull=True) & Q(park__isnull=False))
                | (Q(scope="province") & Q(enterprise__isnull=True) & Q(park__isnull=True)),
                name="utilization_subject_matches_scope",
            ),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="utilization_month_valid"),
            models.CheckConstraint(
                condition=Q(month_index=models.F("year") * 12 + models.F("month") - 1),
                name="utilization_month_index_consistent",
            ),
            models.CheckConstraint(
                condition=Q(generated_t__gte=0)
                & Q(utilized_t__gte=0)
                & Q(disposed_t__gte=0)
                & Q(stored_end_t__gte=0)
                & Q(utilized_from_prior_storage_t__gte=0)
                & Q(treated_from_prior_storage_t__gte=0),
                name="utilization_quantities_not_negative",
            ),
            models.CheckConstraint(condition=Q(rate_note__in=RateNote.values), name="utilization_rate_note_valid"),
            models.CheckConstraint(
                condition=(Q(category__isnull=True) & Q(category_code=""))
                | (Q(category__isnull=False) & ~Q(category_code="")),
                name="utilization_category_code_matches",
            ),
        ]

    def __str__(self) -> str:
        month = Period.month_of(self.year, self.month)
        return f"{self.subject_key} {month} {self.waste_class} {self.category_code or '*'}"

    @property
    def rate_pct(self) -> Decimal | None:
        """The class's headline rate (DESIGN 5.6): utilization for general industrial solid waste,
        utilization and disposal for hazardous and medical waste."""
        if self.waste_class == WasteClass.GENERAL:
            return self.utilization_rate_pct
        return self.utilization_disposal_rate_pct

    @property
    def rate_note_text(self) -> str:
        """The row's note in words ("" when there is none)."""
        return rate_note_text(self.rate_note)

    @property
    def rate_withheld_text(self) -> str:
        """Why the row's rates are withheld, in words; "" when they are not (a clamped stock withholds
        none: the rates do not use it)."""
        return "" if self.rate_note == RateNote.STOCK_OUT_OF_RANGE else self.rate_note_text
