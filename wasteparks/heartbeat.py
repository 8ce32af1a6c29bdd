"""The worker heartbeat: proof that scheduled background work is moving, for /healthz.

Beat queues `record` every 30 s; the worker that runs it writes the time into Redis. A fresh heartbeat
therefore says that beat schedules, the broker delivers and a worker consumes; its age is what /healthz
reports. Redis holds it (not the database) because it is only meaningful while Redis works, and because
reading it costs the health check one round trip on the connection it already opened to ping Redis.
"""

import time

import redis
from celery import shared_task
from django.conf import settings

KEY = "wasteparks:worker-heartbeat"


def client(*, timeout: float) -> redis.Redis:
    """A Redis client that gives up after `timeout` seconds (connecting or waiting for an answer)."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)


def age(redis_client: redis.Redis, *, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, or None if there has been none (or Redis forgot it)."""
    value = redis_client.get(KEY)
    if value is None:
        return None
    return max(0.0, (now if now is not None else time.time()) - float(value))


@shared_task(name="wasteparks.heartbeat.record", ignore_result=True)
def record() -> None:
    """Every 30 s (beat), on a worker: this worker is consuming."""
    client(timeout=settings.HEALTH_CHECK_TIMEOUT.total_seconds()).set(KEY, repr(time.time()))


def main(argv: list[str] | None = None) -> int:
    """`python -m wasteparks.heartbeat --max-age SECONDS`: exit 0 if the last heartbeat is recent enough.

    beat's container health check: it proves that the schedule is moving end to end.
    """
    import argparse

    import django

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--max-age", type=float, required=True, help="Seconds a heartbeat stays fresh.")
    arguments = parser.parse_args(argv)
    django.setup()
    try:
        last = age(client(timeout=settings.HEALTH_CHECK_TIMEOUT.total_seconds()))
    except redis.RedisError as error:
        print(f"Redis unreachable: {error}")
        return 1
    print("no heartbeat" if last is None else f"last heartbeat {last:.0f} s ago")
    return 0 if last is not None and last <= arguments.max_age else 1


if __name__ == "__main__":
    raise SystemExit(main())
