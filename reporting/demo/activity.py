"""Two years of the demo park's life, played through the platform's own services.

An agenda of moments, run in time order under the replay clock (reporting/demo/replay.py): generation
and in-house treatment on the ledger; manifests signed by each party (a manifest's next signature is
put on the agenda when the previous one is made, so what would happen after today simply has not
happened yet: those loads are the ones still in transit or awaiting treatment); monthly reports filed,
reviewed and returned; the nightly recompute of the month and the warning scans when the schedule would
have run them; the officers acting on warnings and inspecting. The random choices come from one seeded
generator, so a seed and a day give the same park.
"""

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Q, Sum
from django.utils import timezone

from registry.demo import EXPIRING_PERMIT, MAIN_PARK, SECOND_PARK, demo_enterprises
from registry.models import (
    Enterprise,
    EnterpriseMembership,
    EnterpriseRole,
    Facility,
    FacilityKind,
    ManagementMethod,
    Permit,
    PermitLine,
    TransferApproval,
    User,
    WasteCode,
)
from registry.rules import ReportKind, filing_deadline, latest_ended_period
from transfers import services as transfers
from transfers.models import Acceptance, LedgerStage, Manifest, ManifestStatus, StockBalance
from transfers.services.capacity import with_received_in_year
from wasteparks.errors import DomainError
from wasteparks.periods import Period, zone

from ..models.inspections import InspectionKind
from ..models.reports import MonthlyReport
from ..models.warnings import Warning, WarningStatus
from ..services import inspections, reports, utilization
from ..services.reports import LineAdjustment
from ..warnings import acknowledge_warning, dismiss_warning, resolve_warning, run_rules
from . import story
from .exchange import publish_listings
from .replay import clock

MONTHS = 24
T = Decimal("0.001")


def tonnes(value: float | Decimal) -> Decimal:
    """A quantity in whole eighths of a tonne (125 kg, a weighbridge's step here): binary fractions, so
    SQLite, which keeps decimals as floating point, adds them up exactly (its stock check compares sums)."""
    return ((Decimal(str(value)) * 8).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 8).quantize(T)


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    run: Callable[[], object] = field(compare=False)


@dataclass
class Counts:
    ledger: int = 0
    manifests: int = 0
    reports: int = 0
    scans: int = 0
    refused: list[str] = field(default_factory=list)


