"""B5 pages: the park dashboard, the manifest list and an enterprise's page under 10 concurrent users.

    python -m bench.b5_pages --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

A park officer of the busiest park (created in the bench database if missing, `bench-b5-officer`) is
logged in --users times (one session each, written the way the login view writes it). Each user is a
thread with its own HTTP connection that requests the three pages in a shuffled order, --requests per
page in all, against gunicorn on 127.0.0.1 (--workers sync workers). Every answer must be 200 and
HTML. Prints the median and 95th percentile per page. Goal: p95 under 300 ms for each page.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time

from bench import common

# A deployment's workers share one cache (docker-compose.yml: Redis); the pages' cached figures and stock
# ages are read by every worker from there.
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/13"
PAGES = {
    "park dashboard": "/reporting/",
    "manifest list": "/transfers/manifests/",
    "enterprise detail": "/reporting/enterprises/{enterprise}/",
}


def officer_sessions(users: int) -> tuple[list[str], str, int, list[int]]:
    """(session keys, cookie name, park id, enterprise ids of that park); Django must be set up."""
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from registry.models import Enterprise, JurisdictionMembership, OfficerRole, Park, User

    park = Park.objects.annotate(n=Count("enterprises")).order_by("-n", "pk").first()
    user, _ = User.objects.get_or_create(username="bench-b5-officer", defaults={"full_name": "Bench officer"})
    JurisdictionMembership.objects.get_or_create(user=user, park=park, defaults={"role": OfficerRole.PARK})
    # Officers must pass a second factor (registry/signin.py); the session holds the verified device's id,
    # as django_otp.login writes it after the code is checked.
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    keys = []
    for _ in range(users):
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    enterprises = list(Enterprise.objects.filter(park=park).order_by("pk").values_list("pk", flat=True)[:50])
    return keys, settings.SESSION_COOKIE_NAME, park.pk, enterprises


def user_loop(base, cookie, key, plan, enterprises, out, errors, seed):
    import requests

    http = requests.Session()
    http.cookies.set(cookie, key, domain=common.HOST)
    pick = random.Random(seed)
    for page in plan:
        path = PAGES[page].format(enterprise=pick.choice(enterprises))
        started = time.perf_counter()
        try:
            response = http.get(base + path, timeout=120, allow_redirects=False)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or b"<html" not in response.content[:2000].lower():
                errors.append(f"{page} {path}: {response.status_code}")
                continue
        except requests.RequestException as error:
            errors.append(f"{page} {path}: {error}")
            continue
        out[page].append(elapsed)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def emptied_cache(cache_url: str) -> dict[str, str]:
    """The environment for a cache shared by the workers at `cache_url` (a Redis database, emptied first so
    every run starts cold), or none: each worker's own in-process cache."""
    if not cache_url:
        return {}
    import redis

    try:
        redis.Redis.from_url(cache_url).flushdb()
    except redis.RedisError as error:
        raise SystemExit(f"B5 needs the shared cache at {cache_url} (--cache-url '' for in-process ones): {error}")
    return {"REDIS_URL": cache_url}


def run(url: str, *, users: int = 10, requests_per_page: int = 200, workers: int = 4,
        pages: tuple[str, ...] = tuple(PAGES), cache_url: str = DEFAULT_CACHE_URL) -> common.Result:  # fmt: skip
    common.setup_django(url)
    keys, cookie, park_id, enterprises = officer_sessions(users)
    result = common.Result(
        "B5 pages",
        f"{common.count(url, 'transfers_manifest'):,} manifests; park {park_id}; {users} users, "
        f"{requests_per_page} requests per page, {workers} gunicorn workers, "
        f"{'a shared Redis cache' if cache_url else 'an in-process cache per worker'}",
    )
    times: dict[str, list[float]] = {page: [] for page in pages}
    errors: list[str] = []
    with common.gunicorn(url, workers=workers, extra_env=emptied_cache(cache_url)) as server:
        # Warm-up, untimed: each page a few times (imports, connections, template caches in every worker).
        warm = {page: [] for page in pages}
        user_loop(server.base, cookie, keys[0], [p for p in pages for _ in range(workers * 2)], enterprises, warm,
                  errors, seed=0)  # fmt: skip
        plans = [[] for _ in range(users)]
        for page in pages:
            for number in range(requests_per_page):
                plans[number % users].append(page)
        threads = []
        started = time.perf_counter()
        for index, plan in enumerate(plans):
            random.Random(index).shuffle(plan)
            thread = threading.Thread(
                target=user_loop, args=(server.base, cookie, keys[index], plan, enterprises, times, errors, index + 1)
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(timeout=1800)
        wall = time.perf_counter() - started
    goals = True
    for page in pages:
        values = times[page]
        if not values:
            result.add(f"{page}: median / p95 ms", "no successful answer")
            goals = False
            continue
        med, high = statistics.median(values) * 1000, p95(values) * 1000
        result.add(f"{page} ({PAGES[page]}): median / p95 ms", f"{med:,.0f} / {high:,.0f}  ({len(values)} answers)")
        goals = goals and high < 300
    result.add("requests per second, all pages", sum(len(v) for v in times.values()) / wall)
    if errors:
        result.ok = False
        result.notes += [f"{len(errors)} failed requests, e.g. {errors[:3]}"]
    result.goals = goals
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b5_pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="requests per page, all users together")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated subset of: " + ", ".join(PAGES))
    parser.add_argument("--no-goals", action="store_true", help="exit 0 when the checks pass, whatever the timings")
    parser.add_argument(
        "--cache-url",
        default=DEFAULT_CACHE_URL,
        help="the workers' shared cache, a Redis database emptied before the run, as a deployment has one; "
        "'' for an in-process cache per worker",
    )
    args = parser.parse_args(argv)
    pages = tuple(name.strip() for name in args.pages.split(",") if name.strip())
    result = run(args.database_url, users=args.users, requests_per_page=args.requests, workers=args.workers,
                 pages=pages, cache_url=args.cache_url)  # fmt: skip
    print(f"load average: {common.load_average()}; CPU speed: {common.cpu_speed()}")
    result.print()
    return result.exit_code(goals=not args.no_goals)


if __name__ == "__main__":
    sys.exit(main())
