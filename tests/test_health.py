"""/healthz reports the database and Redis, and answers 503 when one is down."""

from django.db.utils import OperationalError


def test_healthy(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_redis_down_answers_503(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down")
    assert response.json()["database"] == "ok"


def test_database_down_answers_503(client, db, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise OperationalError("server closed the connection")

    monkeypatch.setattr("wasteparks.health.connection", DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down: OperationalError"


def test_health_is_never_cached_and_get_only(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
    assert client.post("/healthz").status_code == 405
