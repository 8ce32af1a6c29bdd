"""The fail-open Redis cache (wasteparks/cache.py): an unreachable Redis reads as an empty cache."""

import logging
import time

import pytest
from django.conf import settings

from wasteparks import cache as fail_open
from wasteparks.cache import FailOpenRedisCache

DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens, a connect is refused at once
OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


@pytest.fixture
def dead_cache(monkeypatch):
    monkeypatch.setattr(fail_open, "_warned_at", None)
    return FailOpenRedisCache(DEAD_REDIS_URL, {"OPTIONS": OPTIONS})


def test_a_dead_redis_reads_as_a_miss_and_writes_are_no_ops(dead_cache):
    started = time.monotonic()
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", default=[]) == []
    assert dead_cache.set("k", 1) is False
    assert dead_cache.add("k", 1) is False
    assert dead_cache.touch("k") is False
    assert dead_cache.delete("k") is False
    assert dead_cache.has_key("k") is False
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert dead_cache.delete_many(["a", "b"]) is None
    assert dead_cache.get_or_set("k", lambda: 42) == 42
    assert dead_cache.clear() is False
    with pytest.raises(ValueError):
        dead_cache.incr("k")
    with pytest.raises(ValueError):
        dead_cache.decr("k")
    assert time.monotonic() - started < 10


def test_the_outage_is_logged_once_a_minute_per_process(dead_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="wasteparks.cache"):
        dead_cache.get("k")
        dead_cache.set("k", 1)
    warnings = [r for r in caplog.records if r.name == "wasteparks.cache"]
    assert len(warnings) == 1
    assert "Cache unavailable" in warnings[0].getMessage()


def test_the_socket_timeouts_reach_the_connection_pool(dead_cache):
    pool = dead_cache._cache._get_connection_pool(write=True)
    assert pool.connection_kwargs["socket_connect_timeout"] == 1
    assert pool.connection_kwargs["socket_timeout"] == 1


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the suite's Redis")
def test_a_live_redis_behaves_as_the_plain_redis_cache():
    live = FailOpenRedisCache(settings.REDIS_URL, {"OPTIONS": OPTIONS, "KEY_PREFIX": "test-cache"})
    try:
        assert live.set("k", [1]) is None
        assert live.get("k") == [1]
        assert live.add("k", 2) is False
        assert live.add("n", 1) is True
        assert live.incr("n") == 2
        assert live.get_or_set("g", lambda: 7) == 7
    finally:
        live.delete_many(["k", "n", "g"])


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the suite's Redis")
def test_the_settings_use_the_fail_open_backend_with_redis():
    assert settings.CACHES["default"]["BACKEND"] == "wasteparks.cache.FailOpenRedisCache"
    assert settings.CACHES["default"]["OPTIONS"] == OPTIONS
