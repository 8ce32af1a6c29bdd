"""No Docker engine runs here, so the compose file is checked statically: every service's command names
something that exists in this project or in its pinned dependencies."""

import importlib
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

COMPOSE = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "relay", "worker", "beat"]
LONG_RUNNING = ["db", "replica", "redis", "web", "relay", "worker", "beat"]


def command_of(name: str) -> list[str]:
    command = SERVICES[name]["command"]
    return command if isinstance(command, list) else shlex.split(command)


def test_the_stack_has_the_expected_services():
    assert set(LONG_RUNNING) <= set(SERVICES)
    assert SERVICES["db"]["image"].startswith("postgres:16")


def test_the_app_services_share_one_image():
    assert {SERVICES[name]["image"] for name in APP_SERVICES} == {"wasteparks:latest"}
    assert (Path(settings.BASE_DIR) / "Dockerfile").exists()


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_health_check_and_restarts_when_it_exits(name):
    assert SERVICES[name]["healthcheck"]["test"]
    assert SERVICES[name]["restart"] == "always"


def test_the_worker_touches_the_liveness_file_its_health_check_reads_and_can_be_ended_by_it():
    command = command_of("worker")
    alive = command[command.index("--liveness-file") + 1]
    pidfile = command[command.index("--pidfile") + 1]
    check = " ".join(SERVICES["worker"]["healthcheck"]["test"][1:])
    assert f"find {alive} -mmin -1" in check
    assert f'kill -KILL "$$(cat {pidfile})"' in check
    # tini as PID 1: the worker is an ordinary process that SIGKILL ends, and the container with it.
    assert SERVICES["worker"]["init"] is True


def test_the_relay_runs_in_a_loop_and_its_health_check_reads_its_liveness_file():
    command = command_of("relay")
    assert command[:3] == ["python", "manage.py", "relay_outbox"] and "--loop" in command
    assert "relay_outbox" in get_commands()
    alive = command[command.index("--liveness-file") + 1]
    assert f"find {alive} -mmin -1" in " ".join(SERVICES["relay"]["healthcheck"]["test"][1:])


def test_beats_health_check_is_the_end_to_end_heartbeat():
    assert SERVICES["beat"]["healthcheck"]["test"][1:4] == ["python", "-m", "wasteparks.heartbeat"]
    assert importlib.import_module("wasteparks.heartbeat").main


def test_web_runs_gunicorn_on_the_projects_wsgi_application():
    command = command_of("web")
    assert command[0] == "gunicorn"
    module, attribute = next(arg for arg in command if ":" in arg and not arg.startswith("0.0.0.0")).split(":")
    assert hasattr(importlib.import_module(module), attribute)


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_services_name_the_projects_celery_app(name):
    command = command_of(name)
    assert command[0] == "celery"
    app_module = command[command.index("-A") + 1]
    assert importlib.import_module(app_module).celery_app.main == "wasteparks"


def test_worker_consumes_the_queues_tasks_are_sent_to():
    command = command_of("worker")
    queues = set(command[command.index("--queues") + 1].split(","))
    assert settings.CELERY_TASK_DEFAULT_QUEUE in queues


def test_migrate_runs_management_commands_that_exist():
    command = " ".join(command_of("migrate"))
    names = [part.split()[0] for part in command.split("manage.py ")[1:]]
    assert names == ["migrate", "load_catalogue", "create_app_role"]
    assert all(name in get_commands() for name in names)


def test_migrations_run_as_the_owner_and_everything_else_as_the_application_role():
    owner = SERVICES["migrate"]["environment"]["DATABASE_URL"]
    assert owner.startswith("postgres://wasteparks:") and SERVICES["db"]["environment"]["POSTGRES_USER"] == "wasteparks"
    assert "create_app_role wasteparks_app --password-env APP_DB_PASSWORD" in " ".join(command_of("migrate"))
    assert "APP_DB_PASSWORD" in SERVICES["migrate"]["environment"]
    for name in ["web", "relay", "worker", "beat"]:
        assert SERVICES[name]["environment"]["DATABASE_URL"].startswith("postgres://wasteparks_app:"), name


def test_the_replica_streams_from_db_and_the_app_services_read_from_it():
    replica = SERVICES["replica"]
    assert replica["image"] == SERVICES["db"]["image"]
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in replica["volumes"] if volume.startswith("./")}
    script = (Path(settings.BASE_DIR) / mounts[replica["entrypoint"][0]]).read_text()
    assert "pg_basebackup -h db" in script and " -R " in script  # -R: a standby streaming from db
    assert "pg_is_in_recovery" in " ".join(replica["healthcheck"]["test"])
    primary_init = [volume for volume in SERVICES["db"]["volumes"] if "docker-entrypoint-initdb.d" in volume]
    assert "host replication" in (Path(settings.BASE_DIR) / primary_init[0].split(":")[0]).read_text()
    for name in ["web", "relay", "worker", "beat"]:
        assert "@replica:5432/" in SERVICES[name]["environment"]["DATABASE_REPLICA_URL"], name


def test_beat_uses_the_database_scheduler():
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    importlib.import_module("django_celery_beat.schedulers")


def test_services_take_their_configuration_from_the_environment():
    environment = SERVICES["web"]["environment"]
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= set(environment)
    assert "${SECRET_KEY:?" in environment["SECRET_KEY"]


def test_the_image_vendors_exactly_the_front_end_files_the_makefile_does():
    dockerfile = (Path(settings.BASE_DIR) / "Dockerfile").read_text()
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    vendored = makefile.split("VENDOR_FILES :=")[1].split("\n\n")[0].replace("\\\n", " ").split()
    for path in vendored:
        assert f"/assets/{path}" in dockerfile, path
