"""The one settings module. Everything that differs between machines comes from the environment.

Bad values fail at import time with ImproperlyConfigured, so a misconfigured deployment never starts
half-working. The embedded default (no variables at all, DEBUG=1) is a SQLite file with Celery running
tasks eagerly in-process; production sets DATABASE_URL, REDIS_URL and SECRET_KEY.
"""

import logging
import os
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}={value} is outside {minimum}..{maximum}.")
    return value


def env_decimal(name: str, default: str) -> Decimal:
    raw = os.environ.get(name, default)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a decimal number.") from None
    if not value.is_finite() or value < 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must be a finite number ≥ 0.")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_RATE = re.compile(r"^\s*[0-9]+\s*/[smhd][a-z]*$")


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate: requests per second, minute, hour or day (e.g. 1200/minute or 60/m)."""
    raw = os.environ.get(name, default)
    if not _RATE.match(raw) or int(raw.split("/")[0]) < 1:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate; use <requests, at least 1>/<period: s, m, h or d (second, "
            "minute, hour, day)>, e.g. 1200/minute."
        )
    return raw


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only ever used with DEBUG on (make run); never valid in production because of the check above.
    SECRET_KEY = "insecure-development-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
for _origin in CSRF_TRUSTED_ORIGINS:
    if "://" not in _origin:  # Django would only say so in `manage.py check`, which gunicorn never runs
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS: {_origin!r} needs its scheme, e.g. https://{_origin}.")
CSRF_FAILURE_VIEW = "wasteparks.api.errors.csrf_failure"  # JSON under /api/, Django's page elsewhere

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    # Two-factor sign-in (TOTP and recovery codes): registry/signin.py decides who needs it.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "registry",
    "transfers",
    "reporting",
    "wasteparks",  # the project package: the outbox of side effects queued for Celery
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wasteparks.security.ContentSecurityPolicyMiddleware",
    "wasteparks.security.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Reads after one's own write come from the primary (wasteparks/db_router.py).
    "wasteparks.db_router.PinAfterWriteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in security (GB/T 22239-2019 level 3): idle sessions end, then the second factor is asked for.
    "registry.signin.IdleSessionMiddleware",
    "registry.signin.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wasteparks.urls"
WSGI_APPLICATION = "wasteparks.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wasteparks.navigation.navigation",
            ],
            "builtins": ["wasteparks.templatetags.dates"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not usable: {error}") from None
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves one developer; a busy timeout keeps the dev server and an eager task
    # from tripping over each other's write lock. Its backend keeps triggers through table rebuilds.
    DATABASES["default"]["ENGINE"] = "wasteparks.sqlite"
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
# A streaming replica of the primary (docs/scaling.md "Read replicas"): the views marked
# reads_from_replica read from it; a short connect timeout so a dead replica sends reads to the primary
# quickly (wasteparks/db_router.py). Tests mirror it onto the primary's test database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    try:
        DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is not usable: {error}") from None
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": env_int("REPLICA_CONNECT_TIMEOUT", 2, minimum=1, maximum=30)}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["wasteparks.db_router.PrimaryReplicaRouter"]
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10, minimum=0, maximum=3600)
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 30, minimum=1, maximum=3600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # Refuses logins for a username+address pair after too many failures, before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Failed sign-ins from one address, whatever the user names, before it waits LOGIN_LOCKOUT_MINUTES
# (registry.forms.LoginForm): password spraying across accounts.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("LOGIN_PROXY_COUNT", 0, minimum=0, maximum=5) or None
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # GB/T 22239-2019 level 3 asks for complex passwords: at least three of upper case, lower case, digits
    # and other characters.
    {"NAME": "registry.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
# A signed-in session left idle this long ends (the absolute limit is SESSION_HOURS).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
# How long an enterprise administrator's invitation link and a sign-up's verification link stay valid.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1, maximum=30)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 24, minimum=1, maximum=24 * 7) * 3600
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "wasteparks")

# --- Redis, cache and Celery ----------------------------------------------------------------------
# Without REDIS_URL (the embedded default) the cache is in-process and Celery runs tasks eagerly.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis://, rediss:// or unix://.")

if REDIS_URL:
    # Fail-open: with Redis unreachable the cache answers as empty (a miss; writes do nothing) instead of
    # raising, so web and API requests keep working (rate limits do not limit meanwhile). The cache holds
    # only what can be recomputed. The socket timeouts bound what a Redis that does not answer costs each
    # cache call.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    # Each failure the cache ignores is logged (logger django_redis.cache), so an outage is seen.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The embedded default's schedule (`make run`): a worker with beat on kombu's filesystem transport, which
# needs no service, its messages and results kept in this folder. Web requests still run tasks eagerly.
CELERY_FILESYSTEM_BROKER = os.environ.get("CELERY_FILESYSTEM_BROKER", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", not REDIS_URL)
if not CELERY_TASK_ALWAYS_EAGER and not REDIS_URL and not CELERY_FILESYSTEM_BROKER:
    raise ImproperlyConfigured("CELERY_EAGER=0 needs REDIS_URL (or CELERY_FILESYSTEM_BROKER): a worker needs a broker.")
CELERY_TASK_EAGER_PROPAGATES = True
# An eager run (embedded default, tests) keeps its state in the result backend as a worker's would, so a
# progress page reads both alike.
CELERY_TASK_STORE_EAGER_RESULT = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with the fix that keeps a worker alive when Redis goes away mid-task
# (wasteparks/broker.py explains the crash it prevents).
CELERY_BROKER_TRANSPORT = "wasteparks.broker:Transport" if REDIS_URL else None
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
if CELERY_FILESYSTEM_BROKER and not REDIS_URL:
    _FS_BROKER = Path(CELERY_FILESYSTEM_BROKER).resolve()
    for _folder in ("messages", "processed", "results"):
        (_FS_BROKER / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    _FS_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_FS_BROKER / "messages"),
        "data_folder_out": str(_FS_BROKER / "messages"),
        "processed_folder": str(_FS_BROKER / "processed"),
        "control_folder": str(_FS_BROKER / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_FS_BROKER / 'results'}"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "quick"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker never gives up on the broker: Celery's default stops the worker after 100 failed reconnects
# (about 45 minutes of Redis outage), and a stopped worker waits for a person. It retries for ever instead.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the broker connection drops keeps running and is acknowledged on the new connection
# (or, if its acknowledgement is lost, runs again after the visibility timeout: every task is idempotent).
# Cancelling it instead would throw its work away and run it again every time.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# No request publishes to the broker: side effects go through the outbox (wasteparks.outbox), which the
# relay publishes; a publish that fails is retried by the relay's next pass, so it may fail fast.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECT_TIMEOUT", 1, minimum=1, maximum=60)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
# The result backend is read by the recompute's progress page: a Redis that does not answer costs a poll
# two seconds, not two minutes (Celery's default).
CELERY_REDIS_SOCKET_TIMEOUT = 2
# Time limits of the long jobs (seconds, soft; the hard limit is 60 s later for a recompute, 30 s for a
# scan). At province scale (bench/RESULTS.md) a month's recompute takes about 15 s and the hourly scan
# about 2.5 minutes, so the defaults leave room for a slower machine while keeping redelivery quick.
UTILIZATION_TASK_TIME_LIMIT = env_int("UTILIZATION_TASK_TIME_LIMIT", 600, minimum=10)
WARNING_TASK_TIME_LIMIT = env_int("WARNING_TASK_TIME_LIMIT", 600, minimum=10)
# A task whose worker died (SIGKILL, OOM killer, lost machine) is handed out again once its message has been
# unacknowledged this long: Redis cannot tell a dead consumer from a slow one. So it is sized to the longest
# job, its hard time limit plus a margin: shorter, and a slow job would be handed to a second worker while
# the first still runs it; much longer, and a killed job waits for nothing (it was an hour). The fault tests
# set a few seconds.
_LONGEST_JOB = max(UTILIZATION_TASK_TIME_LIMIT + 60, WARNING_TASK_TIME_LIMIT + 30)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", _LONGEST_JOB + 120, minimum=1),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    # A broker that vanishes without closing the connection must not hold a publish forever.
    "socket_timeout": env_int("CELERY_BROKER_SOCKET_TIMEOUT", 30, minimum=1),
}
if CELERY_FILESYSTEM_BROKER and not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS |= _FS_TRANSPORT_OPTIONS
# A task waiting to be retried holds its message unacknowledged until the retry is due (Redis has no
# delayed delivery): a retry further off than the visibility timeout would be handed to a second worker
# and run twice. So retries back off to at most this (seconds).
TASK_RETRY_BACKOFF_MAX = min(600, CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2)
OUTBOX_RELAY_BATCH = env_int("OUTBOX_RELAY_BATCH", 200, minimum=1, maximum=10000)
# Time partitions (PostgreSQL; docs/scaling.md "Time partitions"): the daily task keeps this many periods
# ahead (years of the ledger and the event trails, months of the outbox); manage.py detach_partitions
# detaches none younger than the retention: the records' legal one (10 years, no less), the outbox's own.
PARTITIONS_AHEAD = env_int("PARTITIONS_AHEAD", 2, minimum=1, maximum=10)
PARTITION_RETENTION_YEARS = env_int("PARTITION_RETENTION_YEARS", 10, minimum=10, maximum=100)
OUTBOX_RETENTION_MONTHS = env_int("OUTBOX_RETENTION_MONTHS", 3, minimum=1, maximum=1200)
# Webhooks (wasteparks/webhooks.py, docs/api.md "Webhooks"): a subscriber that fails this many deliveries
# in a row is disabled; each delivery is tried at most WEBHOOK_MAX_ATTEMPTS times, with this timeout per
# connect and per read. Plain http and private or loopback hosts (SSRF) only where explicitly allowed.
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 10, minimum=1, maximum=1000)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1, maximum=30)
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEBUG)
WEBHOOK_ALLOW_PRIVATE_HOSTS = env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)
# The waste lead-acid battery collection platform's export API (reporting/imports/pull.py); empty URL = no pull.
BATTERY_PLATFORM_URL = os.environ.get("BATTERY_PLATFORM_URL", "")
BATTERY_PLATFORM_TOKEN = os.environ.get("BATTERY_PLATFORM_TOKEN", "")
BATTERY_PLATFORM_TIMEOUT_SECONDS = env_int("BATTERY_PLATFORM_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
BATTERY_PLATFORM_MAX_PAGES = env_int("BATTERY_PLATFORM_MAX_PAGES", 200, minimum=1, maximum=10000)
# The parks (ids) whose records the nightly pull books; the platform's records of other parks are refused
# row by row, so each park that deals with it is named.
BATTERY_PLATFORM_PARKS = env_list("BATTERY_PLATFORM_PARKS", "")
# Quick work (rule checks, mail) and long work (recomputing periods, large exports) get separate queues
# so a year's recompute never delays a notification.
CELERY_TASK_ROUTES = {
    "reporting.tasks.utilization.*": {"queue": "long"},
    "wasteparks.background_exports.build_export": {"queue": "long"},
}
# Installed into django-celery-beat's database schedule when beat starts; times are Asia/Shanghai.
CELERY_BEAT_SCHEDULE = {
    "recompute-recent-months": {
        "task": "reporting.tasks.utilization.recompute_recent_months",
        # Nightly, or every RECOMPUTE_SECONDS where set (the embedded default, whose machine may sleep at night).
        "schedule": float(env_int("RECOMPUTE_SECONDS", 0, minimum=0)) or crontab(hour=1, minute=30),
    },
    # Tampering is evident: recompute the audit hash chain (wasteparks/audit.py) every night.
    "verify-audit-chain-nightly": {
        "task": "reporting.tasks.audit.verify_audit_chain",
        "schedule": crontab(hour=2, minute=45),
    },
    # Every hour, or every WARNING_SCAN_SECONDS where set (the embedded default's small park scans often).
    "scan-warnings-hourly": {
        "task": "reporting.tasks.warnings.scan_all_rules",
        "schedule": float(env_int("WARNING_SCAN_SECONDS", 0, minimum=0)) or crontab(minute=5),
    },
    # Cold chains and vehicles cannot wait an hour.
    "scan-device-rules": {"task": "reporting.tasks.telemetry.scan_device_rules", "schedule": crontab(minute="*/5")},
    # The partitions of the time-partitioned tables (readings, ledger, signatures, outbox...) made ahead.
    "create-partitions-daily": {
        "task": "wasteparks.partitions.create_partitions",
        "schedule": crontab(hour=0, minute=20),
    },
    "warning-digest-daily": {
        "task": "reporting.tasks.warnings.send_daily_digest",
        "schedule": crontab(hour=7, minute=30),
    },
    "report-reminders-daily": {
        "task": "reporting.tasks.reports.send_report_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # Publishes the side effects the relay process has not (it is down, or Redis was away).
    "relay-outbox": {"task": "wasteparks.outbox.relay_outbox", "schedule": 30.0},
    # Webhook deliveries whose retry is due (their backoff is kept on the row, not in the broker).
    "retry-webhooks": {"task": "wasteparks.webhooks.retry_due_deliveries", "schedule": 60.0},
    # Proves that beat, the broker and a worker all move: /healthz reports the age of the last one. One
    # left waiting while no worker runs is dropped, so a returning worker does not run a backlog of them.
    "worker-heartbeat": {"task": "wasteparks.heartbeat.record", "schedule": 30.0, "options": {"expires": 60}},
    "purge-expired-exports": {"task": "wasteparks.background_exports.purge_expired", "schedule": crontab(minute=40)},
    # HJ 1259-2022 classes follow the last three years' quantities: derived again once the year has turned.
    "derive-management-classes-yearly": {
        "task": "transfers.tasks.derive_management_classes",
        "schedule": crontab(month_of_year=1, day_of_month=2, hour=4, minute=0),
    },
    # The battery platform's records of each configured park (nothing when no URL or park is configured).
    "pull-battery-platform-nightly": {
        "task": "reporting.tasks.imports.pull_battery_platform_nightly",
        "schedule": crontab(hour=3, minute=40),
    },
    "purge-idempotency-records": {
        "task": "registry.tasks.purge_idempotency_records",
        "schedule": crontab(hour=3, minute=15),
    },
}
if not REDIS_URL:
    # The heartbeat lives in Redis; without Redis (the embedded default) /healthz says "not configured".
    del CELERY_BEAT_SCHEDULE["worker-heartbeat"]

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date, time and number format per language for every page and form (wasteparks/formats/).
FORMAT_MODULE_PATH = ["wasteparks.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Mail -----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "wasteparks@localhost")

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31536000)
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = env_bool("CONTENT_SECURITY_POLICY", True)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 10, minimum=1) * 3600  # a working day, then log in again
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 1_048_576, minimum=1024)

# --- REST framework -------------------------------------------------------------------------------
# The API machinery lives in wasteparks/api/ (see its package docstring).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The bearer scheme comes first: its WWW-Authenticate makes a missing credential a 401, not a 403.
        "wasteparks.api.authentication.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "wasteparks.api.permissions.WritesNeedWriteScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "wasteparks.api.throttling.ClientRateThrottle",
        "wasteparks.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env_rate("API_RATE_CLIENT", "1200/minute"),
        "anon": env_rate("API_RATE_ANON", "60/minute"),
    },
    # How many proxies in front of the app add X-Forwarded-For; 0 trusts only REMOTE_ADDR.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0, minimum=0, maximum=5),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["wasteparks.api.renderers.FastJSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "wasteparks.api.pagination.SyncPagination",
    "DEFAULT_SCHEMA_CLASS": "wasteparks.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "wasteparks.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "wasteparks API",
    "DESCRIPTION": (
        "Solid waste tracking for industrial parks: registry, ledger, manifests, reports.\n\n"
        "Authenticate with `Authorization: Bearer <token>`. Every collection supports incremental sync: "
        "`?updated_after=<ISO 8601 with offset>`, rows in (updated_at, id) order, `page_size` up to 1000, "
        "and a `next` URL to follow until it is null. Every error has the shape "
        '`{"error": {"code", "message", "fields"}}`. See docs/api.md in the repository.'
    ),
    "VERSION": "1.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "wasteparks.api.schema_hooks.state_what_the_api_accepts",
    ],
    # One schema name per choice set shared by several fields (e.g. an event's from/to status).
    "ENUM_NAME_OVERRIDES": {
        "ManifestStatusEnum": "transfers.models.ManifestStatus",
        "RevisionStatusEnum": "transfers.models.RevisionStatus",
        "ReportStatusEnum": "reporting.rules.reports.ReportStatus",
        "WarningStatusEnum": "reporting.models.warnings.WarningStatus",
        "EnterpriseStatusEnum": "registry.models.EnterpriseStatus",
        "FacilityKindEnum": "registry.models.FacilityKind",
        "PermitKindEnum": "registry.models.PermitKind",
        # A manifest's purpose and a method's kind are the same set: utilization, disposal, storage.
        "TreatmentKindEnum": "registry.models.MethodKind",
        # A person's role on an enterprise (a membership, a signature) and an officer's role differ.
        "EnterpriseRoleEnum": "registry.models.EnterpriseRole",
        "OfficerRoleEnum": "registry.models.OfficerRole",
        "PartyEnum": "transfers.models.Party",
        # An enterprise's class, and the classes before, in force and derived in its class history.
        "ManagementClassEnum": "registry.rules.ManagementClass",
        "ClassChangeSourceEnum": "registry.models.ClassChangeSource",
        # Where a signature or a ledger entry came from (web, API): named as before the class history's source.
        "SourceEnum": "transfers.models.Source",
        "ReportActionEnum": "reporting.rules.reports.ReportAction",
        "ReportKindEnum": "registry.rules.ReportKind",
        # Where a permit or a cross-province approval stands; what kind of inspection an officer made.
        "LicenceStatusEnum": "registry.rules.LicenceStatus",
        "InspectionKindEnum": "reporting.models.inspections.InspectionKind",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Domain ---------------------------------------------------------------------------------------
# Where the catalogue loader reads the waste codes, categories, methods and divisions.
REFERENCE_DIR = Path(os.environ.get("REFERENCE_DIR", BASE_DIR / "registry" / "reference"))
# Receipt differing from the declared quantity by more than this fraction is a discrepancy.
QUANTITY_TOLERANCE = env_decimal("QUANTITY_TOLERANCE", "0.05")
# Monthly reports are due by this day of the following month (HJ 1259-2022: the 15th).
REPORT_DEADLINE_DAY = env_int("REPORT_DEADLINE_DAY", 15, minimum=1, maximum=28)
# The dashboard's two 12-month aggregates, the flow diagram and the CO2e figures, are read from the
# manifests and the ledger at most this often per park or province (seconds; 0 = on every view): a
# province's year of rows is too many to aggregate per view.
DASHBOARD_AGGREGATES_CACHE_SECONDS = env_int("DASHBOARD_AGGREGATES_CACHE_SECONDS", 300, minimum=0)
if "DASHBOARD_FLOWS_CACHE_SECONDS" in os.environ:
    # The setting's earlier name, when it covered the flows alone: refused rather than silently ignored.
    raise ImproperlyConfigured(
        "DASHBOARD_FLOWS_CACHE_SECONDS was renamed DASHBOARD_AGGREGATES_CACHE_SECONDS (it covers the CO2e figures "
        "too); set that instead."
    )
HEALTH_CHECK_TIMEOUT = timedelta(seconds=env_int("HEALTH_CHECK_TIMEOUT_SECONDS", 2, minimum=1))
# /healthz reports background work as degraded when the last worker heartbeat (every 30 s) or the oldest
# unsent outbox message (the relay publishes within seconds, beat within 30 s) is older than these.
HEALTH_WORKER_MAX_AGE = timedelta(seconds=env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 120, minimum=30))
HEALTH_OUTBOX_MAX_AGE = timedelta(seconds=env_int("HEALTH_OUTBOX_MAX_AGE_SECONDS", 120, minimum=30))
# A job (an officer's recompute) silent this long (never started, or no progress reported) is shown as
# stopped, with a retry button. Longer than any one step of a job (a month's recompute at province scale).
JOB_STALLED_AFTER = timedelta(seconds=env_int("JOB_STALLED_SECONDS", 300, minimum=30))
# A list export of more rows than this is built in the background and offered for download
# (wasteparks/background_exports.py); the file is kept this many days, for whoever asked only.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000, minimum=1)
EXPORT_KEPT_DAYS = env_int("EXPORT_KEPT_DAYS", 7, minimum=1, maximum=90)

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
if LOG_LEVEL not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a level; use DEBUG, INFO, WARNING, ERROR or CRITICAL.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Early warnings and utilization ---------------------------------------------------------------
# Thresholds of the warning rules (DESIGN 6) and the background jobs. The WARNING_* values are the
# platform's defaults: a province's value, or a park's own, set by provincial officers on the thresholds
# page (reporting/warnings/thresholds.py), takes their place.
WARNING_TRANSIT_DAYS = env_int("WARNING_TRANSIT_DAYS", 3, minimum=1)
WARNING_CONFIRM_WORKING_DAYS = env_int("WARNING_CONFIRM_WORKING_DAYS", 5, minimum=1)
WARNING_QUANTITY_TOLERANCE = env_decimal("WARNING_QUANTITY_TOLERANCE", str(QUANTITY_TOLERANCE))
WARNING_STORAGE_LIMIT_DAYS = env_int("WARNING_STORAGE_LIMIT_DAYS", 365, minimum=1)
WARNING_STORAGE_NOTICE_DAYS = env_int("WARNING_STORAGE_NOTICE_DAYS", 335, minimum=1)
# Medical waste: 48 h at the producer; at the disposal plant 24 h, or 72 h in a cold store below 5 °C
# (reporting/warnings/stock.py cites the sources).
WARNING_MEDICAL_STORAGE_HOURS = env_int("WARNING_MEDICAL_STORAGE_HOURS", 48, minimum=1)
WARNING_MEDICAL_PLANT_HOURS = env_int("WARNING_MEDICAL_PLANT_HOURS", 24, minimum=1)
WARNING_MEDICAL_PLANT_COLD_HOURS = env_int("WARNING_MEDICAL_PLANT_COLD_HOURS", 72, minimum=1)
WARNING_FACILITY_FILL_WARNING_PCT = env_decimal("WARNING_FACILITY_FILL_WARNING_PCT", "90")
WARNING_FACILITY_FILL_CRITICAL_PCT = env_decimal("WARNING_FACILITY_FILL_CRITICAL_PCT", "100")
# Devices (reporting/warnings/devices.py). A medical waste cold store is kept below 5 °C (GB 39707-2020, see
# reporting/warnings/stock.py); the other four are the platform's defaults, not regulation: a province
# sets its own on the thresholds page.
WARNING_COLD_STORE_MAX_C = env_decimal("WARNING_COLD_STORE_MAX_C", "5")
WARNING_COLD_CHAIN_BREACH_MINUTES = env_int("WARNING_COLD_CHAIN_BREACH_MINUTES", 30, minimum=1)
WARNING_SENSOR_STOCK_TOLERANCE = env_decimal("WARNING_SENSOR_STOCK_TOLERANCE", "0.10")
WARNING_VEHICLE_STOP_MINUTES = env_int("WARNING_VEHICLE_STOP_MINUTES", 60, minimum=5)
WARNING_VEHICLE_STOP_SPEED_KMH = env_decimal("WARNING_VEHICLE_STOP_SPEED_KMH", "3")
# Route and transit time (reporting/warnings/routes.py): platform defaults, not regulation.
WARNING_ROUTE_CORRIDOR_KM = env_decimal("WARNING_ROUTE_CORRIDOR_KM", "20")
WARNING_ROUTE_DETOUR_FACTOR = env_decimal("WARNING_ROUTE_DETOUR_FACTOR", "1.4")
WARNING_TRANSIT_SPEED_KMH = env_decimal("WARNING_TRANSIT_SPEED_KMH", "40")
WARNING_TRANSIT_ALLOWANCE_HOURS = env_int("WARNING_TRANSIT_ALLOWANCE_HOURS", 4, minimum=0)
WARNING_DEVICE_SILENT_INTERVALS = env_int("WARNING_DEVICE_SILENT_INTERVALS", 3, minimum=1)

# --- Device telemetry (docs/telemetry.md) -----------------------------------------------------------
# A reading stamped further ahead of the server's clock than this is refused (a device clock gone wrong);
# one older than TELEMETRY_MAX_AGE_HOURS too (a backlog a device may still deliver after an outage).
TELEMETRY_MAX_FUTURE_SECONDS = env_int("TELEMETRY_MAX_FUTURE_SECONDS", 300, minimum=0, maximum=86400)
TELEMETRY_MAX_AGE_HOURS = env_int("TELEMETRY_MAX_AGE_HOURS", 168, minimum=1, maximum=24 * 90)
TELEMETRY_BATCH_MAX = env_int("TELEMETRY_BATCH_MAX", 500, minimum=1, maximum=10000)
# Per device, over HTTP and MQTT together: beyond it the rest of the minute's readings are refused.
TELEMETRY_READINGS_PER_MINUTE = env_int("TELEMETRY_READINGS_PER_MINUTE", 600, minimum=1)
# Monthly partitions of the readings table created this many months ahead (PostgreSQL).
TELEMETRY_PARTITIONS_AHEAD = env_int("TELEMETRY_PARTITIONS_AHEAD", 2, minimum=1, maximum=24)
# The broker the consumer (manage.py consume_readings) and the simulator connect to; the consumer's own
# account. Empty: no MQTT (HTTP only).
MQTT_URL = os.environ.get("MQTT_URL", "")
MQTT_TOPIC_ROOT = os.environ.get("MQTT_TOPIC_ROOT", "wasteparks/devices")
WARNING_PERMIT_EXPIRY_DAYS = env_int("WARNING_PERMIT_EXPIRY_DAYS", 30, minimum=1)
# Throughput beyond the licensed annual scale is a warning; by 20 % or more it needs a new licence.
WARNING_CAPACITY_CRITICAL_PCT = env_decimal("WARNING_CAPACITY_CRITICAL_PCT", "120")
WARNING_ANOMALY_LOW_FACTOR = env_decimal("WARNING_ANOMALY_LOW_FACTOR", "0.5")
WARNING_ANOMALY_HIGH_FACTOR = env_decimal("WARNING_ANOMALY_HIGH_FACTOR", "2.0")
WARNING_ANOMALY_SIGMA = env_decimal("WARNING_ANOMALY_SIGMA", "3")
WARNING_ANOMALY_MIN_HISTORY_MONTHS = env_int("WARNING_ANOMALY_MIN_HISTORY_MONTHS", 6, minimum=2, maximum=12)
WARNING_REPORT_LOOKBACK_MONTHS = env_int("WARNING_REPORT_LOOKBACK_MONTHS", 12, minimum=1, maximum=60)
if WARNING_STORAGE_NOTICE_DAYS > WARNING_STORAGE_LIMIT_DAYS:
    raise ImproperlyConfigured("WARNING_STORAGE_NOTICE_DAYS must not exceed WARNING_STORAGE_LIMIT_DAYS.")
if WARNING_FACILITY_FILL_WARNING_PCT > WARNING_FACILITY_FILL_CRITICAL_PCT:
    raise ImproperlyConfigured("WARNING_FACILITY_FILL_WARNING_PCT must not exceed the critical percentage.")
