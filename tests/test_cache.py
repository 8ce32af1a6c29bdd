"""The cache fails open (django-redis with IGNORE_EXCEPTIONS): an unreachable Redis reads as an empty cache."""

import logging
import time

import pytest
from django.conf import settings
from django_redis.cache import RedisCache

DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens, a connect is refused at once
OPTIONS = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}


@pytest.fixture
def dead_cache(settings):
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # read when the cache is built
    return RedisCache(DEAD_REDIS_URL, {"OPTIONS": OPTIONS})


def test_a_dead_redis_reads_as_a_miss_and_writes_are_no_ops(dead_cache):
    started = time.monotonic()
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", default=[]) == []
    assert not dead_cache.set("k", 1)
    assert not dead_cache.add("k", 1)
    # touch() is the one call django-redis 7.0 does not shield (its client lets the connection error
    # through); nothing in the platform calls it.
    assert not dead_cache.delete("k")
    assert not dead_cache.has_key("k")
    assert dead_cache.get_many(["a", "b"]) == {}
    assert not dead_cache.set_many({"a": 1, "b": 2})
    assert dead_cache.delete_many(["a", "b"]) is None
    assert dead_cache.get_or_set("k", lambda: 42) == 42
    assert not dead_cache.clear()
    assert dead_cache.incr("k") is None
    assert dead_cache.decr("k") is None
    assert time.monotonic() - started < 10


def test_the_outage_is_logged(dead_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="django_redis.cache"):
        dead_cache.get("k")
        dead_cache.set("k", 1)
    logged = [r for r in caplog.records if r.name == "django_redis.cache"]
    assert len(logged) == 2
    assert all("Exception ignored" in r.getMessage() and r.exc_info for r in logged)


def test_the_socket_timeouts_reach_the_connection_pool(dead_cache):
    pool = dead_cache.client.get_client(write=True).connection_pool
    assert pool.connection_kwargs["socket_connect_timeout"] == 1
    assert pool.connection_kwargs["socket_timeout"] == 1


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the suite's Redis")
def test_a_live_redis_behaves_as_a_plain_cache():
    live = RedisCache(settings.REDIS_URL, {"OPTIONS": OPTIONS, "KEY_PREFIX": "test-cache"})
    try:
        assert live.set("k", [1]) is True
        assert live.get("k") == [1]
        assert live.add("k", 2) is False
        assert live.add("n", 1) is True
        assert live.incr("n") == 2
        assert live.get_or_set("g", lambda: 7) == 7
    finally:
        live.delete_many(["k", "n", "g"])


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the suite's Redis")
def test_the_settings_use_the_fail_open_backend_with_redis():
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert settings.CACHES["default"]["OPTIONS"] == OPTIONS
    assert settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS is True
