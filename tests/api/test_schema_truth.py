"""The served schema tells the truth about the rows, and every id a row names can be fetched.

Walked systematically rather than field by field: every collection the router serves, every field of its
serializer (nested ones too), against the model's columns; then a province's worth of rows built through
the services (a month of manifests at every step, a report returned for correction, warnings raised by the
scan and handled by an officer, snapshots, inspections, a revision request) fetched as the provincial
platform and validated, row by row, against the schema served at /api/v1/schema/ with a JSON-schema
validator, nulls included.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import models
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft7Validator
from rest_framework import serializers

from registry.classes import override_management_class
from registry.clients import create_api_client
from registry.models import ApiScope, Division, WasteCategory, WasteCode
from reporting import warnings as warning_services
from reporting.models import UtilizationSnapshot, Warning
from reporting.services import plans as plan_services
from reporting.services import reports as report_services
from reporting.services.inspections import mark_inspection_rectified, record_inspection
from reporting.services.utilization import recompute_period
from tests import factories as f
from tests.fixtures.reports import HW, make_report, record
from tests.transfers.factories import draft
from transfers import services as transfer_services
from transfers.services.classes import derive_management_class
from transfers.services.containers import label_containers, load_containers
from wasteparks.api.router import build_router
from wasteparks.models import Tombstone
from wasteparks.webhooks import subscribe

from .conftest import bearer

# Text columns that hold a catalogue code (not a relation the serializer can see): collection, field.
CODES_HELD_AS_TEXT = {
    ("parks", "province_code"): (Division, "code"),
    ("utilization", "province_code"): (Division, "code"),
    ("utilization", "category_code"): (WasteCategory, "code"),
    ("divisions", "province_code"): (Division, "code"),
    ("people", "jurisdictions", "[]", "province_code"): (Division, "code"),
}


# --- what the router serves -----------------------------------------------------------------------


def collections() -> list[tuple[str, type]]:
    return [(prefix, viewset) for prefix, viewset, _ in build_router().registry]


def collection_of_model() -> dict[type, str]:
    return {viewset.queryset.model: prefix for prefix, viewset in collections()}


def _serializers(serializer, path=()):
    """(path, serializer) for a row serializer and every serializer nested in it."""
    yield path, serializer
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            yield from _serializers(field.child, (*path, name, "[]"))
        elif isinstance(field, serializers.BaseSerializer):
            yield from _serializers(field, (*path, name))


def row_serializers():
    for prefix, viewset in collections():
        for path, serializer in _serializers(viewset.serializer_class()):
            yield prefix, path, serializer


def _model_field(model, name: str):
    """The model field called `name` (or whose column is `name`, e.g. actor_id), reverse relations
    included; None for a property, a method or an annotation."""
    for field in model._meta.get_fields():
        if field.name == name or getattr(field, "attname", None) == name:
            return field
    return None


def model_path(model, source: str) -> list | None:
    """The model fields a serializer field's source goes through; None if a step is not a field."""
    if model is None or source == "*":
        return None
    fields = []
    for step in source.split("."):
        if model is None:
            return None
        field = _model_field(model, step)
        if field is None:
            return None
        fields.append(field)
        model = field.related_model if field.is_relation else None
    return fields


def can_be_null(field) -> bool:
    if isinstance(field, models.ForeignObjectRel):
        return field.one_to_one  # a reverse one-to-one may not exist; a reverse many is a list
    return field.null


def _names_a_row(field, chain) -> bool:
    """Whether a field's value is the id of another row (the last step of its source is a relation)."""
    return bool(chain) and chain[-1].is_relation and not isinstance(field, serializers.BaseSerializer)


def references(serializer, model_of_parent=None, path=()):
    """(data path, referenced model, key) for each field naming another row: key "pk" for an id, else the
    slug field (a catalogue code, a username)."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    for name, field in serializer.fields.items():
        here = (*path, name)
        if isinstance(field, serializers.ListSerializer):
            yield from references(field.child, model, (*here, "[]"))
            continue
        if isinstance(field, serializers.BaseSerializer):
            yield from references(field, model, here)
            continue
        chain = model_path(model, field.source)
        if not _names_a_row(field, chain) or isinstance(field, serializers.StringRelatedField):
            continue  # a display name (v1's warning event actor) is not a key; its `_id` twin is
        target = chain[-1].related_model
        if isinstance(field, serializers.ManyRelatedField):
            yield (*here, "[]"), target, "pk"
        elif isinstance(field, serializers.SlugRelatedField):
            yield here, target, field.slug_field
        else:
            yield here, target, "pk"


def values_at(row, path):
    if not path:
        yield row
        return
    head, rest = path[0], path[1:]
    if head == "[]":
        for item in row or []:
            yield from values_at(item, rest)
    elif isinstance(row, dict) and row.get(head) is not None:
        yield from values_at(row[head], rest)


# --- the schema, as a JSON-schema validator reads it ----------------------------------------------


@pytest.fixture
def schema(client):
    """The schema as served to integrators at /api/v1/schema/."""
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def as_json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a null alternative, and an object allows
    no property it does not declare (a row must not carry more than the schema says)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False) is True:
        return {"anyOf": [node, {"type": "null"}]}
    return node


def results_schema(schema, path: str) -> dict:
    """The schema of a collection's `results` (its rows), from the served page schema."""
    page = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return _resolve(page, schema["components"]["schemas"])[1]["properties"]["results"]


