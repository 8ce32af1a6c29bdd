"""/healthz: can this process serve, and is the background work moving? Load balancers, docker-compose
and monitoring ask it.

- `database` and `redis`: what a request needs. Either one down answers 503 with Retry-After: this process
  cannot serve (the database) or its cache, throttling and job progress are gone (Redis).
- `worker`: the age of the last worker heartbeat (wasteparks.heartbeat, every 30 s through beat, the broker
  and a worker), stale beyond HEALTH_WORKER_MAX_AGE; `outbox`: the unsent side effects and the age of the
  oldest, stuck beyond HEALTH_OUTBOX_MAX_AGE. Either one answers 200 with status "degraded": requests
  still succeed (their side effects wait in the outbox), so a load balancer must keep sending traffic, while
  monitoring alerts on any status but "ok".
- `calendar`: whether the holiday calendar covers this year and the next month (wasteparks/workdays.py).
  Missing the next month only, it says so a month ahead and the status stays as it is; missing today's
  year, the receipt-confirmation deadlines are not being checked, and the status is "degraded".
- `replica`: the read replica ("not configured", "ok" or "down: ...") and `replica_lag_seconds`, how far
  its replay is behind (docs/scaling.md). A replica that is down sends reads to the primary, so it changes
  neither the status nor the code.

Every check is bounded (HEALTH_CHECK_TIMEOUT for Redis; one indexed query for the outbox), so the answer
comes within a few seconds even when Redis accepts connections and never answers.
"""

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import db_router, heartbeat, workdays
from .celery import app
from .models import OutboxMessage
from .outages import RETRY_AFTER_SECONDS
from .periods import local_date

OK = "ok"


def _down(error: Exception) -> str:
    return f"down: {type(error).__name__}"  # any failure to answer means "down"; the type says which


def _database() -> tuple[str, dict]:
    """The database answers, and what the outbox holds unsent (one query on its partial index)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        unsent = OutboxMessage.objects.filter(sent_at=None).aggregate(count=Count("id"), oldest=Min("available_at"))
    except Exception as error:
        return _down(error), {"outbox": "unknown", "outbox_unsent": None, "outbox_oldest_unsent_age_seconds": None}
    oldest = (timezone.now() - unsent["oldest"]).total_seconds() if unsent["oldest"] else None
    stuck = oldest is not None and oldest > settings.HEALTH_OUTBOX_MAX_AGE.total_seconds()
    return OK, {
        "outbox": "stuck" if stuck else OK,
        "outbox_unsent": unsent["count"],
        "outbox_oldest_unsent_age_seconds": round(oldest) if oldest is not None else None,
    }


def _redis() -> tuple[str, dict]:
    """Redis answers, and how old the last worker heartbeat is (on the same short-timeout connection)."""
    if not settings.REDIS_URL:
        return "not configured", {"worker": "not configured", "worker_heartbeat_age_seconds": None}
    try:
        client = heartbeat.client(timeout=settings.HEALTH_CHECK_TIMEOUT.total_seconds())
        client.ping()
        age = heartbeat.age(client)
    except Exception as error:
        return _down(error), {"worker": "unknown", "worker_heartbeat_age_seconds": None}
    if app.conf.task_always_eager:
        worker = "not configured"  # tasks run in the process that queues them: there is no worker to miss
    elif age is None:
        worker = "no heartbeat"
    else:
        worker = "stale" if age > settings.HEALTH_WORKER_MAX_AGE.total_seconds() else OK
    return OK, {"worker": worker, "worker_heartbeat_age_seconds": round(age) if age is not None else None}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database, outbox = _database()
    redis, worker = _redis()
    replica, lag = db_router.status()
    serving = database == OK and redis in (OK, "not configured")
    today = local_date()
    missing = workdays.uncovered_year(today)
    moving = outbox["outbox"] == OK and worker["worker"] in (OK, "not configured") and missing != today.year
    body = {
        "status": OK if serving and moving else "degraded" if serving else "down",
        "database": database,
        "redis": redis,
        **worker,
        **outbox,
        "calendar": OK if missing is None else f"not covered: {missing}",
        # Reads go to the primary while the replica is down: the status stays as it is, monitoring sees it.
        "replica": replica,
        "replica_lag_seconds": round(lag, 1) if lag is not None else None,
    }
    response = JsonResponse(body, status=200 if serving else 503)
    if not serving:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
