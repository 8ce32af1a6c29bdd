"""The provincial mirror, as an integrator would write it from docs/api.md alone, stays exact while the
platform works: enterprises renamed, months recomputed, warnings closed by the scan, transactions held
open, rows committed while pages are read, and the client interrupted mid-page."""

import threading

import pytest
from django.db import connections, transaction
from django.urls import reverse

from registry.models import Enterprise
from reporting.models import UtilizationSnapshot, Warning
from reporting.services.utilization import recompute_period
from reporting.warnings import run_rules
from tests.fixtures.reports import last_period
from transfers.models import Manifest
from wasteparks.models import Tombstone

# Fields the docs list as worked out at read time from the clock, not stored: a mirror works them out too.
READ_TIME_FIELDS = {"stock": {"age_days"}}

pytestmark = pytest.mark.django_db(transaction=True)


class Mirror:
    """A client that knows only the documented contract: every collection the schema lists, `next`
    followed as given, rows upserted by id, the `resume` URL saved after the page's rows are stored,
    and `deletions` applied."""

    def __init__(self, caller):
        self.caller = caller
        schema = caller.get(reverse("api:schema"), {"format": "json"}).json()
        self.collections = sorted(
            path.removeprefix("/api/v1/").strip("/")
            for path, operations in schema["paths"].items()
            if "get" in operations
            and "{" not in path
            and "cursor" in {parameter["name"] for parameter in operations["get"].get("parameters", [])}
            and not any(parameter.get("required") for parameter in operations["get"].get("parameters", []))
        )
        self.rows: dict[str, dict[int, dict]] = {name: {} for name in self.collections}
        self.saved: dict[str, str] = {name: f"/api/v1/{name}/?page_size=3" for name in self.collections}

    def page(self, name: str, *, crash_after: int | None = None) -> bool:
        """Read the saved URL of one collection; True while the run has more pages. `crash_after`
        stores only that many rows of the page and does not save the position (a client killed)."""
        response = self.caller.get(self.saved[name])
        assert response.status_code == 200, (name, response.content)
        body = response.json()
        results = body["results"] if crash_after is None else body["results"][:crash_after]
        for row in results:
            if name == "deletions":
                self.rows.get(row["collection"], {}).pop(row["object_id"], None)
            self.rows[name][row["id"]] = row
        if crash_after is not None:
            return True
        following = body["next"] or body["resume"]
        if following is None:  # a collection without a resume point is pulled whole each run
            self.saved[name] = f"/api/v1/{name}/?page_size=3"
            return False
        self.saved[name] = following
        return body["next"] is not None

    def run(self, between_pages=None) -> None:
        for name in self.collections:
            while self.page(name):
                if between_pages is not None:
                    between_pages(name)
        self.apply_deletions()

    def apply_deletions(self) -> None:
        for tombstone in self.rows.get("deletions", {}).values():
            self.rows.get(tombstone["collection"], {}).pop(tombstone["object_id"], None)


def _comparable(name: str, rows: dict[int, dict]) -> dict[int, dict]:
    hidden = READ_TIME_FIELDS.get(name, set())
    return {pk: {key: value for key, value in row.items() if key not in hidden} for pk, row in rows.items()}


class HeldWrite:
    """A change made in another connection whose transaction stays open until `commit()`."""

    def __init__(self, change):
        self.change = change
        self.writing, self.release, self.done = threading.Event(), threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        assert self.writing.wait(10)

    def _run(self):
        try:
            with transaction.atomic():
                self.change()
                self.writing.set()
                self.release.wait(20)
        finally:
            connections.close_all()
            self.done.set()

    def commit(self):
        self.release.set()
        assert self.done.wait(20)
        self.thread.join()


def test_the_mirror_equals_a_fresh_full_pull_and_the_tables_while_the_platform_works(
    provincial_platform, scripted_month, enterprise_x, receiver_r, park_a
):
    period = last_period()
    recompute_period(year=period.year, month=period.month)
    run_rules()
    mirror = Mirror(provincial_platform)
    assert {"enterprises", "manifests", "utilization", "warnings", "deletions"} <= set(mirror.collections)

    held: list[HeldWrite] = []
    writes = iter(
        [
            # An enterprise renamed: the manifests and reports that carry its name change with it.
            lambda: Enterprise.objects.filter(pk=enterprise_x.pk).update(name="X 化工（更名）"),
            # A held transaction: a manifest changed by a transaction that stays open over several pages.
            lambda: held.append(
                HeldWrite(lambda: Manifest.objects.filter(pk=scripted_month["m2"].pk).update(vehicle_plate="贵A00001"))
            ),
            # A month recomputed after a correction: rows updated in place, later months' windows move.
            lambda: recompute_period(year=period.year, month=period.month),
            # The scan closes warnings whose condition is gone and opens others.
            lambda: Warning.objects.filter(status="open").update(status="open"),
            lambda: run_rules(),
            lambda: held.pop().commit() if held else None,
            lambda: Enterprise.objects.filter(pk=receiver_r.pk).update(name="R 资源再生（更名）"),
        ]
    )

    def between_pages(name):
        write = next(writes, None)
        if write is not None:
            write()

    # The first run is interrupted mid-page once, then resumed from what it had saved.
    mirror.page("enterprises", crash_after=1)
    mirror.run(between_pages)
    for write in writes:  # whatever the pages did not leave room for
        write()
    for pending in held:
        pending.commit()
    # A month whose figures vanish: its rows are deleted and leave tombstones.
    UtilizationSnapshot.objects.filter(scope="enterprise", enterprise=enterprise_x).delete()
    mirror.run()
    mirror.run()  # a run with nothing new changes nothing

    fresh = Mirror(provincial_platform)
    fresh.run()
    for name in mirror.collections:
        if name == "deletions":
            continue
        assert _comparable(name, mirror.rows[name]) == _comparable(name, fresh.rows[name]), name
    assert Tombstone.objects.filter(collection="utilization").exists()
    assert set(mirror.rows["utilization"]) == set(UtilizationSnapshot.objects.values_list("pk", flat=True))
    assert set(mirror.rows["warnings"]) == set(Warning.objects.values_list("pk", flat=True))
    assert set(mirror.rows["manifests"]) == set(Manifest.objects.values_list("pk", flat=True))
    assert set(mirror.rows["enterprises"]) == set(Enterprise.objects.values_list("pk", flat=True))
    names = {row["consignor_name"] for row in mirror.rows["manifests"].values()}
    assert names == {"X 化工（更名）"}
    assert mirror.rows["manifests"][scripted_month["m2"].pk]["vehicle_plate"] == "贵A00001"