def rows_validator(schema, path: str) -> Draft7Validator:
    components = {"schemas": as_json_schema(schema["components"]["schemas"])}
    return Draft7Validator({"allOf": [as_json_schema(results_schema(schema, path))], "components": components})


def _resolve(node, components):
    name = None
    while True:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            node = components[name]
        elif len(node.get("allOf", ())) == 1:
            node = node["allOf"][0]
        else:
            return name, node


def observe(node, value, components, seen, owner=None):
    """Record, per (schema component, property), whether rows gave it null or a value."""
    name, node = _resolve(node, components)
    owner = name or owner
    if value is None:
        return
    if isinstance(value, dict):
        for key, sub in node.get("properties", {}).items():
            if key in value:
                seen[(owner, key)].add("null" if value[key] is None else "value")
                observe(sub, value[key], components, seen, owner)
    elif isinstance(value, list) and "items" in node:
        for item in value:
            observe(node["items"], item, components, seen, owner)


def declared_nullable(node, components) -> bool:
    _, node = _resolve(node, components)
    return bool(node.get("nullable")) or any(
        _resolve(branch, components)[1].get("enum") == [None] for branch in node.get("oneOf", ())
    )


def list_paths(schema) -> list[str]:
    """Every row collection: a GET without an id, but for the annual summary and the reporting duties of a
    period (actions, not rows)."""
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "get" in operations
        and "{id}" not in path
        and not path.endswith("annual-summary/")
        and not path.endswith("duties/")
    )


# --- the rules, checked on the code -----------------------------------------------------------------


def test_the_schema_generates_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}


# Columns nullable in the database that a committed row never leaves null, so the schema need not say so.
NEVER_NULL_ONCE_COMMITTED = {
    # Null only inside create_monthly_report's transaction, which sets it before committing.
    "monthly-reports.revision",
    # An earlier revision exists because it was submitted and returned: never without these.
    *(
        f"monthly-reports.earlier_revisions.[].{name}"
        for name in ("submitted_by_id", "submitted_at", "reviewed_by_id", "reviewed_at")
    ),
}


def test_every_column_that_can_be_null_is_read_through_a_nullable_field():
    wrong = []
    for prefix, path, serializer in row_serializers():
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        for name, field in serializer.fields.items():
            if isinstance(field, serializers.BaseSerializer | serializers.ManyRelatedField):
                continue
            chain = model_path(model, field.source)
            if chain and any(can_be_null(step) for step in chain) and not field.allow_null:
                wrong.append(".".join((prefix, *path, name)))
    assert sorted(wrong) == sorted(NEVER_NULL_ONCE_COMMITTED)


def test_every_derived_field_says_so_and_no_column_claims_to_be():
    """A field that is not a column of its row (a name copied from a related row, an age, a rate, a sum)
    has a description starting with "Derived"; a column's description never does."""
    wrong = []
    for prefix, path, serializer in row_serializers():
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        if model is None:
            continue  # a computed sub-object (a utilization window) is described where it is used
        for name, field in serializer.fields.items():
            if isinstance(field, serializers.BaseSerializer | serializers.ManyRelatedField):
                continue
            chain = model_path(model, field.source)
            derived = isinstance(field, serializers.SerializerMethodField) or chain is None or len(chain) > 1
            says = str(field.help_text or "").startswith("Derived")
            if derived != says:
                wrong.append(f"{'.'.join((prefix, *path, name))} ({'derived' if derived else 'a column'})")
    assert wrong == []


def test_every_row_names_only_models_that_have_a_collection():
    served = collection_of_model()
    missing = {
        f"{prefix}.{'.'.join(path)} -> {model.__name__}"
        for prefix, viewset in collections()
        for path, model, _key in references(viewset.serializer_class())
        if model not in served
    }
    assert missing == set()


# --- the rows, checked against the schema ----------------------------------------------------------


