"""Carbon: the factor table is loaded in editions, refuses bad rows line by line, and figures equal tonnes times
the table's factors; a route without a factor is not estimated (None), never 0.

The factor values in these tests are written by the tests into their own table files: they check the arithmetic
and the loader, not any published number (the published table is reporting/reference/carbon_factors.csv).
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from registry.geo import haversine_km
from reporting.carbon.factors import COLUMNS, DEFAULT_PATH, FactorTableError, current_edition, load_factors
from reporting.carbon.figures import avoided, transport
from reporting.models import CarbonFactor, CarbonFactorEdition
from tests import factories as f
from tests.api.conftest import error_of, session_of
from transfers import services as transfers
from transfers.models import LedgerStage
from wasteparks.periods import Period

SHANGHAI = ZoneInfo("Asia/Shanghai")
HW = "900-249-08"
MARCH = Period.month_of(2025, 3)


def table(tmp_path, *rows: str, name: str = "factors.csv"):
    path = tmp_path / name
    path.write_text(",".join(COLUMNS) + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def record(actor, facility, stage, quantity, day, method=None):
    return transfers.record_ledger_entry(
        actor=actor,
        enterprise=facility.enterprise,
        facility=facility,
        waste_code=f.waste_code(HW),
        stage=stage,
        quantity_t=Decimal(quantity),
        occurred_at=datetime(2025, 3, day, 10, tzinfo=SHANGHAI),
        method=f.method(method) if method else None,
    )


@pytest.fixture
def march_utilization(preparer_x, x_store):
    """X generates 100 t of 900-249-08 (HW08) and utilizes 30 t by R9 and 20 t by R2 in house in March 2025."""
    record(preparer_x, x_store, LedgerStage.GENERATED, "100", 3)
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, "30", 10, method="R9")
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, "20", 12, method="R2")


def test_the_published_table_loads_as_an_edition_and_every_factor_names_its_source(catalogue):
    result = load_factors(path=DEFAULT_PATH, edition="published")
    assert result.edition.factors.count() == result.count >= 1
    assert all(factor.source and factor.url for factor in result.edition.factors.all())
    # Read to the last published digit: 0.09516 kg CO2e per t·km (GLEC v2.0, docs/carbon.md).
    assert result.edition.factors.get(route="transport:road").factor == Decimal("0.00009516")


def test_figures_equal_tonnes_times_the_factor_and_an_unfactored_route_is_not_estimated(
    tmp_path, enterprise_x, march_utilization
):
    path = table(tmp_path, 'HW08:R9,virgin base oil,0.75,avoided,t CO2e/t,"Test table, not a published factor",,')
    edition = load_factors(path=path, edition="test-1").edition

    figure = avoided(enterprise_ids=[enterprise_x.id], period=MARCH, edition=edition)

    assert figure.avoided_t_co2e == Decimal("30") * Decimal("0.75")
    assert figure.covered_t == Decimal("30")
    assert figure.not_estimated_t == Decimal("20")
    assert figure.not_estimated_routes == [f"{HW}:R2"]


def test_with_no_factor_for_any_route_the_figure_is_none_not_zero(tmp_path, enterprise_x, march_utilization):
    edition = load_factors(path=table(tmp_path), edition="empty").edition

    figure = avoided(enterprise_ids=[enterprise_x.id], period=MARCH, edition=edition)

    assert figure.avoided_t_co2e is None
    assert figure.not_estimated_t == Decimal("50")


def test_a_code_factor_wins_over_its_category_factor(tmp_path, enterprise_x, march_utilization):
    path = table(
        tmp_path,
        "HW08:R9,base oil,0.5,avoided,t CO2e/t,Test table,,",
        f"{HW}:R9,base oil,0.9,avoided,t CO2e/t,Test table,,",
    )
    edition = load_factors(path=path, edition="code-first").edition

    assert avoided(enterprise_ids=[enterprise_x.id], period=MARCH, edition=edition).avoided_t_co2e == Decimal("27")


def test_another_enterprises_utilization_is_not_counted(tmp_path, enterprise_y, march_utilization):
    edition = load_factors(path=table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,"), edition="e").edition

    figure = avoided(enterprise_ids=[enterprise_y.id], period=MARCH, edition=edition)

    assert figure.avoided_t_co2e is None
    assert figure.not_estimated_t == 0


def test_the_loader_refuses_bad_rows_with_a_reason_per_line_and_writes_nothing(tmp_path, catalogue):
    path = table(
        tmp_path,
        "HW08:R99,x,0.5,avoided,t CO2e/t,Test table,,",
        "HW08:R9,x,0,avoided,t CO2e/t,Test table,,",
        "HW08:R2,x,-1,avoided,t CO2e/t,Test table,,",
        "HW08:R4,x,0.5,avoided,t CO2e/t,,,",
        "transport:truck,,abc,transport,t CO2e/t·km,Test table,,",
        "HW99:R9,x,0.5,avoided,t CO2e/t,Test table,,",
    )

    with pytest.raises(FactorTableError) as refused:
        load_factors(path=path, edition="bad")

    assert refused.value.reasons == [
        "line 2: unknown management method 'R99'",
        "line 3: factor must be above zero",
        "line 4: factor must be above zero",
        "line 5: source is missing",
        "line 6: factor is not a number",
        "line 7: unknown waste code or category 'HW99'",
    ]
    assert not CarbonFactorEdition.objects.exists()
    assert not CarbonFactor.objects.exists()


def test_the_command_lists_the_refused_rows(tmp_path, catalogue):
    path = table(tmp_path, "HW08:R99,x,0.5,avoided,t CO2e/t,Test table,,")

    with pytest.raises(CommandError, match="line 2: unknown management method 'R99'"):
        call_command("load_carbon_factors", path=path, edition="bad")


def test_a_new_edition_leaves_figures_of_the_old_one_unchanged(tmp_path, enterprise_x, march_utilization):
    first = load_factors(path=table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,"), edition="2025").edition
    second_path = table(tmp_path, "HW08:R9,x,1.25,avoided,t CO2e/t,Test table,,", name="second.csv")
    second = load_factors(path=second_path, edition="2026").edition

    assert current_edition() == second
    assert avoided(enterprise_ids=[enterprise_x.id], period=MARCH, edition=first).avoided_t_co2e == Decimal("22.5")
    assert avoided(enterprise_ids=[enterprise_x.id], period=MARCH, edition=second).avoided_t_co2e == Decimal("37.5")
    assert avoided(enterprise_ids=[enterprise_x.id], period=MARCH, edition=first).edition == "2025"


def test_an_edition_name_cannot_be_loaded_twice(tmp_path, catalogue):
    load_factors(path=table(tmp_path), edition="2025")

    with pytest.raises(FactorTableError, match="exists already"):
        load_factors(path=table(tmp_path), edition="2025")


# --- /api/v1/carbon/ -------------------------------------------------------------------------------------------

CARBON = "/api/v1/carbon/"


@pytest.fixture
def factored(tmp_path, march_utilization):
    return load_factors(path=table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,"), edition="api").edition


def test_officer_of_park_a_reads_the_park_figure_with_the_not_estimated_tonnes(factored, officer_a, park_a):
    response = session_of(officer_a).get(f"{CARBON}{park_a.pk}/", {"period": "2025-03", "scope": "park"})

    assert response.status_code == 200
    body = response.json()
    assert Decimal(body["avoided_t_co2e"]) == Decimal("22.5")
    assert Decimal(body["not_estimated_t"]) == Decimal("20")
    assert body["edition"] == "api"
    assert body["transport_t_co2e"] is None


def test_officer_of_park_b_cannot_read_park_a_or_its_enterprise(factored, officer_b, park_a, enterprise_x):
    client = session_of(officer_b)

    assert client.get(f"{CARBON}{park_a.pk}/", {"period": "2025-03", "scope": "park"}).status_code == 404
    assert client.get(f"{CARBON}{enterprise_x.pk}/", {"period": "2025-03", "scope": "enterprise"}).status_code == 404


def test_an_enterprise_reads_its_own_figure_but_not_another_enterprises(
    factored, preparer_y, enterprise_x, enterprise_y
):
    client = session_of(preparer_y)

    assert client.get(f"{CARBON}{enterprise_x.pk}/", {"period": "2025-03", "scope": "enterprise"}).status_code == 404
    own = client.get(f"{CARBON}{enterprise_y.pk}/", {"period": "2025-03", "scope": "enterprise"}).json()
    assert own["avoided_t_co2e"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"period": "2025-13", "scope": "park"},
        {"period": "March", "scope": "park"},
        {"period": "2025-03", "scope": "galaxy"},
        {"period": "2025-3", "scope": "park"},
    ],
)
def test_a_bad_query_is_a_400_in_the_common_error_shape(query, officer_a, park_a):
    # Without ?period= the figure is of the current month; without ?scope=, of an enterprise.
    response = session_of(officer_a).get(f"{CARBON}{park_a.pk}/", query)

    assert response.status_code == 400
    assert error_of(response)


# --- the dashboard ---------------------------------------------------------------------------------------------


def test_the_park_dashboard_shows_the_figure_and_says_what_is_not_estimated_in_chinese(
    client, tmp_path, officer_a, preparer_x, x_store
):
    now = timezone.now()
    for stage, tonnes, method in [
        (LedgerStage.GENERATED, "100", None),
        (LedgerStage.UTILIZED_IN_HOUSE, "30", "R9"),
        (LedgerStage.UTILIZED_IN_HOUSE, "20", "R2"),
    ]:
        transfers.record_ledger_entry(
            actor=preparer_x,
            enterprise=x_store.enterprise,
            facility=x_store,
            waste_code=f.waste_code(HW),
            stage=stage,
            quantity_t=Decimal(tonnes),
            occurred_at=now,
            method=f.method(method) if method else None,
        )
    load_factors(path=table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,"), edition="dashboard")
    client.force_login(officer_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = client.get(reverse("reporting:dashboard")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert "22.50 t" in html  # 30 t × 0.75
    assert "未估算" in html  # the 20 t utilized by R2, which has no factor


def test_loading_an_unchanged_table_again_without_an_edition_name_changes_nothing(tmp_path, catalogue):
    path = table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,")

    call_command("load_carbon_factors", path=path)
    call_command("load_carbon_factors", path=path)

    assert CarbonFactorEdition.objects.count() == 1
    assert CarbonFactor.objects.count() == 1


def test_the_enterprise_page_shows_its_figure(client, tmp_path, officer_a, preparer_x, x_store, enterprise_x):
    transfers.record_ledger_entry(
        actor=preparer_x,
        enterprise=enterprise_x,
        facility=x_store,
        waste_code=f.waste_code(HW),
        stage=LedgerStage.GENERATED,
        quantity_t=Decimal("10"),
        occurred_at=timezone.now(),
    )
    transfers.record_ledger_entry(
        actor=preparer_x,
        enterprise=enterprise_x,
        facility=x_store,
        waste_code=f.waste_code(HW),
        stage=LedgerStage.UTILIZED_IN_HOUSE,
        quantity_t=Decimal("4"),
        occurred_at=timezone.now(),
        method=f.method("R9"),
    )
    load_factors(path=table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,"), edition="page")
    client.force_login(officer_a)

    html = client.get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk])).content.decode()

    assert 'data-testid="carbon"' in html
    assert "3.00 t" in html  # 4 t × 0.75


def test_the_enterprise_page_reads_its_figure_again_only_after_the_cache_time_and_says_when(
    client, settings, tmp_path, officer_a, preparer_x, x_store, enterprise_x
):
    settings.DASHBOARD_AGGREGATES_CACHE_SECONDS = 300
    load_factors(path=table(tmp_path, "HW08:R9,x,0.75,avoided,t CO2e/t,Test table,,"), edition="page")

    def now(stage, quantity, method=None):
        transfers.record_ledger_entry(
            actor=preparer_x, enterprise=enterprise_x, facility=x_store, waste_code=f.waste_code(HW), stage=stage,
            quantity_t=Decimal(quantity), occurred_at=timezone.now(), method=f.method(method) if method else None,
        )  # fmt: skip

    now(LedgerStage.GENERATED, "10")
    now(LedgerStage.UTILIZED_IN_HOUSE, "4", "R9")
    client.force_login(officer_a)
    url = reverse("reporting:enterprise_detail", args=[enterprise_x.pk])
    first = client.get(url)
    assert "3.00 t" in first.content.decode() and 'data-testid="carbon-as-of"' in first.content.decode()

    now(LedgerStage.UTILIZED_IN_HOUSE, "4", "R9")
    assert "3.00 t" in client.get(url).content.decode()  # as of the first view, which the page says
    settings.DASHBOARD_AGGREGATES_CACHE_SECONDS = 0
    cache.clear()
    assert "6.00 t" in client.get(url).content.decode()


# --- transport -------------------------------------------------------------------------------------------------


@pytest.fixture
def received_load(preparer_x, x_store, enterprise_x, receiver_r, hazardous_draft, advance):
    """X ships 10 t to R this month; X sits at Guiyang's centre, R some 30 km away."""
    record_now = timezone.now()
    transfers.record_ledger_entry(
        actor=preparer_x,
        enterprise=enterprise_x,
        facility=x_store,
        waste_code=f.waste_code(HW),
        stage=LedgerStage.GENERATED,
        quantity_t=Decimal("10"),
        occurred_at=record_now,
    )
    type(enterprise_x).objects.filter(pk=enterprise_x.pk).update(
        latitude=Decimal("26.647"), longitude=Decimal("106.630")
    )
    type(receiver_r).objects.filter(pk=receiver_r.pk).update(latitude=Decimal("26.900"), longitude=Decimal("106.700"))
    return advance(hazardous_draft, "received")


