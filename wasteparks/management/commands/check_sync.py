"""`manage.py check_sync`: does the API serve every row of every synced table, once, as a mirror would
pull it? For support cases ("our mirror misses rows").

For each collection it pulls the whole collection through the API's own views, in sync order, following
`next` as a client would, and compares the ids served with the table's rows the caller may see, and the
change versions with the snapshot. It also checks that the database stamps change versions and writes
tombstones on every synced table (the triggers of wasteparks/sync.py), and that no tombstone names a row
that still exists. Exit status 1 if anything differs. Reads only.

    python manage.py check_sync                         # every collection, as a province-wide reader
    python manage.py check_sync --collection manifests --client "Guizhou provincial platform"
"""

from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rest_framework.test import APIRequestFactory, force_authenticate

from registry.models import ApiClient, User
from wasteparks.api.router import build_router
from wasteparks.models import Tombstone
from wasteparks.sync import Snapshot


class Command(BaseCommand):
    help = "Compare what the sync API serves with the tables, collection by collection."

    def add_arguments(self, parser):
        parser.add_argument("--collection", action="append", default=[], help="Only this collection (repeatable).")
        parser.add_argument("--client", help="Serve as this API client (its name); default: a province-wide reader.")
        parser.add_argument("--page-size", type=int, default=1000)

    def handle(self, *args, **options):
        user = self._reader(options["client"])
        # The data a mirror keeps; not a client's own configuration (its webhook subscriptions).
        routes = {
            prefix: viewset
            for prefix, viewset, _basename in build_router().registry
            if getattr(viewset, "mirrored", True)
        }
        wanted = options["collection"] or sorted(routes)
        unknown = [name for name in wanted if name not in routes]
        if unknown:
            raise CommandError(f"No such collection: {', '.join(unknown)}. Collections: {', '.join(sorted(routes))}.")
        problems = self._triggers(routes)
        for name in wanted:
            problems += self._collection(name, routes[name], user, options["page_size"])
        problems += self._tombstones(routes)
        for problem in problems:
            self.stdout.write(f"DIFFERS  {problem}")
        if problems:
            raise CommandError(f"{len(problems)} difference(s) between the API and the tables.")
        self.stdout.write(self.style.SUCCESS(f"The API serves every row of {len(wanted)} collection(s) exactly."))

    @staticmethod
    def _reader(client_name: str | None):
        if client_name is None:
            return User(username="check_sync", is_superuser=True, is_active=True)  # never saved
        client = ApiClient.objects.filter(name=client_name).select_related("user").first()
        if client is None:
            raise CommandError(f"No API client is named {client_name!r}.")
        return client.user

    def _collection(self, name: str, viewset, user, page_size: int) -> list[str]:
        view = viewset.as_view({"get": "list"})
        factory = APIRequestFactory()
        model = viewset.queryset.model
        before = Snapshot.current()
        url: str | None = f"/api/v1/{name}/?page_size={page_size}"
        served: list[int] = []
        while url:
            parts = urlparse(url)
            request = factory.get(f"{parts.path}?{parts.query}", HTTP_HOST=_host())
            force_authenticate(request, user=user)
            response = view(request)
            if response.status_code != 200:
                return [f"{name}: the API answered {response.status_code}: {getattr(response, 'data', '')}"]
            served += [row["id"] for row in response.data["results"]]
            url = response.data["next"]
        problems = []
        if len(served) != len(set(served)):
            problems.append(f"{name}: {len(served) - len(set(served))} row(s) served twice in one run")
        visible = model.objects.all()
        if hasattr(visible, "visible_to"):
            visible = visible.visible_to(user)
        # Rows written while the pull ran may or may not be in it; compare only what was there before.
        settled = set(visible.filter(before.sees()).values_list("pk", flat=True)) if _versioned(model) else None
        table = settled if settled is not None else set(visible.values_list("pk", flat=True))
        missing, extra = table - set(served), set(served) - set(visible.values_list("pk", flat=True))
        if missing:
            problems.append(f"{name}: {len(missing)} row(s) in the table never served, e.g. ids {sorted(missing)[:10]}")
        if extra:
            problems.append(
                f"{name}: {len(extra)} row(s) served that the caller may not see, e.g. {sorted(extra)[:10]}"
            )
        self.stdout.write(f"{name}: {len(set(served))} served, {len(table)} in the table")
        return problems

    @staticmethod
    def _triggers(routes) -> list[str]:
        if connection.vendor != "postgresql":
            return []
        tables = {
            viewset.queryset.model._meta.db_table for viewset in routes.values() if _versioned(viewset.queryset.model)
        }
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, array_agg(t.tgname::text) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = ANY(%s) AND NOT t.tgisinternal AND t.tgenabled <> 'D' GROUP BY c.relname",
                [sorted(tables)],
            )
            found = {table: set(names) for table, names in cursor.fetchall()}
        problems = []
        for table in sorted(tables):
            expected = ["wasteparks_sync_version"]
            if table != Tombstone._meta.db_table:  # tombstones are never deleted
                expected.append("wasteparks_tombstone")
            problems += [
                f"{table}: trigger {trigger} is missing or disabled"
                for trigger in expected
                if trigger not in found.get(table, set())
            ]
        return problems

    @staticmethod
    def _tombstones(routes) -> list[str]:
        problems = []
        models = {prefix: viewset.queryset.model for prefix, viewset in routes.items()}
        for collection in Tombstone.objects.values_list("collection", flat=True).distinct():
            model = models.get(collection)
            if model is None:
                continue
            ids = Tombstone.objects.filter(collection=collection).values("object_id")
            back = model.objects.filter(pk__in=ids).count()
            if back:
                problems.append(f"{collection}: {back} row(s) marked deleted still exist")
        return problems


def _host() -> str:
    """A host name the site accepts: the requests are built here, not received."""
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def _versioned(model) -> bool:
    return any(field.name == "sync_version" for field in model._meta.get_fields())
