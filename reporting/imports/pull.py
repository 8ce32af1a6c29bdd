"""Pulling records from the battery platform's API, page by page.

The API's shape is assumed (docs/imports.md), like the file layout: GET <BATTERY_PLATFORM_URL> with
`Authorization: Bearer <token>` answers {"records": [...], "next": "<url of the next page>" | null}. The
records use the same field names as the file layout. Every request has a timeout; a page count cap stops
a platform that keeps answering "next" from holding a worker forever.
"""

import json
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from registry.models import Park

from ..models.imports import ImportRun, ImportSource
from .formats import UnreadableFile, table_of_objects
from .services import digest_of, import_records

# (url, headers, timeout) -> the decoded JSON body; requests by default, a fake in tests.
Transport = Callable[[str, dict[str, str], float], object]


class PullFailed(UnreadableFile):
    code = "pull_failed"


def http_get(url: str, headers: dict[str, str], timeout: float) -> object:
    try:
        response = requests.get(url, headers=headers, timeout=timeout)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise PullFailed(_("The platform could not be read: %(error)s") % {"error": error}) from error


def fetch_records(*, url: str, token: str, transport: Transport = http_get) -> list[dict]:
    """Every record of every page, in order."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    records: list[dict] = []
    next_url: str | None = url
    for _page in range(settings.BATTERY_PLATFORM_MAX_PAGES):
        if not next_url:
            return records
        body = transport(next_url, headers, settings.BATTERY_PLATFORM_TIMEOUT_SECONDS)
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise PullFailed(_('A page from the platform has no "records" list.'))
        records.extend(item for item in body["records"] if isinstance(item, dict))
        following = body.get("next")
        next_url = urljoin(next_url, following) if isinstance(following, str) and following else None
    if next_url:
        raise PullFailed(_("The platform kept answering with more pages than allowed."))
    return records


def pull_platform_records(*, park: Park, transport: Transport = http_get) -> ImportRun | None:
    """Fetch the configured platform's records and book them for `park`. None when no URL is configured.
    Idempotent: the same records fetched again give the earlier run, and a record seen before is unchanged."""
    if not settings.BATTERY_PLATFORM_URL:
        return None
    records = fetch_records(
        url=settings.BATTERY_PLATFORM_URL, token=settings.BATTERY_PLATFORM_TOKEN, transport=transport
    )
    content = json.dumps(records, sort_keys=True, ensure_ascii=False).encode()
    return import_records(
        source=ImportSource.BATTERIES,
        park=park,
        actor=None,
        table=table_of_objects(records),
        # The host, not a phrase: the name is stored and shown in whichever language the reader uses.
        file_name=urlsplit(settings.BATTERY_PLATFORM_URL).netloc,
        file_kind="pull",
        digest=digest_of(content),
    )
