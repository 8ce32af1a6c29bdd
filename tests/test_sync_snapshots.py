"""The change cursor's snapshots: what a run serves is decided by visibility alone."""

import pytest
from django.db.models import Value

from wasteparks.sync import Snapshot, changed_between


def test_a_snapshot_reads_postgresqls_text_form_and_writes_it_back():
    snapshot = Snapshot.parse("100:120:104,117")
    assert (snapshot.xmin, snapshot.xmax, snapshot.running) == (100, 120, (104, 117))
    assert str(snapshot) == "100:120:104,117"


@pytest.mark.parametrize("text", ["", "1:2", "5:3:", "5:9:12", "5:9:3", "１:2:", " 1:2:", "1:2:3,", "a:b:"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        Snapshot.parse(text)


def test_the_readers_own_transaction_is_visible_to_it_and_what_lies_between_is_not():
    snapshot = Snapshot.parse("100:103:101").seeing(106)
    assert (snapshot.xmin, snapshot.xmax, snapshot.running) == (100, 107, (101, 103, 104, 105))
    assert Snapshot.parse("100:103:").seeing(None) == Snapshot.parse("100:103:")
    assert Snapshot.parse("100:103:").seeing(102) == Snapshot.parse("100:103:")


def _visible(snapshot: Snapshot, version: int) -> bool:
    return version < snapshot.xmin or (version < snapshot.xmax and version not in snapshot.running)


def test_a_run_serves_exactly_what_became_visible_between_its_two_snapshots(db):
    since, until = Snapshot.parse("100:105:101,103"), Snapshot.parse("103:110:103,107")
    condition = changed_between(since, until)
    served = {v for v in range(90, 115) if condition.check({"sync_version": Value(v)})}
    # 101 committed between the runs; 103 is still running at both; 107 runs at `until`.
    assert served == {101, 105, 106, 108, 109}
    assert served == {v for v in range(90, 115) if _visible(until, v) and not _visible(since, v)}
    first_run = changed_between(None, since)
    assert {v for v in range(90, 115) if first_run.check({"sync_version": Value(v)})} == {
        *range(90, 100),
        100,
        102,
        104,
    }
