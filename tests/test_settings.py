"""The settings module refuses to start on missing or bad configuration."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

BASE = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "wasteparks.settings"}


def import_settings(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=settings.BASE_DIR,
        env={**BASE, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = import_settings(DEBUG="0", ALLOWED_HOSTS="example.cn")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_starts_without_secret_key_in_debug_mode():
    result = import_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "1", "REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"DEBUG": "1", "EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not a whole number"),
        ({"DEBUG": "1", "QUANTITY_TOLERANCE": "five"}, "QUANTITY_TOLERANCE"),
        ({"DEBUG": "1", "REPORT_DEADLINE_DAY": "31"}, "REPORT_DEADLINE_DAY"),
        ({"DEBUG": "1", "CELERY_EAGER": "0"}, "needs REDIS_URL"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS must be set"),
        ({"DEBUG": "1", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DEBUG": "1", "API_RATE_CLIENT": "lots"}, "API_RATE_CLIENT='lots' is not a rate"),
        ({"DEBUG": "1", "API_RATE_ANON": "60/fortnight"}, "API_RATE_ANON='60/fortnight' is not a rate"),
        ({"DEBUG": "1", "API_RATE_ANON": "0/minute"}, "API_RATE_ANON='0/minute' is not a rate"),
        ({"DEBUG": "1", "LOG_LEVEL": "loud"}, "LOG_LEVEL='loud' is not a level"),
        ({"DEBUG": "1", "CSRF_TRUSTED_ORIGINS": "wasteparks.example.cn"}, "needs its scheme"),
        # A deployment still setting the earlier name would otherwise get the default without a word.
        ({"DEBUG": "1", "DASHBOARD_FLOWS_CACHE_SECONDS": "60"}, "renamed DASHBOARD_AGGREGATES_CACHE_SECONDS"),
    ],
)
def test_bad_values_fail_loudly(env, message):
    result = import_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_drf_rates_in_any_of_their_spellings_are_accepted():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])",
        ],
        cwd=settings.BASE_DIR,
        env={**BASE, "DEBUG": "1", "API_RATE_CLIENT": "20/s", "API_RATE_ANON": "100/hour"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'client': '20/s', 'anon': '100/hour'}"


def test_the_embedded_default_is_sqlite_with_eager_celery():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE, s.LANGUAGE_CODE)",
        ],
        cwd=settings.BASE_DIR,
        env={**BASE, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["wasteparks.sqlite", "True", "Asia/Shanghai", "zh-hans"]


def test_the_suite_runs_on_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.REDIS_URL.startswith("redis://")
    assert settings.USE_TZ is True


def test_production_settings_pass_the_deployment_checklist():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={
            **BASE,
            "DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
            "ALLOWED_HOSTS": "wasteparks.example.cn",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/wasteparks",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "SECURE_SSL_REDIRECT": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_manage_py_without_any_configuration_is_the_embedded_default():
    env = {"PATH": os.environ.get("PATH", "")}
    result = subprocess.run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_manage_py_with_a_production_key_does_not_turn_debug_on():
    env = {"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "x" * 50}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr
