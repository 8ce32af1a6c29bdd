"""Importing the battery platform's collection and transfer records: files (CSV, GB18030 CSV, .xlsx,
JSON), per-row reasons, idempotence, the pull adapter, the officers' pages and the command."""

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from reporting.imports import formats
from reporting.imports.formats import UnreadableFile
from reporting.imports.pull import PullFailed, fetch_records, pull_platform_records
from reporting.imports.services import import_file
from reporting.models import ImportedRecord, ImportOutcome, ImportRow, ImportRun, ImportRunStatus
from reporting.tasks.imports import pull_battery_platform
from wasteparks.errors import NotPermitted

HEADER = [
    "记录编号",
    "业务类型",
    "日期",
    "收集单位统一社会信用代码",
    "接收单位统一社会信用代码",
    "废物代码",
    "数量（吨）",
    "联单编号",
]
BATTERY = "HW31 900-052-31"


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def row(record_id, enterprise, *, kind="收集", quantity="1.5", code=BATTERY, receiver="", manifest=""):
    return [record_id, kind, "2026-03-05", enterprise.credit_code, receiver, code, quantity, manifest]


def outcomes(run):
    return {r.source_record_id: (r.outcome, r.reason) for r in run.rows.all()}


def test_same_file_twice_gives_the_same_result_and_writes_nothing_new(officer_a, park_a, enterprise_x):
    content = csv_bytes([row("R1", enterprise_x), row("R2", enterprise_x, quantity="2")])
    first = import_file(source="batteries", park=park_a, actor=officer_a, file_name="a.csv", content=content)
    counts = (ImportRun.objects.count(), ImportRow.objects.count(), ImportedRecord.objects.count())

    again = import_file(source="batteries", park=park_a, actor=officer_a, file_name="a.csv", content=content)

    assert again.pk == first.pk
    assert (first.rows_imported, first.rows_refused) == (2, 0)
    assert (ImportRun.objects.count(), ImportRow.objects.count(), ImportedRecord.objects.count()) == counts == (1, 2, 2)


def test_a_record_sent_again_in_another_file_is_unchanged_not_booked_twice(officer_a, park_a, enterprise_x):
    import_file(
        source="batteries",
        park=park_a,
        actor=officer_a,
        file_name="a.csv",
        content=csv_bytes([row("R1", enterprise_x)]),
    )
    content = csv_bytes([row("R1", enterprise_x), row("R3", enterprise_x)])

    run = import_file(source="batteries", park=park_a, actor=officer_a, file_name="b.csv", content=content)

    assert outcomes(run) == {"R1": (ImportOutcome.UNCHANGED, ""), "R3": (ImportOutcome.IMPORTED, "")}
    assert ImportedRecord.objects.count() == 2


def test_a_record_sent_again_with_other_content_is_refused_not_overwritten(officer_a, park_a, enterprise_x):
    import_file(
        source="batteries",
        park=park_a,
        actor=officer_a,
        file_name="a.csv",
        content=csv_bytes([row("R1", enterprise_x)]),
    )

    run = import_file(
        source="batteries", park=park_a, actor=officer_a, file_name="b.csv",
        content=csv_bytes([row("R1", enterprise_x, quantity="9")]),
    )  # fmt: skip

    assert run.rows_refused == 1 and "other content" in run.rows.get().reason
    assert ImportedRecord.objects.get().quantity_t == 1.5


def test_wrong_columns_refuse_the_whole_file_with_a_column_report(officer_a, park_a, enterprise_x):
    header = [*HEADER[:6], "重量", HEADER[7]]
    content = csv_bytes([row("R1", enterprise_x)], header=header)

    run = import_file(source="batteries", park=park_a, actor=officer_a, file_name="a.csv", content=content)

    assert run.status == ImportRunStatus.REFUSED
    assert "Unknown column “重量”" in run.column_report and "Missing column “数量（吨）”" in run.column_report
    assert ImportedRecord.objects.count() == 0 and ImportRow.objects.count() == 0