def test_transport_emissions_are_distance_times_tonnes_times_the_road_factor(tmp_path, enterprise_x, received_load):
    edition = load_factors(
        path=table(tmp_path, "transport:road,,0.00005,transport,t CO2e/t·km,Test table,,"), edition="t"
    ).edition

    figure = transport(enterprise_ids=[enterprise_x.id], period=Period.containing(), edition=edition)

    km = Decimal(str(round(haversine_km((26.647, 106.630), (26.900, 106.700)), 3)))
    assert 25 < km < 35
    assert figure.tonne_km == Decimal("10") * km
    assert figure.emitted_t_co2e == Decimal("10") * km * Decimal("0.00005")


def test_transport_without_a_road_factor_is_not_estimated(tmp_path, enterprise_x, received_load):
    edition = load_factors(path=table(tmp_path), edition="none").edition

    figure = transport(enterprise_ids=[enterprise_x.id], period=Period.containing(), edition=edition)

    assert figure.emitted_t_co2e is None
    assert figure.not_estimated_t == Decimal("10")


def _transport_section(html: str) -> str:
    return html.split('data-testid="carbon-transport"', 1)[1].split("</p>", 1)[0]


def test_officer_of_park_a_sees_on_the_dashboard_the_transport_figure_of_tonnes_times_km_times_the_factor(
    client, tmp_path, officer_a, received_load
):
    load_factors(path=table(tmp_path, "transport:road,,0.01,transport,t CO2e/t·km,Test table,,"), edition="road")
    client.force_login(officer_a)

    section = _transport_section(client.get(reverse("reporting:dashboard")).content.decode())

    # X → R: 10 t × 29.0 km × 0.01 t CO2e per t·km = 2.90 t, shown to two decimals.
    km = Decimal(str(round(haversine_km((26.647, 106.630), (26.900, 106.700)), 3)))
    shown = (Decimal("10") * km * Decimal("0.01")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert shown == Decimal("2.90")
    assert "2.90 t" in section
    assert "未估算" not in section


def test_a_month_with_nothing_carried_is_zero_emitted_not_unestimated(tmp_path, enterprise_x, receiver_r):
    edition = load_factors(
        path=table(tmp_path, "transport:road,,0.01,transport,t CO2e/t·km,Test table,,"), edition="road"
    ).edition

    figure = transport(enterprise_ids=[enterprise_x.id], period=Period.containing(), edition=edition)

    assert (figure.emitted_t_co2e, figure.not_estimated_t) == (Decimal(0), Decimal(0))


def test_officer_of_park_a_reads_not_estimated_for_a_load_to_a_receiver_without_a_position(
    client, tmp_path, officer_a, receiver_r, received_load
):
    type(receiver_r).objects.filter(pk=receiver_r.pk).update(latitude=None, longitude=None)
    load_factors(path=table(tmp_path, "transport:road,,0.01,transport,t CO2e/t·km,Test table,,"), edition="road")
    client.force_login(officer_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    section = _transport_section(client.get(reverse("reporting:dashboard")).content.decode())

    # Over the rolling 12 months of the utilization rate beside it.
    assert f"CO2e emitted by transport, {Period.containing().rolling(12)}" in section
    assert '<span class="fw-semibold">not estimated</span>' in section  # never 0
    assert "10.00 t carried to or from an enterprise with no recorded position: not estimated." in section


@pytest.mark.parametrize("scope", ["enterprise", "park"])
@pytest.mark.parametrize("key", ["²", "０１", "𰁮ï\x7f", "99999999999999999999"])
def test_an_id_not_written_in_ascii_digits_is_404_not_a_server_error(key, scope, officer_a):
    response = session_of(officer_a).get(f"{CARBON}{key}/", {"period": "2025-03", "scope": scope})

    assert response.status_code == 404


# --- the spreadsheet of each enterprise -----------------------------------------------------------------------


def export_rows(client, **query) -> list[list[str]]:
    import csv
    import io

    response = client.get(reverse("reporting:carbon_export"), {"export": "csv", **query})
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_officer_of_park_a_downloads_each_enterprise_figure_equal_to_the_one_by_one_figure(
    client, tmp_path, officer_a, park_a, enterprise_x, received_load
):
    edition = load_factors(
        path=table(tmp_path, "transport:road,,0.01,transport,t CO2e/t·km,Test table,,"), edition="road"
    ).edition
    month = Period.containing()
    alone = transport(enterprise_ids=[enterprise_x.pk], period=month, edition=edition)
    client.force_login(officer_a)

    header, *rows = export_rows(client, park=park_a.pk, period=str(month))

    by_name = {row[1]: row for row in rows}
    x = by_name[enterprise_x.name]
    assert Decimal(x[8]) == alone.emitted_t_co2e and Decimal(x[7]) == alone.tonne_km
    assert x[5] == ""  # no avoided factor: empty, never 0
    assert Decimal(by_name["Receiver R"][8]) == 0  # it shipped nothing


def test_the_spreadsheet_costs_the_same_for_two_and_six_enterprises(client, officer_a, park_a, enterprise_x):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(officer_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            export_rows(client, park=park_a.pk)
        return len(queries)

    f.EnterpriseFactory(park=park_a)
    few = count()
    for _ in range(4):
        f.EnterpriseFactory(park=park_a)
    assert count() == few


@pytest.mark.parametrize("query", [{"period": "2025-13"}, {"period": "２０２５-０３"}, {"park": "²"}])
def test_a_bad_spreadsheet_query_is_404(client, officer_a, park_a, query):
    client.force_login(officer_a)
    assert client.get(reverse("reporting:carbon_export"), {"park": park_a.pk, **query}).status_code == 404


def test_officer_of_park_b_cannot_download_park_a_and_enterprise_staff_are_refused(
    client, officer_b, preparer_x, park_a
):
    client.force_login(officer_b)
    assert client.get(reverse("reporting:carbon_export"), {"park": park_a.pk}).status_code == 404
    client.force_login(preparer_x)
    assert client.get(reverse("reporting:carbon_export"), {"park": park_a.pk}).status_code == 403
