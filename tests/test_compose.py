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
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def command_of(name: str) -> list[str]:
    command = SERVICES[name]["command"]
    return command if isinstance(command, list) else shlex.split(command)


def test_the_stack_has_the_expected_services():
    assert {"db", "redis", "web", "worker", "beat"} <= set(SERVICES)
    assert SERVICES["db"]["image"].startswith("postgres:16")


def test_the_app_services_share_one_image():
    assert {SERVICES[name]["image"] for name in APP_SERVICES} == {"wasteparks:latest"}
    assert (Path(settings.BASE_DIR) / "Dockerfile").exists()


@pytest.mark.parametrize("name", ["db", "redis", "web", "worker", "beat"])
def test_every_long_running_service_has_a_health_check(name):
    assert SERVICES[name]["healthcheck"]["test"]


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
    assert names == ["migrate", "load_catalogue"]
    assert all(name in get_commands() for name in names)


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