class Park:
    """The demo's cast and agenda for one replay."""

    def __init__(self, *, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.today = timezone.localdate(now)
        self.first = Period.containing(now).shift(-MONTHS)
        self.agenda: list[_Event] = []
        self.seq = itertools.count()
        self.counts = Counts()
        self.enterprises = demo_enterprises()
        self.staff = {key: self._staff(key, enterprise) for key, enterprise in self.enterprises.items()}
        self.driver = User.objects.get(username="driver")
        self.officers = {
            MAIN_PARK: User.objects.get(username="officer"),
            SECOND_PARK: User.objects.get(username="officer_gy"),
        }
        self.stores = {
            key: store for key, enterprise in self.enterprises.items() if (store := self._store(enterprise)) is not None
        }
        self.codes = {code.code: code for code in WasteCode.objects.all()}
        self.methods = {method.code: method for method in ManagementMethod.objects.all()}
        self.shipped = 0
        self.approval: TransferApproval | None = None

    # --- the cast --------------------------------------------------------------------------------

    def _staff(self, key: str, enterprise: Enterprise) -> User:
        """Each enterprise's clerk who signs for it in the story (the personas' logins where they exist)."""
        membership = (
            EnterpriseMembership.objects.filter(
                enterprise=enterprise, role__in=(EnterpriseRole.ADMIN, EnterpriseRole.PREPARER)
            )
            .select_related("user")
            .first()
        )
        if membership:
            return membership.user
        user, _ = User.objects.get_or_create(
            username=f"staff_{key}",
            defaults={"full_name": f"{enterprise.name[:20]} 填报员", "password": make_password(None)},
        )
        EnterpriseMembership.objects.get_or_create(user=user, enterprise=enterprise, role=EnterpriseRole.ADMIN)
        return user

    @staticmethod
    def _store(enterprise: Enterprise) -> Facility | None:
        stores = enterprise.facilities.exclude(kind__in=(FacilityKind.UTILIZATION, FacilityKind.DISPOSAL))
        return stores.order_by("pk").first()

    def manufacturers(self) -> list[str]:
        """The keys of the park's manufacturers ("m0", "m1", ...) in index order."""
        keys = (key for key in self.enterprises if key.startswith("m") and key[1:].isdigit())
        return sorted(keys, key=lambda key: int(key[1:]))

    def hazardous_of(self, key: str) -> tuple[str, str, str, str]:
        """A manufacturer's hazardous waste: (code, method at the centre, packaging, form)."""
        return story.HAZARDOUS_OF_MANUFACTURERS[int(key[1:]) % len(story.HAZARDOUS_OF_MANUFACTURERS)]

    def active(self, key: str) -> bool:
        enterprise = self.enterprises.get(key)
        return enterprise is not None and enterprise.status == "active" and key in self.stores

    # --- the agenda ------------------------------------------------------------------------------

    def at(self, moment: datetime, run: Callable[[], object]) -> None:
        if moment <= self.now:
            heapq.heappush(self.agenda, _Event(moment, next(self.seq), run))

    def moment(self, period: Period, day: int, hour: int = 9, minute: int = 0) -> datetime:
        day = min(day, period.last_day.day)
        return datetime.combine(date(period.year, period.month, day), time(hour, minute), tzinfo=zone())

    def play(self) -> None:
        while self.agenda:
            event = heapq.heappop(self.agenda)
            with clock(event.at):
                try:
                    event.run()
                except DomainError as error:
                    # What the platform refuses in the story stays refused, as it would for a user.
                    self.counts.refused.append(f"{event.at:%Y-%m-%d %H:%M}: {error.message}")

    def factor(self, period: Period) -> float:
        months = period.first_index - self.first.first_index
        return story.SEASON[period.month] * (1 + story.GROWTH_PER_YEAR * months / 12) * self.rng.uniform(0.93, 1.07)

    # --- the ledger ------------------------------------------------------------------------------

    def record(self, key: str, code: str, stage: str, quantity: Decimal, method: str | None = None) -> None:
        if quantity <= 0:
            return
        transfers.record_ledger_entry(
            actor=self.staff[key],
            enterprise=self.enterprises[key],
            facility=self.stores[key],
            waste_code=self.codes[code],
            stage=stage,
            quantity_t=quantity,
            occurred_at=timezone.now(),
            method=self.methods[method] if method else None,
        )
        self.counts.ledger += 1

    def on_hand(self, key: str, code: str) -> Decimal:
        total = StockBalance.objects.filter(
            enterprise=self.enterprises[key], facility=self.stores[key], waste_code=self.codes[code]
        ).aggregate(total=Sum("quantity_t"))["total"]
        return total or Decimal("0")

    # --- manifests -------------------------------------------------------------------------------

    def ship(
        self,
        *,
        consignor: str,
        receiver: str,
        code: str,
        quantity: Decimal,
        purpose: str,
        method: str,
        packaging: str = "bulk",
        form: str = "solid",
        approval: TransferApproval | None = None,
    ) -> None:
        """Prepare and sign a load now; the carrier, the receiver and the treatment follow on the agenda."""
        quantity = min(quantity, self.on_hand(consignor, code))
        if quantity <= Decimal("0.01"):
            return
        self.shipped += 1
        n = self.shipped
        waste_code = self.codes[code]
        plate = f"贵D{self.rng.choice('ABC')}{(n * 7919) % 9000 + 1000}"
        try:
            manifest = transfers.create_manifest(
                actor=self.staff[consignor],
                consignor=self.enterprises[consignor],
                carrier=self.enterprises["carrier"],
                receiver=self.enterprises[receiver],
                waste_class=waste_code.waste_class,
                purpose=purpose,
                planned_date=timezone.localdate(),
                approval=approval,
                lines=[
                    transfers.LineInput(
                        waste_code=waste_code,
                        source_facility=self.stores[consignor],
                        declared_quantity_t=quantity,
                        packaging_type=packaging,
                        packaging_count=max(1, int(quantity / Decimal("0.2")) if packaging != "bulk" else 1),
                        physical_form=form,
                        batch_code=f"{timezone.localdate():%Y%m%d}-{n:04d}",
                    )
                ],
            )
            transfers.submit_manifest(manifest=manifest, actor=self.staff[consignor])
        except DomainError as error:
            self.counts.refused.append(f"{consignor}→{receiver} {code}: {error}")
            return
        self.counts.manifests += 1
        now = timezone.now()
        if n % story.CANCELLED_EVERY == 0:
            self.at(now + timedelta(hours=2), lambda: self._cancel(manifest, consignor))
            return
        if n % story.REVISED_EVERY == 0:
            self.at(now + timedelta(minutes=20), lambda: self._revise(manifest, consignor, receiver))
        medical = waste_code.waste_class == "medical"
        self.at(now + timedelta(hours=1), lambda: self._pickup(manifest, plate))
        transit = timedelta(hours=3 if medical else self.rng.choice((5, 20, 26, 30)))
        self.at(now + timedelta(hours=1) + transit, lambda: self._receive(manifest, receiver, method, n))

    def _cancel(self, manifest: Manifest, consignor: str) -> None:
        transfers.cancel_manifest(manifest=manifest, actor=self.staff[consignor], reason="车辆调度变更，改期转移")

    def _revise(self, manifest: Manifest, consignor: str, receiver: str) -> None:
        manifest.refresh_from_db()
        if manifest.status != ManifestStatus.SUBMITTED:
            return
        line = manifest.lines.get()
        revision = transfers.propose_revision(
            manifest=manifest,
            actor=self.staff[consignor],
            changes={"lines": {str(line.line_no): {"packaging_count": line.packaging_count + 2}}},
            reason="装车时复核包装件数，补记两件",
        )
        transfers.decide_revision(revision=revision, actor=self.driver, approve=True, comment="已核对")
        revision.refresh_from_db()
        if revision.status == "pending":
            transfers.decide_revision(revision=revision, actor=self.staff[receiver], approve=True, comment="同意")

    def _pickup(self, manifest: Manifest, plate: str) -> None:
        manifest.refresh_from_db()
        if manifest.status != ManifestStatus.SUBMITTED:
            return
        transfers.pickup_manifest(manifest=manifest, actor=self.driver, vehicle_plate=plate)

    def _receive(self, manifest: Manifest, receiver: str, method: str, n: int) -> None:
        manifest.refresh_from_db()
        clerk = self.staff[receiver]
        if n % story.REJECTED_EVERY == 0:
            transfers.reject_manifest(manifest=manifest, actor=clerk, reason="包装破损严重、标签缺失，整车拒收退回")
            return
        line = manifest.lines.get()
        declared = line.declared_quantity_t
        received, accepted, acceptance, reason = declared, None, Acceptance.ACCEPTED, ""
        if n % story.DISCREPANCY_EVERY == 0:
            received = tonnes(declared * Decimal(self.rng.choice(("0.91", "0.93", "1.07"))))
        elif n % story.PARTIAL_EVERY == 0:
            acceptance, accepted = Acceptance.PARTIALLY_REJECTED, tonnes(declared * Decimal("0.8"))
            reason = "部分包装渗漏，与联单不符，退回移出人"
        else:
            received = tonnes(declared * Decimal(str(self.rng.uniform(0.985, 1.015))))
        receipt = transfers.ReceiptInput(
            line_no=line.line_no,
            received_quantity_t=received,
            facility=self.stores[receiver],
            acceptance=acceptance,
            accepted_quantity_t=accepted,
            rejection_reason=reason,
        )
        try:
            transfers.receive_manifest(manifest=manifest, actor=clerk, lines=[receipt])
        except DomainError as error:
            # The licensed scale reached (the 120 % rule): the receiver has to refuse the load.
            transfers.reject_manifest(manifest=manifest, actor=clerk, reason=str(error)[:500])
            return
        medical = manifest.waste_class == "medical"
        delay = timedelta(hours=6) if medical else timedelta(days=self.rng.choice((1, 2, 3)))
        self.at(timezone.now() + delay, lambda: self._treat(manifest, receiver, method))

    def _treat(self, manifest: Manifest, receiver: str, method: str) -> None:
        manifest.refresh_from_db()
        lines = [
            transfers.TreatmentInput(
                line_no=line.line_no, method=self.methods[method], quantity_t=line.accepted_quantity_t
            )
            for line in manifest.lines.all()
            if line.accepted_quantity_t
        ]
        transfers.treat_manifest(manifest=manifest, actor=self.staff[receiver], lines=lines)

    # --- the month's waste -----------------------------------------------------------------------

    def plan_month(self, period: Period, *, months_left: int) -> None:
        for stream in (*story.STREAMS, *story.GUIYANG_STREAMS):
            self.plan_stream(period, stream, self.factor(period))
        for key in self.manufacturers():
            if self.active(key):
                self.plan_manufacturer(period, key, int(key[1:]), months_left=months_left)
        if months_left <= story.MEDICAL_MONTHS:
            self.plan_medical(period)

    def plan_stream(self, period: Period, stream: story.Stream, factor: float) -> None:
        if not self.active(stream.enterprise):
            return
        per_day = tonnes(stream.monthly_t * factor / len(stream.gen_days))
        for day in stream.gen_days:
            self.at(
                self.moment(period, day, 8),
                partial(self.record, stream.enterprise, stream.code, LedgerStage.GENERATED, per_day),
            )
        if period.first_index % stream.every_months:
            return
        month_t = per_day * len(stream.gen_days) * stream.every_months
        for shipment in stream.shipments:
            for day in shipment.days:
                quantity = tonnes(month_t * Decimal(str(shipment.share)) / len(shipment.days))
                self.at(
                    self.moment(period, day, 9, 30),
                    partial(
                        self.ship,
                        consignor=stream.enterprise,
                        receiver=shipment.receiver,
                        code=stream.code,
                        quantity=quantity,
                        purpose=shipment.purpose,
                        method=shipment.method,
                        packaging=stream.packaging,
                        form=stream.form,
                    ),
                )

    def plan_manufacturer(self, period: Period, key: str, index: int, *, months_left: int) -> None:
        factor = self.factor(period)
        if key == story.DECLINING and months_left < len(story.DECLINE):
            factor *= story.DECLINE[len(story.DECLINE) - 1 - months_left]
        day = 2 + index % 20

        if key in story.CROSS_PROVINCE:
            code, receiver, method = story.CROSS_PROVINCE[key]
            hazardous_t = tonnes(6 * factor)
            self.at(self.moment(period, day, 8, 30), lambda: self.record(key, code, LedgerStage.GENERATED, hazardous_t))
            if period.month % 2 == 0:
                self.at(
                    self.moment(period, day + 5, 9),
                    lambda: self.ship(
                        consignor=key,
                        receiver=receiver,
                        code=code,
                        quantity=Decimal("1000000"),
                        purpose="utilization",
                        method=method,
                        packaging="bag",
                        form="sludge",
                        approval=self.current_approval(key, receiver, code),
                    ),
                )
            return
        code, method, packaging, form = self.hazardous_of(key)
        hazardous_t = tonnes((0.8 + (index % 7) * 0.7) * factor)
        self.at(self.moment(period, day, 8, 30), lambda: self.record(key, code, LedgerStage.GENERATED, hazardous_t))
        hoarding = key == story.HOARDER and months_left < 14
        if period.month % 6 == index % 6 and not hoarding:
            self.at(
                self.moment(period, 6 + index % 20, 10),
                lambda: self.ship(
                    consignor=key,
                    receiver="disposer",
                    code=code,
                    quantity=Decimal("1000000"),
                    purpose="disposal",
                    method=method,
                    packaging=packaging,
                    form=form,
                ),
            )

    def plan_medical(self, period: Period) -> None:
        if not self.active("hospital"):
            return
        low, high = story.MEDICAL_DAILY_T
        for day in period.days():
            if day.toordinal() % 2:
                continue
            quantity = tonnes(Decimal(str(self.rng.uniform(float(low), float(high)))) * 2)
            moment = datetime.combine(day, time(7, 30), tzinfo=zone())
            self.at(moment, partial(self.record, "hospital", "841-001-01", LedgerStage.GENERATED, quantity))
            self.at(
                moment + timedelta(hours=2),
                lambda: self.ship(
                    consignor="hospital",
                    receiver="disposer",
                    code="841-001-01",
                    quantity=Decimal("1000000"),
                    purpose="disposal",
                    method="D10",
                    packaging="box",
                    form="solid",
                ),
            )

    def current_approval(self, consignor: str, receiver: str, code: str) -> TransferApproval:
        """The year's cross-province approval, granted by the receiving province each January."""
        today = timezone.localdate()
        number = f"湘环危转〔{today.year}〕{18 + today.year % 10:03d}号"
        approval, _ = TransferApproval.objects.get_or_create(
            number=number,
            defaults={
                "consignor": self.enterprises[consignor],
                "receiver": self.enterprises[receiver],
                "waste_code": self.codes[code],
                "approved_quantity_t": Decimal("80"),
                "valid_from": date(today.year, 1, 1),
                "valid_to": date(today.year, 12, 31),
                "issuer": "湖南省生态环境厅",
            },
        )
        self.approval = approval
        return approval

    # --- oversight: reports, the schedule's jobs, officers ----------------------------------------

    def plan_reports(self) -> None:
        """Every report owed in the months the REPORT_MISSING rule looks back over (monthly, quarterly and
        annual, as each enterprise's class decides: Enterprise.objects.must_file), filed after its period,
        most in time, some late, one never; the officer reviews each."""
        this_month = Period.containing(self.today).first_index
        latest = {latest_ended_period(kind, self.today) for kind in ReportKind}
        for kind in ReportKind:
            period = latest_ended_period(kind, self.today)
            while period.first_index >= self.first.first_index:
                deadline = filing_deadline(period)
                if this_month - Period.containing(deadline).first_index > settings.WARNING_REPORT_LOOKBACK_MONTHS:
                    break
                owing = Enterprise.objects.must_file(period).filter(pk__in=self.pks()).order_by("pk")
                for offset, enterprise in enumerate(owing):
                    key = self.key_of(enterprise)
                    if key == story.NO_REPORT and period in latest and deadline < self.today:
                        continue
                    n = period.first_index * 7 + offset
                    if n % story.LATE_EVERY == 0:
                        day = deadline + timedelta(days=1 + n % 6)
                    else:
                        room = max(1, (deadline - period.last_day).days - 1)
                        day = period.last_day + timedelta(days=1 + n % room)
                    moment = datetime.combine(day, time(15, n % 60), tzinfo=zone())
                    self.at(moment, partial(self.file, key, period, n))
                period = period.previous()

    def file(self, key: str, period: Period, n: int) -> None:
        clerk, enterprise = self.staff[key], self.enterprises[key]
        kind = {} if period.is_month else {"report_kind": period.length}
        report = reports.create_monthly_report(
            actor=clerk, enterprise=enterprise, year=period.year, month=period.month, **kind
        )
        if key == story.MISMATCHING and period == latest_ended_period(ReportKind.MONTHLY, timezone.localdate()):
            self._mismatch(report, clerk)
        reports.submit_monthly_report(report=report, actor=clerk)
        self.counts.reports += 1
        officer = self.officers.get(enterprise.park.name)
        if officer is None:
            return
        review = timezone.now() + timedelta(days=2 + n % 4, hours=1)
        if n % story.RETURNED_EVERY == 0:
            self.at(review, lambda: self._return(report, officer, clerk))
        else:
            self.at(review, lambda: reports.accept_monthly_report(report=report, officer=officer))

    def _mismatch(self, report: MonthlyReport, clerk: User) -> None:
        line = report.revision.lines.select_related("waste_code").order_by("pk").first()
        if line is None:
            return
        shipped = line.shipped_for_disposal_t + Decimal("1.5")
        reports.adjust_report_lines(
            report=report,
            actor=clerk,
            lines=[
                LineAdjustment(
                    waste_code=line.waste_code,
                    figures={
                        "shipped_for_disposal_t": shipped,
                        "closing_stock_t": line.closing_stock_t - Decimal("1.5"),
                    },
                    reason="按仓库出库单填报",
                )
            ],
        )

    def _return(self, report: MonthlyReport, officer: User, clerk: User) -> None:
        reports.return_monthly_report(
            report=report, officer=officer, comment="请核对本月贮存量与台账是否一致，补充说明后重新提交。"
        )
        self.at(timezone.now() + timedelta(days=2), lambda: self._resubmit(report, officer, clerk))

    def _resubmit(self, report: MonthlyReport, officer: User, clerk: User) -> None:
        reports.submit_monthly_report(report=report, actor=clerk, comment="已核对台账，贮存量无误。")
        self.at(
            timezone.now() + timedelta(days=1), lambda: reports.accept_monthly_report(report=report, officer=officer)
        )

    def plan_schedule(self, period: Period) -> None:
        """The nightly recompute of the month just ended, the warning scan, the officers' follow-up and,
        each quarter, inspections."""
        self.at(self.moment(period, 1, 1, 30), lambda: self.recompute(period.previous()))
        # The hourly scan, replayed once a month after the report deadline (what it finds in between is
        # found again then; the demo's history need not hold every hour).
        self.at(self.moment(period, 16, 6, 5), self.scan)
        self.at(self.moment(period, 20, 10), self.follow_up)
        if period.month % 3 == 0:
            self.at(self.moment(period, 21, 10), self.inspect)

    def recompute(self, period: Period) -> None:
        if period.first_index >= self.first.first_index:
            utilization.recompute_period(year=period.year, month=period.month)

    def scan(self) -> None:
        run_rules()
        self.counts.scans += 1

    def follow_up(self) -> None:
        """The officers work through what the scans raised: acknowledge, resolve with a note, dismiss."""
        for n, warning in enumerate(
            Warning.objects.filter(status=WarningStatus.OPEN, raised_at__lt=timezone.now() - timedelta(days=10))
            .select_related("park")
            .order_by("pk")[:6]
        ):
            officer = self.officers.get(warning.park.name if warning.park else "")
            if officer is None:
                continue
            try:
                if n % 3 == 0:
                    acknowledge_warning(warning=warning, actor=officer, note="已电话联系企业，要求说明情况。")
                elif n % 3 == 1:
                    resolve_warning(warning=warning, actor=officer, note="企业已提交说明及整改材料，核实无误。")
                else:
                    dismiss_warning(warning=warning, actor=officer, note="经核实为计量误差，不属违规。")
            except DomainError:
                continue

    def inspect(self) -> None:
        officer = self.officers[MAIN_PARK]
        warned = (
            Warning.objects.filter(enterprise__park__name=MAIN_PARK, status__in=("open", "acknowledged"))
            .exclude(enterprise=None)
            .order_by("pk")
        )
        seen: set[int] = set()
        for warning in warned[:20]:
            if warning.enterprise is None or warning.enterprise_id in seen or len(seen) >= 2:
                continue
            seen.add(warning.enterprise.pk)
            inspections.record_inspection(
                actor=officer,
                enterprise=warning.enterprise,
                date=timezone.localdate(),
                kind=InspectionKind.SITE_VISIT,
                findings="现场检查危险废物贮存场所：标识基本规范，台账与库存一致性需加强。",
                required_rectification="完善贮存场所标识，按月核对台账与实物库存。",
                rectification_deadline=timezone.localdate() + timedelta(days=30),
                warnings=[warning],
            )

    def plan_present(self) -> None:
        """The last days: a battery collection campaign that takes the recycler's lead-acid licence line past
        its annual scale (CAPACITY_EXCEEDED), a load signed and waiting for the carrier, a draft."""
        self.at(self.now - timedelta(days=4), self._battery_campaign)
        self.at(
            self.now - timedelta(hours=30),
            lambda: self.record("m4", "900-249-08", LedgerStage.GENERATED, Decimal("2.5")),
        )
        self.at(
            self.now - timedelta(hours=29),
            lambda: self.record("m2", "900-249-08", LedgerStage.GENERATED, Decimal("1.75")),
        )
        self.at(self.now - timedelta(hours=3), lambda: self._prepare("m4", sign=True))
        self.at(self.now - timedelta(hours=2), lambda: self._prepare("m2", sign=False))

    def _battery_campaign(self) -> None:
        line = PermitLine.objects.get(permit__number=EXPIRING_PERMIT, category__code="HW31")
        counted = with_received_in_year(PermitLine.objects.filter(pk=line.pk), on=timezone.localdate()).get()
        received = counted.received_t  # type: ignore[attr-defined]
        # 105 % of the licensed scale: beyond it (a warning), still short of the 120 % that needs a new licence.
        wanted = tonnes(line.annual_capacity_t * Decimal("1.05") - received)
        if wanted <= 0:
            return
        self.record("m3", "900-052-31", LedgerStage.GENERATED, wanted)
        self.ship(
            consignor="m3",
            receiver="li_battery",
            code="900-052-31",
            quantity=wanted,
            purpose="utilization",
            method="R4",
            packaging="box",
        )

    def _prepare(self, key: str, *, sign: bool) -> None:
        manifest = transfers.create_manifest(
            actor=self.staff[key],
            consignor=self.enterprises[key],
            carrier=self.enterprises["carrier"],
            receiver=self.enterprises["disposer"],
            waste_class="hazardous",
            purpose="disposal",
            planned_date=timezone.localdate() + timedelta(days=1),
            lines=[
                transfers.LineInput(
                    waste_code=self.codes["900-249-08"],
                    source_facility=self.stores[key],
                    declared_quantity_t=self.on_hand(key, "900-249-08"),
                    physical_form="liquid",
                )
            ],
        )
        if sign:
            transfers.submit_manifest(manifest=manifest, actor=self.staff[key])
        self.counts.manifests += 1

    def pks(self) -> list[int]:
        return [enterprise.pk for enterprise in self.enterprises.values()]

    def key_of(self, enterprise: Enterprise) -> str:
        return next(key for key, known in self.enterprises.items() if known.pk == enterprise.pk)


def play_two_years(*, seed: int, now: datetime | None = None) -> Counts:
    """Replay the park's last 24 months and this month up to `now` (see the module docstring)."""
    now = now or timezone.now()
    park = Park(seed=seed, now=now)
    current = Period.containing(now)
    for index in range(MONTHS + 1):
        period = park.first.shift(index)
        months_left = current.first_index - period.first_index
        park.plan_month(period, months_left=months_left)
        park.plan_schedule(period)
    park.plan_reports()
    park.plan_present()
    park.play()
    with clock(now):
        _bring_up_to_date(park)
    return park.counts


def _bring_up_to_date(park: Park) -> None:
    """What the schedule has done by now: this month's and last month's figures, a scan, and the
    exceptions of the present (a yard near full, a load overdue, a licence record corrected)."""
    current = Period.containing(park.now)
    _fill_a_yard(park)
    _overdue_loads(park)
    _corrections(park)
    publish_listings(park)
    for period in (current.previous(), current):
        utilization.recompute_period(year=period.year, month=period.month)
    run_rules()
    park.counts.scans += 1


def _fill_a_yard(park: Park) -> None:
    """The manganese plant's slag yard, recorded at the capacity that puts it at 93 % now."""
    store = park.stores["mn_metal"]
    stock = StockBalance.objects.filter(facility=store).aggregate(total=Sum("quantity_t"))["total"] or Decimal("0")
    if stock > 0:
        Facility.objects.filter(pk=store.pk).update(capacity_t=(stock / Decimal("0.93")).quantize(Decimal("1")))


def _overdue_loads(park: Park) -> None:
    """Two loads the schedule has to chase: one in transit for five days, one received and never treated."""
    for key, days in (("m1", 5), ("m8", 9)):
        if not park.active(key):
            continue
        code = "900-039-49" if key == "m1" else "900-249-08"
        when = park.now - timedelta(days=days + 1)
        with clock(when):
            park.record(key, code, LedgerStage.GENERATED, Decimal("3.25"))
        with clock(when + timedelta(hours=2)):
            park.shipped += 1
            manifest = transfers.create_manifest(
                actor=park.staff[key],
                consignor=park.enterprises[key],
                carrier=park.enterprises["carrier"],
                receiver=park.enterprises["disposer"],
                waste_class="hazardous",
                purpose="disposal",
                planned_date=timezone.localdate(),
                lines=[
                    transfers.LineInput(
                        waste_code=park.codes[code],
                        source_facility=park.stores[key],
                        declared_quantity_t=Decimal("3.25"),
                    )
                ],
            )
            transfers.submit_manifest(manifest=manifest, actor=park.staff[key])
        with clock(when + timedelta(hours=3)):
            transfers.pickup_manifest(manifest=manifest, actor=park.driver, vehicle_plate="贵D6B277")
        if key == "m8":
            with clock(when + timedelta(hours=8)):
                park._receive(manifest, "disposer", "D10", 1)
        park.counts.manifests += 1


def _corrections(park: Park) -> None:
    """Record corrections by the issuing authorities, which the platform then holds past activity to:
    the disposal centre's licence covers emulsions by incineration, not physico-chemical treatment as
    first entered, and the receiving province's record of the year's cross-province approval ends before
    the last load."""
    lines = Permit.objects.get(number="GZ-HW-520600-001").lines.filter(category__code="HW09")
    lines.update(method=park.methods["D10"])
    if park.approval is not None:
        last = (
            Manifest.objects.filter(approval=park.approval, picked_up_at__isnull=False)
            .order_by("-picked_up_at")
            .values_list("picked_up_at", flat=True)
            .first()
        )
        if last is not None and timezone.localdate(last) - timedelta(days=1) >= park.approval.valid_from:
            # The approval was granted until the day before its last load left: that load went without one.
            TransferApproval.objects.filter(pk=park.approval.pk).update(
                valid_to=timezone.localdate(last) - timedelta(days=1)
            )


def real_data_present() -> bool:
    """Whether the database holds an enterprise the demo did not create (by credit code and name): then
    the demo must not touch it."""
    from registry.demo import demo_names_by_credit_code

    demo = demo_names_by_credit_code()
    return any(demo.get(code) != name for code, name in Enterprise.objects.values_list("credit_code", "name"))


def activity_loaded() -> bool:
    return Manifest.objects.filter(Q(consignor__in=demo_enterprises().values())).exists()