def test_bad_rows_get_their_own_reasons_and_the_good_ones_are_imported(
    officer_a, park_a, enterprise_x, enterprise_y, carrier_c
):
    content = csv_bytes(
        [
            row("OK", enterprise_x),
            row("CODE", enterprise_x, code="900-249-08"),
            ["NOBODY", "收集", "2026-03-05", "91520600MA0000000X", "", BATTERY, "1", ""],
            row("OTHERPARK", enterprise_y),
            row("DUP", enterprise_x),
            row("DUP", carrier_c),
            row("QTY", enterprise_x, quantity="-1"),
            row("MANIFEST", enterprise_x, kind="转移", manifest="52062026000001"),
        ]
    )

    run = import_file(source="batteries", park=park_a, actor=officer_a, file_name="a.csv", content=content)

    result = outcomes(run)
    assert result["OK"] == (ImportOutcome.IMPORTED, "")
    assert "900-249-08 is not one this platform" in result["CODE"][1]
    assert "is registered in this park" in result["NOBODY"][1]
    # Another park's enterprise reads exactly like an unknown one: nothing about park B leaks.
    assert (
        result["OTHERPARK"][1]
        == f"No enterprise with credit code {enterprise_y.credit_code} is registered in this park."
    )
    assert enterprise_y.name not in result["OTHERPARK"][1]
    assert "more than once" in result["DUP"][1]
    assert [r.outcome for r in run.rows.filter(source_record_id="DUP")] == [ImportOutcome.REFUSED] * 2
    assert "above zero" in result["QTY"][1]
    assert "No manifest numbered 52062026000001" in result["MANIFEST"][1]
    assert (run.rows_total, run.rows_imported, run.rows_refused) == (8, 1, 7)
    assert list(ImportedRecord.objects.values_list("source_record_id", flat=True)) == ["OK"]