@pytest.fixture
def world(
    scripted_month, report_x, preparer_x, officer_a, provincial, driver_c, clerk_r, enterprise_x, enterprise_y,
    receiver_r, carrier_c, x_store, x_yard, park_a, hazardous_draft, advance,
):  # fmt: skip
    """A province's rows at every step: what a full mirror meets."""
    period = scripted_month["period"]
    # A report filed, returned for correction (an earlier revision, a reviewer), one never submitted.
    report_services.submit_monthly_report(report=report_x, actor=preparer_x, comment="按时报送")
    report_services.return_monthly_report(report=report_x, officer=officer_a, comment="请核对 HW08 期末库存")
    make_report(enterprise=enterprise_y, period=period.previous(), lines={"900-249-08": {"generated": "1"}})
    # Manifests: the scripted month's (treated, in transit, refused), a draft and a withdrawn draft.
    withdrawn = draft(
        actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store
    )
    approval = f.TransferApprovalFactory(consignor=enterprise_x, receiver=receiver_r)
    transfer_services.update_draft(manifest=withdrawn, actor=preparer_x, changes={"approval": approval})
    transfer_services.cancel_manifest(manifest=withdrawn, actor=preparer_x, reason="计划取消")
    # A revision request refused, and one with one approval of two.
    submitted = advance(hazardous_draft, "submitted")
    plate = {"manifest": {"vehicle_plate": "黔D12345"}}
    refused = transfer_services.propose_revision(manifest=submitted, actor=preparer_x, changes=plate, reason="车牌")
    transfer_services.decide_revision(revision=refused, actor=driver_c, approve=False, comment="车牌无误")
    pending = transfer_services.propose_revision(manifest=submitted, actor=preparer_x, changes=plate, reason="车牌")
    transfer_services.decide_revision(revision=pending, actor=driver_c, approve=True)
    # Last month's snapshots, then the scan: warnings the system raised (a load overdue, a park below its
    # target); an officer takes one on and closes another.
    recompute_period(year=period.year, month=period.month)
    warning_services.run_rules()
    raised = Warning.objects.order_by("pk")
    assert raised.count() >= 2
    warning_services.acknowledge_warning(warning=raised[0], actor=officer_a, note="已联系企业")
    warning_services.assign_warning(warning=raised[0], actor=officer_a, assignee=officer_a)
    warning_services.resolve_warning(warning=raised[1], actor=officer_a, note="已处理")
    # This month's snapshots, where receiver R holds the load of M2 (received now, which closes its overdue
    # warning by itself) and none of it is its own: rates with nothing to divide by.
    advance(scripted_month["m2"], "received")
    now = period.next()
    recompute_period(year=now.year, month=now.month)
    # Inspections: one open without a deadline, one rectified.
    today = timezone.localdate()
    record_inspection(actor=officer_a, enterprise=enterprise_x, date=today, kind="desk_check", findings="台账齐全")
    rectified = record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=today - timedelta(days=3), kind="site_visit",
        findings="标签缺失", required_rectification="补贴标签", rectification_deadline=today, warnings=[raised[0]],
    )  # fmt: skip
    mark_inspection_rectified(inspection=rectified, actor=officer_a, note="已补贴")
    # The yard emptied: a balance with nothing on hand has no oldest tonne and no age.
    record(actor=preparer_x, facility=x_yard, code=HW, stage="utilized_in_house", quantity="3", when=timezone.now(),
           method="R9")  # fmt: skip
    # A licence line covering a whole category, not one code.
    f.PermitLineFactory(
        permit=receiver_r.permits.first(), waste_code=None, category=WasteCategory.objects.get(code="HW08")
    )
    # A utilization row that no longer has figures is deleted by its recompute, leaving a tombstone.
    UtilizationSnapshot.objects.filter(scope="enterprise", enterprise=enterprise_y).delete()
    Tombstone.objects.create(
        collection="utilization", object_id=10**9, park_id=park_a.pk, enterprise_id=enterprise_x.pk
    )
    # Management classes: X derived from its ledger, then set by an officer; annual management plans, one
    # accepted, one a draft.
    derive_management_class(enterprise=enterprise_x, actor=None, occasion="年度核定")
    override_management_class(enterprise=enterprise_x, officer=officer_a, management_class="key", reason="省级名录")
    line = [plan_services.PlanLineInput(waste_code=WasteCode.objects.get(code=HW), figures={"generation": 10})]
    plan = plan_services.create_management_plan(actor=preparer_x, enterprise=enterprise_x, year=today.year, lines=line)
    plan_services.submit_management_plan(plan=plan, actor=preparer_x)
    plan_services.accept_management_plan(plan=plan, officer=officer_a)
    plan_services.create_management_plan(actor=preparer_x, enterprise=enterprise_x, year=today.year + 1, lines=line)
    # Labelled containers: two made into the submitted manifest's line (10 t), one still in the store.
    inflow = record(actor=preparer_x, facility=x_store, code=HW, stage="generated", quantity="13", when=timezone.now())
    labelled = label_containers(
        entry=inflow, actor=preparer_x, weights=[D("4"), D("6"), D("3")], packaging_type="drum", physical_form="liquid"
    )
    load_containers(line=submitted.lines.get(), actor=preparer_x, codes=[labelled[0].code, labelled[1].code])
    # Clients and a person with a full name.
    create_api_client(name="Enterprise X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    f.UserFactory(username="named", full_name="李娜")


def pull(caller, path: str) -> list[dict]:
    rows, url = [], f"{path}?page_size=1000"
    while url:
        response = caller.get(url)
        assert response.status_code == 200, (url, response.content)
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


def test_every_row_of_every_collection_matches_the_served_schema(world, schema, provincial_platform, settings):
    # The platform's own webhook subscription, so that its collection has a row too.
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    subscribe(
        client=provincial_platform.api_client, url="https://province.example/hooks", event_types=["manifest.changed"]
    )
    components = schema["components"]["schemas"]
    seen: dict[tuple, set] = defaultdict(set)
    problems = []
    for path in list_paths(schema):
        rows = pull(provincial_platform, path)
        assert rows, f"the world has no rows in {path}"
        errors = rows_validator(schema, path).iter_errors(rows)
        problems += [f"{path} {list(error.absolute_path)}: {error.message}" for error in errors]
        observe(results_schema(schema, path), rows, components, seen)
    assert problems == []
    # The nulls the issue named are among those met and accepted.
    for component, field in [
        ("WarningEvent", "actor"),
        ("WarningEvent", "actor_id"),
        ("MonthlyReport", "submitted_by"),
        ("MonthlyReport", "reviewed_by"),
        ("Manifest", "picked_up_at"),
        ("Manifest", "number"),
        ("ManifestLine", "treated_at"),
    ]:
        assert "null" in seen[(component, field)], (component, field)
    # And the world has teeth: every property the schema declares nullable was met as null at least once.
    never_null = sorted(
        f"{component}.{field}"
        for (component, field), kinds in seen.items()
        if component and declared_nullable(components[component]["properties"][field], components)
        and "null" not in kinds
    )  # fmt: skip
    assert never_null == [], "declared nullable, never met as null:\n" + "\n".join(never_null)


def test_every_listed_row_reads_the_same_as_its_own_detail(world, schema, provincial_platform):
    for path in list_paths(schema):
        for row in pull(provincial_platform, path):
            detail = provincial_platform.get(f"{path}{row['id']}/")
            assert detail.status_code == 200, (path, row["id"])
            assert detail.json() == row, path


def test_every_id_and_code_a_row_names_can_be_fetched_by_the_provincial_platform(world, provincial_platform):
    served = collection_of_model()
    wanted: dict[tuple, set] = defaultdict(set)
    for prefix, viewset in collections():
        rows = pull(provincial_platform, f"/api/v1/{prefix}/")
        for path, model, key in references(viewset.serializer_class()):
            collection = served.get(model, f"(no collection for {model.__name__})")
            wanted[(collection, key)].update(values_at({"row": rows}, ("row", "[]", *path)))
        for (collection, *path), (model, key) in CODES_HELD_AS_TEXT.items():
            if collection == prefix:
                values = set(values_at({"row": rows}, ("row", "[]", *path))) - {""}
                wanted[(served[model], key)].update(values)
    assert wanted[("people", "pk")] and wanted[("people", "username")] and wanted[("transfer-approvals", "pk")]
    unresolved = []
    for (collection, key), values in sorted(wanted.items()):
        if key == "pk":
            unresolved += [
                f"{collection} #{pk}"
                for pk in sorted(values)
                if provincial_platform.get(f"/api/v1/{collection}/{pk}/").status_code != 200
            ]
        else:
            known = {row[key] for row in pull(provincial_platform, f"/api/v1/{collection}/")}
            unresolved += [f"{collection} {key}={value}" for value in sorted(values - known)]
    assert unresolved == []


def test_an_enterprise_clients_rows_match_the_schema_too(world, schema, enterprise_x):
    _, token = create_api_client(name="X ERP (second)", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    erp = bearer(token)
    problems = []
    for path in list_paths(schema):
        errors = rows_validator(schema, path).iter_errors(pull(erp, path))
        problems += [f"{path} {list(error.absolute_path)}: {error.message}" for error in errors]
    assert problems == []
