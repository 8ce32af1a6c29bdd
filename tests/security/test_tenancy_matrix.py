"""The tenancy matrix: every URL pattern and every OpenAPI operation, tried as every persona against the
objects of park A and of park B, with the expected outcome from one table.

Two parks are built alike. Park A: generator X, carrier C, receiver R; park B: generator Y, carrier D,
receiver S. Each object knows its park and the enterprises it belongs to; SEES says, for each persona,
which objects it may see. A page or operation on an object the persona may not see must answer 404 (never
403, which would confirm the object exists); on one it may see, anything but 404 and 5xx. Lists must not
show what the persona may not see. A URL pattern or schema operation missing from ROUTES fails the test,
so a new endpoint cannot slip through without a decision about who may reach it.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from registry.clients import create_api_client
from registry.models import EnterpriseRole, PermitKind
from reporting.models import ImportRun, UtilizationSnapshot, Warning
from reporting.services import plans as plan_services
from reporting.services import reports as report_services
from reporting.services.inspections import record_inspection
from reporting.services.utilization import recompute_period
from reporting.symbiosis.exchange import publish_stream
from tests import factories as f
from tests.transfers.factories import draft
from transfers import services as transfer_services
from transfers.models import StockBalance
from transfers.services.containers import label_containers
from wasteparks.models import Tombstone

# --- who sees what ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thing:
    kind: str
    pk: int | None  # None: the URL names the object by args only
    park: str | None  # None: province-wide
    owners: frozenset[str] = frozenset()
    marker: str = ""  # text that appears where the object is listed on a page
    args: dict = field(default_factory=dict, hash=False)


def _enterprise_persona(letter: str):
    return lambda thing: letter in thing.owners


SEES = {
    "anonymous": lambda thing: False,
    "preparer_x": _enterprise_persona("X"),
    "preparer_y": _enterprise_persona("Y"),
    "driver_c": _enterprise_persona("C"),
    "officer_a": lambda thing: thing.park == "A",
    "officer_b": lambda thing: thing.park == "B",
    "provincial": lambda thing: True,
    "read_all_client": lambda thing: True,
    "enterprise_client": _enterprise_persona("X"),
}
SESSION_PERSONAS = ["preparer_x", "preparer_y", "driver_c", "officer_a", "officer_b", "provincial"]
API_CLIENTS = ["read_all_client", "enterprise_client"]

# --- what each route is about -------------------------------------------------------------------------

NO_TASK = "00000000-0000-4000-8000-000000000000"
PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed-in"  # any signed-in user; shows only the user's own rows
STAFF = "staff"  # the Django admin


@dataclass(frozen=True)
class Route:
    about: str  # PUBLIC, SIGNED_IN, STAFF, or the kind of object in the URL
    method: str = "get"
    extra: dict = field(default_factory=dict, hash=False)  # further URL kwargs
    lists: str | None = None  # the kind of object a list shows (checked for leaks)
    ends_session: bool = False  # tried with a client of its own, so the persona stays signed in
    officers_only: bool = False  # others are turned away (403) before any object is looked up
    missing: bool = False  # the URL names something that exists for nobody (a task id never started)
    client_config: bool = False  # an API client's own configuration: the read-only client may write it too
    why: str = ""


ROUTES: dict[str, Route] = {
    # Project and accounts
    "home": Route(SIGNED_IN),
    "healthz": Route(PUBLIC),
    "set_language": Route(PUBLIC, method="post"),
    "login": Route(PUBLIC),
    "logout": Route(PUBLIC, method="post", ends_session=True),
    "password_change": Route(SIGNED_IN),
    "password_change_done": Route(SIGNED_IN),
    "password_reset": Route(PUBLIC),
    "password_reset_done": Route(PUBLIC),
    "password_reset_confirm": Route(PUBLIC, extra={"uidb64": "MQ", "token": "bad-token"}),
    "password_reset_complete": Route(PUBLIC),
    "sign_up": Route(PUBLIC),
    "sign_up_verify": Route(PUBLIC, extra={"uidb64": "MQ", "token": "bad-token"}, why="says the link is not valid"),
    "invitation_accept": Route(PUBLIC, extra={"token": "invitation:open"}, why="the token in the mailed link"),
    "second_factor": Route(SIGNED_IN, why="the user's own authenticator"),
    "second_factor_recovery_codes": Route(SIGNED_IN, method="post"),
    "second_factor_remove": Route(SIGNED_IN, method="post"),
    "account_security": Route(SIGNED_IN),
    # Registry pages
    "registry:enterprise_list": Route(SIGNED_IN, lists="enterprise"),
    "registry:enterprise_apply": Route(SIGNED_IN),
    "registry:enterprise_detail": Route("enterprise"),
    "registry:enterprise_decide": Route("enterprise", method="post", extra={"action": "suspend"}),
    "registry:enterprise_class": Route("enterprise", method="post", why="its park's officers set the class"),
    "registry:enterprise_resubmit": Route("enterprise", method="post"),
    "registry:member_list": Route("enterprise", why="its administrators; 403 for others who see it"),
    "registry:member_remove": Route("enterprise", method="post", extra={"membership_pk": 2_000_000_000}),
    "registry:invitation_revoke": Route("enterprise", method="post", extra={"invitation_pk": 2_000_000_000}),
    "registry:account_list": Route(SIGNED_IN, officers_only=True, lists="person"),
    "registry:account_disable": Route("person", method="post", officers_only=True),
    "registry:account_enable": Route("person", method="post", officers_only=True),
    "registry:login_audit": Route(SIGNED_IN, officers_only=True, why="provincial officers; 403 for park officers"),
    # Transfers pages
    "transfers:manifest_list": Route(SIGNED_IN, lists="manifest"),
    "transfers:manifest_new": Route(SIGNED_IN),
    "transfers:manifest_detail": Route("manifest"),
    "transfers:manifest_edit": Route("manifest"),
    "transfers:manifest_print": Route("manifest"),
    "transfers:manifest_pdf": Route("manifest"),
    "transfers:manifest_pickup": Route("manifest"),
    "transfers:manifest_receive": Route("manifest"),
    "transfers:manifest_treat": Route("manifest"),
    "transfers:revision_propose": Route("manifest", method="post"),
    "transfers:revision_decide": Route("revision", method="post", extra={"decision": "approve"}),
    "transfers:manifest_sign": Route("manifest", method="post", extra={"action": "cancel"}),
    "transfers:pickup_list": Route(SIGNED_IN, lists="manifest"),
    "transfers:ledger_list": Route(SIGNED_IN, lists="ledger"),
    "transfers:ledger_new": Route(SIGNED_IN),
    "transfers:ledger_move": Route(SIGNED_IN),
    "transfers:ledger_reverse": Route("ledger"),
    "transfers:stock_list": Route(SIGNED_IN, lists="stock"),
    "transfers:verify": Route(PUBLIC, extra={"token": "verify:manifest"}, why="public verification page"),
    "transfers:manifest_containers": Route("manifest", method="post"),
    "transfers:container_label": Route("ledger"),
    "transfers:container_labels": Route("ledger"),
    "transfers:container_scan": Route(SIGNED_IN, why="finds only containers the user may see"),
    "transfers:container_detail": Route("container_page"),
    "registry:permit_list": Route(SIGNED_IN, lists="permit"),
    "registry:permit_new": Route(SIGNED_IN, why="offers only the enterprises the user records or applies for"),
    "registry:permit_detail": Route("permit"),
    "registry:permit_renew": Route("permit", method="post"),
    "registry:permit_decide": Route("permit", method="post", extra={"action": "verify"}),
    "registry:approval_list": Route(SIGNED_IN, lists="approval"),
    "registry:approval_new": Route(SIGNED_IN, why="offers only the consignors the user records or applies for"),
    "registry:approval_detail": Route("approval"),
    "registry:approval_decide": Route("approval", method="post", extra={"action": "suspend"}),
    # Reporting pages
    "reporting:dashboard": Route(SIGNED_IN, officers_only=True),
    "reporting:recompute": Route(SIGNED_IN, officers_only=True),
    "reporting:recompute_progress": Route(SIGNED_IN, extra={"task_id": NO_TASK}, missing=True),
    "reporting:recompute_status": Route(SIGNED_IN, extra={"task_id": NO_TASK}, missing=True),
    "reporting:recompute_retry": Route(SIGNED_IN, method="post", extra={"task_id": NO_TASK}, missing=True),
    # Inbox and background exports: only the user's own, anyone else's id is a 404 like an unknown one
    "inbox:list": Route(SIGNED_IN),
    "inbox:badge": Route(SIGNED_IN),
    "inbox:open": Route(SIGNED_IN, method="post", extra={"pk": 2_000_000_000}, missing=True),
    "inbox:read_all": Route(SIGNED_IN, method="post"),
    "inbox:preferences": Route(SIGNED_IN),
    "exports:list": Route(SIGNED_IN),
    "exports:detail": Route(SIGNED_IN, extra={"pk": NO_TASK}, missing=True),
    "exports:status": Route(SIGNED_IN, extra={"pk": NO_TASK}, missing=True),
    "exports:download": Route(SIGNED_IN, extra={"pk": NO_TASK}, missing=True),
    "reporting:report_list": Route(SIGNED_IN, lists="report"),
    "reporting:report_start": Route(SIGNED_IN, method="post"),
    "reporting:report_detail": Route("report"),
    "reporting:report_workbook": Route("report"),
    "reporting:report_lines": Route("report", method="post"),
    "reporting:report_prefill": Route("report", method="post"),
    "reporting:report_submit": Route("report", method="post"),
    "reporting:report_accept": Route("report", method="post"),
    "reporting:report_return": Route("report", method="post"),
    "reporting:plan_list": Route(SIGNED_IN, lists="plan"),
    "reporting:plan_start": Route(SIGNED_IN, method="post"),
    "reporting:plan_detail": Route("plan"),
    "reporting:plan_submit": Route("plan", method="post"),
    "reporting:plan_accept": Route("plan", method="post"),
    "reporting:plan_return": Route("plan", method="post"),
    "reporting:warning_list": Route(SIGNED_IN, lists="warning"),
    "reporting:warning_detail": Route("warning"),
    "reporting:warning_action": Route("warning", method="post", extra={"action": "acknowledge"}),
    "reporting:inspection_list": Route(SIGNED_IN, officers_only=True, lists="inspection"),
    "reporting:inspection_new": Route(SIGNED_IN, officers_only=True),
    "reporting:inspection_detail": Route("inspection", officers_only=True),
    "reporting:inspection_rectified": Route("inspection", method="post", officers_only=True),
    "reporting:import_list": Route(SIGNED_IN, officers_only=True, lists="import_run"),
    "reporting:import_detail": Route("import_run", officers_only=True),
    "reporting:import_reconciliation": Route(SIGNED_IN, officers_only=True),
    "reporting:enterprise_detail": Route("enterprise"),
    "reporting:threshold_list": Route(SIGNED_IN, officers_only=True, lists="park"),
    "reporting:threshold_park": Route("park", officers_only=True),
    "reporting:opportunity_list": Route(SIGNED_IN, officers_only=True),
    "reporting:carbon_export": Route(SIGNED_IN, officers_only=True, why="the officer's own parks"),
    "reporting:exchange": Route(SIGNED_IN, why="the open listings of the province are shown to all its users"),
    "reporting:exchange_stream_new": Route(SIGNED_IN, why="403 for whoever prepares no manifests"),
    "reporting:exchange_offer_new": Route(SIGNED_IN, why="403 for whoever signs for no receiver"),
    "reporting:exchange_stream": Route("stream"),
    "reporting:exchange_prepare": Route("stream", extra={"receiver_pk": 2_000_000_000}, why="403 for officers"),
    "reporting:exchange_withdraw": Route("stream", method="post", extra={"kind": "streams"}),
    "reporting:network": Route(SIGNED_IN, officers_only=True),
    # API documentation
    "api:schema": Route(PUBLIC),
    "api:swagger-ui": Route(PUBLIC),
    "api:redoc": Route(PUBLIC),
    # API collections and objects
    "api:park-list": Route(SIGNED_IN, lists="park"),
    "api:park-detail": Route("park"),
    "api:enterprise-list": Route(SIGNED_IN, lists="enterprise"),
    "api:enterprise-detail": Route("enterprise"),
    "api:enterprise-resubmit": Route("enterprise"),
    "api:permit-list": Route(SIGNED_IN, lists="permit"),
    "api:permit-detail": Route("permit"),
    "api:permit-verify": Route("permit"),
    "api:permit-grant": Route("permit"),
    "api:permit-refuse": Route("permit"),
    "api:permit-suspend": Route("permit"),
    "api:permit-reinstate": Route("permit"),
    "api:permit-revoke": Route("permit"),
    "api:permit-renew": Route("permit"),
    "api:facility-list": Route(SIGNED_IN, lists="facility"),
    "api:facility-detail": Route("facility"),
    # Devices only (tests/telemetry/): a person or any other client is refused before anything is read.
    "api:telemetry-readings-list": Route(SIGNED_IN, method="post", why="a device posts its own readings"),
    "api:waste-category-list": Route(SIGNED_IN),
    "api:waste-category-detail": Route(SIGNED_IN, extra={"pk": "catalogue:category"}),
    "api:waste-code-list": Route(SIGNED_IN),
    "api:waste-code-detail": Route(SIGNED_IN, extra={"pk": "catalogue:code"}),
    "api:management-method-list": Route(SIGNED_IN),
    "api:management-method-detail": Route(SIGNED_IN, extra={"pk": "catalogue:method"}),
    "api:manifest-list": Route(SIGNED_IN, lists="manifest"),
    "api:manifest-detail": Route("manifest"),
    "api:manifest-cancel": Route("manifest"),
    "api:manifest-pickup": Route("manifest"),
    "api:manifest-receive": Route("manifest"),
    "api:manifest-reject": Route("manifest"),
    "api:manifest-submit": Route("manifest"),
    "api:manifest-treat": Route("manifest"),
    "api:ledger-entry-list": Route(SIGNED_IN, lists="ledger"),
    "api:ledger-entry-detail": Route("ledger"),
    "api:ledger-entry-reverse": Route("ledger"),
    "api:ledger-entry-move": Route(SIGNED_IN, why="moves only between the caller's own stores"),
    "api:stock-list": Route(SIGNED_IN, lists="stock"),
    "api:stock-detail": Route("stock"),
    "api:monthly-report-list": Route(SIGNED_IN, lists="report"),
    "api:monthly-report-annual-summary": Route(SIGNED_IN, why="filtered to the caller's enterprises"),
    "api:monthly-report-detail": Route("report"),
    "api:monthly-report-prefill": Route("report"),
    "api:monthly-report-submit": Route("report"),
    "api:monthly-report-duties": Route(SIGNED_IN, why="filtered to the enterprises the caller sees"),
    "api:management-plan-list": Route(SIGNED_IN, lists="plan"),
    "api:management-plan-detail": Route("plan"),
    "api:management-plan-submit": Route("plan"),
    "api:management-plan-accept": Route("plan"),
    "api:management-plan-return-plan": Route("plan"),
    "api:utilization-list": Route(SIGNED_IN, lists="snapshot"),
    "api:utilization-detail": Route("snapshot"),
    "api:warning-list": Route(SIGNED_IN, lists="warning"),
    "api:warning-detail": Route("warning"),
    "api:warning-acknowledge": Route("warning"),
    "api:warning-assign": Route("warning"),
    "api:warning-dismiss": Route("warning"),
    "api:warning-resolve": Route("warning"),
    "api:division-list": Route(SIGNED_IN),
    "api:division-detail": Route(SIGNED_IN, extra={"pk": "catalogue:division"}),
    "api:transfer-approval-list": Route(SIGNED_IN, lists="approval"),
    "api:transfer-approval-detail": Route("approval"),
    "api:transfer-approval-verify": Route("approval"),
    "api:transfer-approval-grant": Route("approval"),
    "api:transfer-approval-refuse": Route("approval"),
    "api:transfer-approval-suspend": Route("approval"),
    "api:transfer-approval-reinstate": Route("approval"),
    "api:transfer-approval-revoke": Route("approval"),
    "api:revision-request-list": Route(SIGNED_IN, lists="revision_request"),
    "api:revision-request-detail": Route("revision_request"),
    "api:revision-request-approve": Route("revision_request"),
    "api:revision-request-refuse": Route("revision_request"),
    "api:inspection-list": Route(SIGNED_IN, lists="inspection"),
    "api:inspection-detail": Route("inspection"),
    "api:inspection-rectified": Route("inspection"),
    "api:person-list": Route(SIGNED_IN, lists="person"),
    "api:person-detail": Route("person"),
    "api:deletion-list": Route(SIGNED_IN, lists="deletion"),
    "api:deletion-detail": Route("deletion"),
    "api:container-list": Route(SIGNED_IN, lists="container"),
    "api:container-detail": Route("container"),
    "api:container-scan": Route(SIGNED_IN, why="scans only containers the caller may see"),
    "api:container-load": Route(SIGNED_IN, why="loads only the caller's own lines and containers"),
    "api:carbon-detail": Route("enterprise", why="an enterprise's figures unless ?scope= says park or province"),
    "api:opportunities-detail": Route("park", officers_only=True, why="a park's streams: officers and the province"),
    # Webhooks: an API client's own subscriptions; a person signed in is refused (403).
    "api:webhook-list": Route(SIGNED_IN, client_config=True),
    "api:webhook-detail": Route(SIGNED_IN, extra={"pk": 2_000_000_000}, missing=True, client_config=True),
    "api:webhook-enable": Route(SIGNED_IN, extra={"pk": 2_000_000_000}, missing=True, client_config=True),
    "api:webhook-deliveries": Route(SIGNED_IN, extra={"pk": 2_000_000_000}, missing=True, client_config=True),
    "api:webhook-replay": Route(
        SIGNED_IN, extra={"pk": 2_000_000_000, "delivery_id": 1}, missing=True, client_config=True
    ),
}
# Patterns that are not endpoints of their own.
NOT_ENDPOINTS = {None, "api:None"}  # the JSON 404 catch-alls under /api/


# --- the two parks ------------------------------------------------------------------------------------


def _build_park(letter: str, park, gen, carrier, receiver, preparer, clerk, officer) -> dict[str, list[Thing]]:
    names = {"A": ("X", "C", "R"), "B": ("Y", "D", "S")}[letter]
    everyone = frozenset(names)
    store = f.FacilityFactory(enterprise=gen, name=f"STORE-{letter}")
    f.PermitFactory(enterprise=carrier, kind=PermitKind.ROAD_TRANSPORT, number=f"ROAD-{letter}")
    permit = f.PermitFactory(enterprise=receiver, number=f"PERMIT-{letter}")
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code("900-249-08"), method=f.method("R9"))
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    ledger = transfer_services.record_ledger_entry(
        actor=preparer, enterprise=gen, facility=store, waste_code=f.waste_code("900-249-08"), stage="generated",
        quantity_t=Decimal("40"), occurred_at=timezone.now() - timedelta(days=40), batch_code=f"BATCH-{letter}",
    )  # fmt: skip
    manifest = draft(actor=preparer, consignor=gen, carrier=carrier, receiver=receiver, facility=store)
    transfer_services.submit_manifest(manifest=manifest, actor=preparer)
    manifest.refresh_from_db()
    revision = transfer_services.propose_revision(
        manifest=manifest, actor=preparer, changes={"manifest": {"vehicle_plate": "黔D12345"}}, reason="车牌"
    )
    plan = plan_services.create_management_plan(
        actor=preparer,
        enterprise=gen,
        year=timezone.localdate().year,
        lines=[plan_services.PlanLineInput(waste_code=f.waste_code("900-249-08"), figures={"generation": 5})],
    )
    report = report_services.create_monthly_report(
        actor=preparer, enterprise=gen, year=last_month.year, month=last_month.month
    )
    warning = Warning.objects.create(
        rule="MANIFEST_OVERDUE", severity="warning", park=park, enterprise=gen, manifest=manifest,
        message_zh="联单超时", message_en=f"WARN-{letter}", dedup_key=f"matrix:{letter}",
        raised_at=timezone.now(),
    )  # fmt: skip
    recompute_period(year=last_month.year, month=last_month.month, park=park)
    snapshot = UtilizationSnapshot.objects.filter(scope="enterprise", enterprise=gen).first()
    park_snapshot = UtilizationSnapshot.objects.filter(scope="park", park=park).first()
    stock = StockBalance.objects.get(facility=store)
    inspection = record_inspection(
        actor=officer, enterprise=gen, date=timezone.localdate(), kind="site_visit", findings=f"INSPECT-{letter}"
    )
    approval = f.TransferApprovalFactory(consignor=gen, receiver=receiver, number=f"APPROVAL-{letter}")
    import_run = ImportRun.objects.create(
        park=park, source="batteries", file_name=f"IMPORT-{letter}.csv", file_kind="csv", digest=letter * 64,
        status="done",
    )  # fmt: skip
    # A utilization row of the enterprise deleted by a recompute leaves a tombstone scoped like it.
    tombstone = Tombstone.objects.create(
        collection="utilization", object_id=10**9 + ord(letter), park_id=park.pk, enterprise_id=gen.pk
    )
    [container] = label_containers(
        entry=ledger, actor=preparer, weights=[Decimal("40")], packaging_type="drum", physical_form="solid"
    )
    stream = publish_stream(
        actor=preparer, enterprise=gen, waste_code=f.waste_code("900-249-08"), monthly_t=Decimal("3"),
        available_from=timezone.localdate(),
    )  # fmt: skip
    gen_only = frozenset({names[0]})
    things = [
        Thing("park", park.pk, letter, everyone, park.name),
        Thing("enterprise", gen.pk, letter, gen_only, gen.name),
        Thing("facility", store.pk, letter, gen_only, store.name),
        Thing("permit", permit.pk, letter, frozenset({names[2]}), permit.number),
        Thing("manifest", manifest.pk, letter, everyone, manifest.number),
        Thing("revision", manifest.pk, letter, everyone, args={"revision_pk": revision.pk}),
        Thing("ledger", ledger.pk, letter, gen_only, f"BATCH-{letter}"),
        Thing("stock", stock.pk, letter, gen_only, store.name),
        Thing("report", report.pk, letter, gen_only),
        Thing("plan", plan.pk, letter, gen_only),
        Thing("warning", warning.pk, letter, gen_only, f"WARN-{letter}"),
        Thing("inspection", inspection.pk, letter, gen_only, f"INSPECT-{letter}"),
        Thing("import_run", import_run.pk, letter, gen_only, f"IMPORT-{letter}"),
        Thing("approval", approval.pk, letter, frozenset({names[0], names[2]}), approval.number),
        Thing("revision_request", revision.pk, letter, everyone),
        Thing("deletion", tombstone.pk, letter, gen_only),
        Thing("container", container.pk, letter, gen_only),
        Thing("container_page", None, letter, gen_only, args={"code": container.code}),
        Thing("stream", stream.pk, letter, gen_only),
        # People: an enterprise's staff are seen by the enterprise and its park's officers; an officer by
        # the officers over the same park.
        Thing("person", preparer.pk, letter, gen_only),
        Thing("person", clerk.pk, letter, frozenset({names[2]})),
        Thing("person", officer.pk, letter),
    ]
    if snapshot:
        things.append(Thing("snapshot", snapshot.pk, letter, gen_only))
    if park_snapshot:
        things.append(Thing("snapshot", park_snapshot.pk, letter, frozenset()))
    return things


@pytest.fixture
def unthrottled(monkeypatch):
    # The matrix sends a few hundred requests a persona; throttling has its own tests (tests/api).
    from wasteparks.api import throttling

    monkeypatch.setattr(throttling.ClientRateThrottle, "rate", "100000/minute", raising=False)
    monkeypatch.setattr(throttling.AnonymousRateThrottle, "rate", "100000/minute", raising=False)


@pytest.fixture
def world(unthrottled, park_a, park_b, enterprise_x, enterprise_y, carrier_c, receiver_r, preparer_x, preparer_y,
          driver_c, clerk_r, officer_a, officer_b, provincial):  # fmt: skip
    receiver_r.permits.all().delete()  # each park gets the same permits below
    carrier_d = f.EnterpriseFactory(name="Carrier D", park=park_b, is_generator=False, is_carrier=True)
    receiver_s = f.EnterpriseFactory(name="Receiver S", park=park_b, is_generator=False, is_receiver=True)
    clerk_s = f.member(f.UserFactory(username="clerk_s"), receiver_s, EnterpriseRole.PREPARER)
    things = _build_park("A", park_a, enterprise_x, carrier_c, receiver_r, preparer_x, clerk_r, officer_a)
    things += _build_park("B", park_b, enterprise_y, carrier_d, receiver_s, preparer_y, clerk_s, officer_b)
    _, read_all = create_api_client(name="省平台", scope="read:all")
    _, enterprise = create_api_client(name="企业X接口", scope="enterprise", enterprise=enterprise_x)
    users = {"preparer_x": preparer_x, "preparer_y": preparer_y, "driver_c": driver_c, "officer_a": officer_a,
             "officer_b": officer_b, "provincial": provincial}  # fmt: skip
    return {"things": things, "users": users, "tokens": {"read_all_client": read_all, "enterprise_client": enterprise}}


def client_for(world, persona: str) -> Client:
    client = Client()
    if persona in world["users"]:
        client.force_login(world["users"][persona])
    elif persona in world["tokens"]:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens'][persona]}"
    return client


# --- enumerating what is served -------------------------------------------------------------------------


def url_patterns(patterns=None, namespace=None):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}:{entry.name}" if namespace else entry.name


def served_names() -> set:
    return {name for name in url_patterns() if not (name or "").startswith("admin:")}


def schema_operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        name = resolve(concrete).view_name
        for method in methods:
            operations.append((name, method, path))
    return operations


def test_every_url_pattern_is_in_the_table():
    missing = sorted(str(name) for name in served_names() - set(ROUTES) - NOT_ENDPOINTS)
    assert missing == [], f"Add these to ROUTES with who may reach them: {missing}"


def test_every_schema_operation_is_in_the_table():
    missing = sorted({f"{method.upper()} {path} ({name})" for name, method, path in schema_operations()
                      if name not in ROUTES})  # fmt: skip
    assert missing == [], f"Add these to ROUTES: {missing}"


def test_the_table_names_nothing_that_is_not_served():
    assert sorted(set(ROUTES) - served_names()) == []


# --- the matrix ---------------------------------------------------------------------------------------


def _url(name: str, route: Route, thing: Thing | None, world) -> str:
    kwargs = {}
    for key, value in route.extra.items():
        if value == "verify:manifest":
            from transfers.models import Manifest
            from transfers.views import verification_token

            value = verification_token(Manifest.objects.order_by("pk").first())
        elif value == "invitation:open":
            from registry.models import Enterprise, Invitation, User, token_digest

            value = "matrix-invitation"
            Invitation.objects.get_or_create(
                token_hash=token_digest(value),
                defaults={"enterprise": Enterprise.objects.order_by("pk").first(), "email": "new@example.com",
                          "role": "driver", "invited_by": User.objects.order_by("pk").first(),
                          "expires_at": timezone.now() + timedelta(days=7)},
            )  # fmt: skip
        elif isinstance(value, str) and value.startswith("catalogue:"):
            from registry.models import Division, ManagementMethod, WasteCategory, WasteCode

            model = {"category": WasteCategory, "code": WasteCode, "method": ManagementMethod, "division": Division}[
                value.split(":")[1]
            ]
            value = model.objects.order_by("pk").values_list("pk", flat=True).first()
        kwargs[key] = value
    if thing is not None:
        if thing.pk is not None:
            kwargs["pk"] = thing.pk
        kwargs.update(thing.args)
    return reverse(name, kwargs=kwargs or None)


def _call(client: Client, method: str, url: str, is_api: bool):
    if method == "get":
        return client.get(url)
    if is_api:
        return client.generic(method.upper(), url, "{}", content_type="application/json")
    return client.post(url, {})


def _api_methods(name: str, operations) -> list[str]:
    return sorted({method for op_name, method, _ in operations if op_name == name}) or ["get"]


@pytest.mark.parametrize("persona", list(SEES))
def test_each_persona_reaches_exactly_what_it_may(world, persona):
    operations = schema_operations()
    client = client_for(world, persona)
    things = world["things"]
    problems = []
    checked = 0
    for name, route in ROUTES.items():
        is_api = name.startswith("api:")
        if persona in API_CLIENTS and not is_api:
            continue  # machine credentials are for the API only
        methods = _api_methods(name, operations) if is_api else [route.method]
        targets = [thing for thing in things if thing.kind == route.about] or [None]
        for method in methods:
            for thing in targets:
                url = _url(name, route, thing, world)
                caller = client_for(world, persona) if route.ends_session else client
                response = _call(caller, method, url, is_api)
                status = response.status_code
                checked += 1
                expected = _expectation(persona, route, thing, method, is_api)
                if not expected(status):
                    problems.append(f"{persona} {method.upper()} {url} -> {status} (expected {expected.__doc__})")
                if status == 200 and route.lists and method == "get":
                    problems += _leaks(persona, route, response, things, url, is_api)
    assert checked > 0
    assert problems == [], "\n".join(problems)


def _expectation(persona: str, route: Route, thing: Thing | None, method: str, is_api: bool):
    def is_(*codes):
        def check(status):
            return status in codes

        check.__doc__ = " or ".join(map(str, codes))
        return check

    def reachable(status):
        """anything but 404 and 5xx"""
        return status != 404 and status < 500

    if route.about == PUBLIC:
        return reachable
    if persona == "anonymous":
        return is_(401, 403) if is_api else is_(302)
    if persona == "read_all_client" and method not in ("get", "head", "options") and not route.client_config:
        return is_(403, 405)
    if route.missing:
        return is_(403, 404)
    if route.officers_only and persona not in ("officer_a", "officer_b", "provincial", "read_all_client"):
        return is_(403)  # the same answer for any id, so it tells nothing about what exists
    if route.about in (SIGNED_IN, STAFF) or thing is None:
        return reachable
    if thing.park is None:  # province-wide rows
        return reachable if persona in ("provincial", "read_all_client") else is_(404)
    return reachable if SEES[persona](thing) else is_(404)


def _leaks(persona: str, route: Route, response, things, url: str, is_api: bool) -> list[str]:
    hidden = [thing for thing in things if thing.kind == route.lists and not SEES[persona](thing)]
    if is_api:
        listed = {row.get("id") for row in response.json().get("results", [])}
        return [f"{persona} GET {url} lists {thing.kind} {thing.pk} of park {thing.park}"
                for thing in hidden if thing.pk in listed]  # fmt: skip
    body = response.content.decode()
    return [f"{persona} GET {url} shows {thing.kind} {thing.marker!r} of park {thing.park}"
            for thing in hidden if thing.marker and thing.marker in body]  # fmt: skip


@pytest.mark.parametrize("persona", SESSION_PERSONAS + ["anonymous"])
def test_the_admin_is_for_staff_only(world, persona):
    response = client_for(world, persona).get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_matrix_has_teeth(world):
    """The table is not vacuous: it covers every persona, both parks and a real number of requests."""
    kinds = {thing.kind for thing in world["things"]}
    assert {"park", "enterprise", "facility", "permit", "manifest", "ledger", "stock", "report", "warning"} <= kinds
    assert {thing.park for thing in world["things"]} == {"A", "B"}
    assert Decimal(len(ROUTES)) > 60