def test_gb18030_csv_excel_and_json_exports_read_alike(officer_a, park_a, enterprise_x):
    gbk = csv_bytes([row("G1", enterprise_x)], encoding="gb18030")
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(row("X1", enterprise_x, quantity=2.25))
    xlsx = io.BytesIO()
    book.save(xlsx)
    records = [dict(zip(HEADER, row("J1", enterprise_x), strict=True))]

    for name, content in (
        ("g.csv", gbk),
        ("x.xlsx", xlsx.getvalue()),
        ("j.json", json.dumps({"records": records}).encode()),
    ):
        run = import_file(source="batteries", park=park_a, actor=officer_a, file_name=name, content=content)
        assert run.rows_imported == 1, (name, outcomes(run))

    assert sorted(ImportedRecord.objects.values_list("source_record_id", "quantity_t")) == [
        ("G1", 1.5), ("J1", 1.5), ("X1", 2.25)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.pdf", b"%PDF-1.4"),
        ("a.xlsx", b"not a workbook"),
        ("a.json", b"{not json"),
        ("a.json", b'{"records": 3}'),
        ("a.csv", b"\x00\xff\xfe\x00garbage"),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_written(officer_a, park_a, name, content):
    with pytest.raises(UnreadableFile):
        import_file(source="batteries", park=park_a, actor=officer_a, file_name=name, content=content)
    assert ImportRun.objects.count() == 0


def test_an_officer_of_another_park_cannot_import_for_park_a(officer_b, park_a, enterprise_x):
    with pytest.raises(NotPermitted):
        import_file(
            source="batteries",
            park=park_a,
            actor=officer_b,
            file_name="a.csv",
            content=csv_bytes([row("R1", enterprise_x)]),
        )
    assert ImportRun.objects.count() == 0


class FakePlatform:
    """Three pages of records, linked by relative "next" links, counting the requests it answers."""

    def __init__(self, pages):
        self.pages, self.requests = pages, []

    def __call__(self, url, headers, timeout):
        self.requests.append((url, headers["Authorization"], timeout))
        index = int(url.rsplit("page=", 1)[1]) if "page=" in url else 0
        following = f"?page={index + 1}" if index + 1 < len(self.pages) else None
        return {"records": self.pages[index], "next": following}


@pytest.fixture
def platform(settings, enterprise_x):
    settings.BATTERY_PLATFORM_URL = "https://platform.example/api/records"
    settings.BATTERY_PLATFORM_TOKEN = "secret-token"
    as_json = [dict(zip(HEADER, row(f"P{n}", enterprise_x), strict=True)) for n in range(5)]
    return FakePlatform([as_json[:2], as_json[2:4], as_json[4:]])


def test_the_pull_follows_every_page_with_the_token_and_a_timeout(platform):
    records = fetch_records(url="https://platform.example/api/records", token="secret-token", transport=platform)

    assert [r["记录编号"] for r in records] == ["P0", "P1", "P2", "P3", "P4"]
    assert [url for url, _token, _timeout in platform.requests] == [
        "https://platform.example/api/records",
        "https://platform.example/api/records?page=1",
        "https://platform.example/api/records?page=2",
    ]
    assert {(token, timeout) for _url, token, timeout in platform.requests} == {("Bearer secret-token", 10)}


def test_pulling_twice_books_each_record_once(platform, park_a):
    first = pull_platform_records(park=park_a, transport=platform)
    second = pull_platform_records(park=park_a, transport=platform)

    assert first.rows_imported == 5 and second.pk == first.pk
    assert ImportedRecord.objects.count() == 5 and ImportRun.objects.count() == 1


def test_a_platform_that_never_stops_paging_is_cut_off(settings, platform, park_a):
    settings.BATTERY_PLATFORM_MAX_PAGES = 2

    with pytest.raises(PullFailed):
        pull_platform_records(park=park_a, transport=platform)
    assert ImportRun.objects.count() == 0


def test_the_pull_task_does_nothing_without_a_configured_url(settings, park_a):
    settings.BATTERY_PLATFORM_URL = ""
    assert pull_battery_platform(park_a.pk) is None


def test_the_nightly_pull_queues_one_pull_for_each_configured_park(settings, park_a, park_b, monkeypatch):
    from reporting.tasks import imports as tasks

    queued = []
    monkeypatch.setattr(tasks.pull_battery_platform, "delay", queued.append)
    settings.BATTERY_PLATFORM_URL = "https://batteries.example/api/records"
    settings.BATTERY_PLATFORM_PARKS = [str(park_a.pk), "²", "2000000000"]

    assert tasks.pull_battery_platform_nightly() == 1
    assert queued == [park_a.pk]
    settings.BATTERY_PLATFORM_URL = ""
    assert tasks.pull_battery_platform_nightly() == 0


def upload(client, park, content, name="a.csv"):
    return client.post(
        reverse("reporting:import_list"),
        {"park": park.pk, "source": "batteries", "file": SimpleUploadedFile(name, content)},
    )


def test_an_officer_uploads_a_file_and_reads_its_report(client, officer_a, park_a, enterprise_x, enterprise_y):
    client.force_login(officer_a)

    response = upload(client, park_a, csv_bytes([row("R1", enterprise_x), row("R2", enterprise_y)]))

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("reporting:import_detail", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "R1" in page and "is registered in this park" in page
    assert "Platform imports" in client.get(reverse("reporting:import_list")).content.decode()


def test_an_officer_of_park_b_gets_404_for_park_a_import(client, officer_a, officer_b, park_a, enterprise_x):
    run = import_file(
        source="batteries",
        park=park_a,
        actor=officer_a,
        file_name="a.csv",
        content=csv_bytes([row("R1", enterprise_x)]),
    )
    client.force_login(officer_b)

    assert client.get(reverse("reporting:import_detail", args=[run.pk])).status_code == 404
    assert "a.csv" not in client.get(reverse("reporting:import_list")).content.decode()
    assert upload(client, park_a, csv_bytes([row("R9", enterprise_x)]), name="b.csv").status_code == 400
    assert ImportRun.objects.count() == 1


def test_enterprise_staff_cannot_open_the_import_pages(client, preparer_x):
    client.force_login(preparer_x)
    assert client.get(reverse("reporting:import_list")).status_code == 403


@pytest.mark.parametrize(
    ("name", "content"),
    [("a.exe", b"MZ"), ("a.csv", b"\x00\x00\x00"), ("a.xlsx", b"PK\x03\x04 broken")],
)
def test_bad_uploads_are_form_errors_and_write_nothing(client, officer_a, park_a, name, content):
    client.force_login(officer_a)

    response = upload(client, park_a, content, name=name)

    assert response.status_code == 400 and ImportRun.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused_unread(client, officer_a, park_a, monkeypatch):
    monkeypatch.setattr(formats, "MAX_BYTES", 100)
    monkeypatch.setattr("reporting.forms.imports.MAX_BYTES", 100)
    client.force_login(officer_a)

    response = upload(client, park_a, b"x" * 101)

    assert response.status_code == 400 and b"larger than" in response.content
    assert ImportRun.objects.count() == 0


def test_the_command_imports_a_file_for_a_park(tmp_path, park_a, enterprise_x, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([row("C1", enterprise_x)]))

    call_command("import_platform_records", str(path), "--source", "batteries", "--park", park_a.name)

    assert "1 imported" in capsys.readouterr().out
    assert ImportedRecord.objects.get().source_record_id == "C1"
    with pytest.raises(CommandError):
        call_command("import_platform_records", str(tmp_path / "missing.csv"), "--park", park_a.name)
