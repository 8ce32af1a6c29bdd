"""The parks each manifest concerns (transfers.ManifestPark), kept by the database itself.

A manifest concerns the park of each of its three parties. The rows are written by triggers: when a
manifest is inserted, when its consignor, carrier or receiver changes (a draft's), and when an
enterprise moves to another park. Every write path (the services, imports, the admin, a bulk load)
keeps them right without knowing they exist. A manifest's deletion takes its rows with it (the foreign
key's cascade). Migrations import this module, so its output must never change.
"""

from django.db import migrations

from wasteparks.vendor_sql import run_sql_per_vendor

LINKS = "transfers_manifestpark"
PARTIES = ("consignor_id", "carrier_id", "receiver_id")


def links_of(manifests: str) -> str:
    """The statement that writes the links of the manifests `m` matching the condition `manifests`."""
    return (
        f"INSERT INTO {LINKS} (manifest_id, park_id, created_at) "  # noqa: S608 (names and conditions only)
        "SELECT DISTINCT m.id, e.park_id, m.created_at FROM transfers_manifest m "
        f"JOIN registry_enterprise e ON e.id IN ({', '.join(f'm.{party}' for party in PARTIES)}) "
        f"WHERE {manifests}"
    )


_OWN = "m.id = NEW.id"
_INVOLVING_MOVED = " OR ".join(f"m.{party} = NEW.id" for party in PARTIES)
_DROP_OWN = f"DELETE FROM {LINKS} WHERE manifest_id = NEW.id"  # noqa: S608
_DROP_INVOLVING_MOVED = (
    f"DELETE FROM {LINKS} WHERE manifest_id IN (SELECT m.id FROM transfers_manifest m WHERE {_INVOLVING_MOVED})"  # noqa: S608
)
_PARTIES_CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in (*PARTIES, "created_at"))
_SQLITE_PARTIES_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in (*PARTIES, "created_at"))
_WATCHED = ", ".join((*PARTIES, "created_at"))

FORWARD = {
    "postgresql": [
        f"""
        CREATE OR REPLACE FUNCTION wasteparks_manifest_parks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                {_DROP_OWN};
            END IF;
            {links_of(_OWN)};
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION wasteparks_enterprise_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_DROP_INVOLVING_MOVED};
            {links_of(_INVOLVING_MOVED)};
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER wasteparks_manifest_parks_insert AFTER INSERT ON transfers_manifest "
        "FOR EACH ROW EXECUTE FUNCTION wasteparks_manifest_parks()",
        f"CREATE TRIGGER wasteparks_manifest_parks_update AFTER UPDATE OF {_WATCHED} ON transfers_manifest "
        f"FOR EACH ROW WHEN ({_PARTIES_CHANGED}) EXECUTE FUNCTION wasteparks_manifest_parks()",
        "CREATE TRIGGER wasteparks_enterprise_moved AFTER UPDATE OF park_id ON registry_enterprise "
        "FOR EACH ROW WHEN (OLD.park_id IS DISTINCT FROM NEW.park_id) EXECUTE FUNCTION wasteparks_enterprise_moved()",
    ],
    "sqlite": [
        "CREATE TRIGGER wasteparks_manifest_parks_insert AFTER INSERT ON transfers_manifest "
        f"BEGIN {links_of(_OWN)}; END",
        f"CREATE TRIGGER wasteparks_manifest_parks_update AFTER UPDATE OF {_WATCHED} ON transfers_manifest "
        f"WHEN {_SQLITE_PARTIES_CHANGED} BEGIN {_DROP_OWN}; {links_of(_OWN)}; END",
        "CREATE TRIGGER wasteparks_enterprise_moved AFTER UPDATE OF park_id ON registry_enterprise "
        f"WHEN OLD.park_id IS NOT NEW.park_id BEGIN {_DROP_INVOLVING_MOVED}; {links_of(_INVOLVING_MOVED)}; END",
    ],
}
REVERSE = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS wasteparks_manifest_parks_insert ON transfers_manifest",
        "DROP TRIGGER IF EXISTS wasteparks_manifest_parks_update ON transfers_manifest",
        "DROP TRIGGER IF EXISTS wasteparks_enterprise_moved ON registry_enterprise",
        "DROP FUNCTION IF EXISTS wasteparks_manifest_parks()",
        "DROP FUNCTION IF EXISTS wasteparks_enterprise_moved()",
    ],
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "wasteparks_manifest_parks_insert",
            "wasteparks_manifest_parks_update",
            "wasteparks_enterprise_moved",
        )
    ],
}


def keep_manifest_parks() -> migrations.RunPython:
    """The operation that writes every existing manifest's links and makes the database keep them."""
    return run_sql_per_vendor(
        {vendor: [links_of("TRUE"), *statements] for vendor, statements in FORWARD.items()}, REVERSE
    )
