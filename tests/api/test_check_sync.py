"""`manage.py check_sync`: an operator's check that the API serves every row of every synced table."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wasteparks.models import Tombstone


def test_the_operator_sees_every_collection_served_exactly(provincial_platform, enterprise_x, receiver_r, capsys):
    call_command("check_sync")
    out = capsys.readouterr().out
    assert "enterprises: 2 served, 2 in the table" in out
    assert "exactly" in out


def test_a_tombstone_naming_a_row_that_still_exists_is_reported(provincial_platform, enterprise_x, capsys):
    Tombstone.objects.create(collection="enterprises", object_id=enterprise_x.pk)
    with pytest.raises(CommandError, match="1 difference"):
        call_command("check_sync", "--collection", "enterprises")
    assert "enterprises: 1 row(s) marked deleted still exist" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_a_disabled_change_trigger_is_reported(provincial_platform, enterprise_x, capsys):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE registry_facility DISABLE TRIGGER wasteparks_sync_version")
    with pytest.raises(CommandError):
        call_command("check_sync", "--collection", "facilities")
    assert "registry_facility: trigger wasteparks_sync_version is missing or disabled" in capsys.readouterr().out


def test_an_unknown_collection_is_refused_with_the_list(db):
    with pytest.raises(CommandError, match="No such collection: nothing"):
        call_command("check_sync", "--collection", "nothing")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_every_synced_table_is_stamped_by_the_database(db):
    """A new Timestamped model must get `track_changes()` in its migration, or its rows never sync."""
    from django.apps import apps

    from wasteparks.models import Timestamped

    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Timestamped) and not model._meta.abstract
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'wasteparks_sync_version' AND NOT t.tgisinternal"
        )
        stamped = {row[0] for row in cursor.fetchall()}
    assert [table for table in tables if table not in stamped] == []
