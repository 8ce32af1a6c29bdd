"""The licensed annual scale (年经营规模) of a receiver's licence lines: what a line's year counts, and the
check when the receiver accepts a load.

A licence line names a waste code or a whole category, a method and an annual capacity. What counts
against it is what the holder *accepted* at receipt:

- of the codes the line covers (its own code, or every code of its category); general industrial solid
  waste never counts, since no hazardous waste licence covers it;
- on manifests whose purpose is the kind of the line's method (utilization against R lines, disposal
  against D lines, storage against S lines): at receipt the method is not chosen yet, the purpose is;
- in the licence's year: the calendar year of the day, from the day the licence took effect if that is
  later (what an earlier licence took in is not this one's).

The 20 % rule (art. 11(4) of the Measures for the Administration of Hazardous Waste Operating Licences;
registry.rules.OVER_SCALE_LIMIT): beyond the scale is warned of (reporting's CAPACITY_EXCEEDED); a receipt
that would bring a line's year to 120 % of its scale or more is refused, since operating at that scale
needs a new licence. Treatment is held to the scale on its own terms (common.check_treatment_capacity).
"""

from datetime import date
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from registry.models import PermitLine, WasteClass
from registry.rules import OVER_SCALE_LIMIT, beyond_licensed_scale
from wasteparks.errors import RuleViolation
from wasteparks.periods import Period

from .. import rules
from ..models import Manifest, ManifestLine

ZERO = Decimal("0")
TONNE_PLACES = Decimal("0.0001")


def _line_label(line: PermitLine) -> str:
    """A licence line as a refusal names it: what it covers and its method (900-249-08 R9, HW08 D10)."""
    covered = line.waste_code.code if line.waste_code else line.category.code if line.category else ""
    return f"{covered} {line.method.code}"


def with_received_in_year(lines: QuerySet[PermitLine], *, on: date) -> QuerySet[PermitLine]:
    """The licence lines annotated with `received_t`: what their holder accepted in the licence's year up
    to `on` that counts against each (see the module's docstring). One query for any number of lines."""
    year = Period.year_of(on.year)
    received = (
        ManifestLine.objects.filter(
            # A line names a code or a category; the other is NULL and matches nothing.
            Q(waste_code=OuterRef("waste_code")) | Q(waste_code__category=OuterRef("category")),
            manifest__receiver=OuterRef("permit__enterprise"),
            manifest__purpose=OuterRef("method__kind"),  # a purpose and a method kind share their values
            manifest__received_at__gte=year.start,
            manifest__received_at__lt=year.end,
            manifest__received_at__date__gte=OuterRef("permit__valid_from"),
            accepted_quantity_t__gt=0,
        )
        .exclude(waste_code__waste_class=WasteClass.GENERAL)
        .order_by()
        .values("manifest__receiver")
        .annotate(total=Sum("accepted_quantity_t"))
        .values("total")
    )
    tonnes = PermitLine._meta.get_field("annual_capacity_t")
    return lines.annotate(
        received_t=Coalesce(Subquery(received, output_field=tonnes), Value(ZERO), output_field=tonnes)
    )


def check_receipt_capacity(*, manifest: Manifest, accepted: list[tuple[ManifestLine, Decimal]], on: date) -> None:
    """The receiver may accept these tonnes (line, accepted quantity) only while the covering licence line's
    year stays below 120 % of its annual scale; RuleViolation naming the licence, the line, the scale, what
    is already received this year and what is asked otherwise.

    Each manifest line is counted against the roomiest licence line covering it; lines of one receipt that
    fall on the same licence line add up. Run after check_receiver_permit, which refuses a code no line
    covers; general waste needs no licence and is not checked."""
    if not rules.needs_operating_licence(manifest.waste_class):
        return
    annotated = with_received_in_year(
        PermitLine.objects.filter(
            permit__enterprise=manifest.receiver,
            permit__kind__in=rules.RECEIVER_PERMIT_KINDS[manifest.waste_class],
            method__kind__in=rules.PURPOSE_METHOD_KINDS[manifest.purpose],
        ).in_force_on(on),
        on=on,
    ).select_related("permit", "waste_code", "category", "method")
    received: dict[int, Decimal] = {line.pk: line.received_t for line in annotated}  # type: ignore[attr-defined]
    candidates = list(annotated)  # the queryset's cache: no second query
    asked: dict[int, Decimal] = {}  # licence line -> tonnes this receipt already puts on it

    def room(line: PermitLine) -> Decimal:
        return line.annual_capacity_t * OVER_SCALE_LIMIT - received[line.pk] - asked.get(line.pk, ZERO)

    for manifest_line, quantity in accepted:
        code = manifest_line.waste_code
        covering = [c for c in candidates if c.waste_code_id == code.pk or c.category_id == code.category_id]
        if not covering:  # check_receiver_permit refused it already; nothing to measure against here
            continue
        best = max(covering, key=room)
        asking = asked.get(best.pk, ZERO) + quantity
        total = received[best.pk] + asking
        if beyond_licensed_scale(capacity_t=best.annual_capacity_t, total_t=total):
            raise RuleViolation(
                _(
                    "Receipt refused: licence %(permit)s, line %(line)s, allows %(capacity)s t a year. "
                    "%(received)s t already received in %(year)s plus %(asked)s t asked make %(total)s t, 20%% or "
                    "more beyond the licensed scale; from %(limit)s t a new licence is needed (Measures for the "
                    "Administration of Hazardous Waste Operating Licences, art. 11)."
                )
                % {
                    "permit": best.permit.number,
                    "line": _line_label(best),
                    "capacity": best.annual_capacity_t,
                    "received": received[best.pk].quantize(TONNE_PLACES),
                    "year": on.year,
                    "asked": asking,
                    "total": total.quantize(TONNE_PLACES),
                    "limit": (best.annual_capacity_t * OVER_SCALE_LIMIT).quantize(TONNE_PLACES),
                },
                code="capacity_exceeded",
            )
        asked[best.pk] = asking
