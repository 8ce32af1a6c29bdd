"""A Redis cache that fails open: while Redis is unreachable, the cache behaves as an empty one.

The cache only ever holds what can be recomputed (rate-limit histories, memoised lookups), so an outage
of Redis must not turn into errors for web and API requests. Each public method catches connection-level
failures (refused or reset connections, timeouts) and answers as for a missing key or a write that did
not happen, logging a warning at most once a minute per process. Other errors (a bad value, a programming
mistake) still raise.

DRF throttling reads the request history with `get` (a miss gives an empty history) and stores it with
`set` (a no-op here), so while Redis is down the rate limits simply do not limit; they apply again as soon
as Redis answers.
"""

import functools
import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARNING_INTERVAL = 60.0  # seconds between two "cache unavailable" warnings of one process

_warned_at: float | None = None
_warn_lock = threading.Lock()


def _warn(operation: str, error: BaseException) -> None:
    global _warned_at
    now = time.monotonic()
    with _warn_lock:
        if _warned_at is not None and now - _warned_at < WARNING_INTERVAL:
            return
        _warned_at = now
    logger.warning(
        "Cache unavailable (%s failed: %s: %s); serving as a cache miss. Repeats within %d s are not logged.",
        operation,
        type(error).__name__,
        error,
        WARNING_INTERVAL,
    )


def _fail_open(fallback):
    """Run the RedisCache method; on a connection failure log and return `fallback(*args, **kwargs)`."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                _warn(method.__name__, error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, version=None):
    return default


def _false(*args, **kwargs):
    return False


def _none(*args, **kwargs):
    return None


def _empty_dict(*args, **kwargs):
    return {}


def _all_keys_failed(data, timeout=DEFAULT_TIMEOUT, version=None):
    return list(data)  # set_many answers the keys it could not store


def _missing(key, delta=1, version=None):
    # As for a missing key: callers of incr already handle ValueError (Django's contract).
    raise ValueError(f"Key {key!r} not found (the cache is unavailable).")


class FailOpenRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache that treats an unreachable Redis as an empty cache.

    Combine with the OPTIONS socket_connect_timeout / socket_timeout (passed to redis-py's connection pool)
    so that a Redis that does not answer costs at most about a second per cache call.
    """

    @_fail_open(_default)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_fail_open(_false)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_fail_open(_false)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_fail_open(_false)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_fail_open(_false)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_fail_open(_false)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_fail_open(_missing)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_fail_open(_missing)
    def decr(self, key, delta=1, version=None):
        return super().decr(key, delta, version)

    @_fail_open(_empty_dict)
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_fail_open(_all_keys_failed)
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_fail_open(_none)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_fail_open(_false)
    def clear(self):
        return super().clear()

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().get_or_set(key, default, timeout, version)
        except UNAVAILABLE as error:  # get and add already fail open; this is a safety net
            _warn("get_or_set", error)
            return default() if callable(default) else default
