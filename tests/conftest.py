"""Shared fixtures: the catalogue, and the named personas every feature's tests speak of.

Park A (Tongren) holds enterprise X (a generator), carrier C and receiver R; park B (Guiyang) holds
enterprise Y. Officer A supervises park A, officer B park B; the provincial officer sees all of
Guizhou (52). Fixtures built on them that several test packages use are plugins in tests/fixtures/.
"""

import os
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from registry.catalogue import load_catalogue
from registry.models import EnterpriseRole, PermitKind
from tests import factories as f

# Fixtures shared across test packages (tests/fixtures/__init__.py): found by name, never imported.
pytest_plugins = ["tests.fixtures.transfers", "tests.fixtures.reports", "tests.fixtures.worker"]


def pytest_sessionstart(session):
    """Fail at once, and say why, when a service the suite runs against is not there."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        import psycopg2

        try:
            psycopg2.connect(
                host=database["HOST"] or None,
                port=database["PORT"] or None,
                user=database["USER"],
                password=database["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=5,
            ).close()
        except psycopg2.OperationalError as error:
            pytest.exit(
                f"PostgreSQL is required for the suite and is not reachable at {database['HOST']}:{database['PORT']}"
                f" ({error}). Start it, or set TEST_DATABASE_URL.",
                returncode=3,
            )
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            location = urlparse(settings.REDIS_URL).netloc
            pytest.exit(f"Redis is required for the suite and is not reachable at {location} ({error}).", returncode=3)


@pytest.fixture(autouse=True)
def _fast_passwords_clean_cache_and_english(settings):
    # Password hashing is not what these tests are about; the default hasher costs ~0.3 s a login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests assert the code's own (English) messages; the Chinese default is tested where it matters
    # (tests/web, tests/e2e, tests/test_settings.py) by setting the language explicitly.
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_passes_second_factor(request, monkeypatch):
    """A test that signs in with `force_login` acts as a user who passed both sign-in steps: officers and
    administrators need a second factor (registry/signin.py), and what such a test is about comes after
    it. Tests of the second step itself are marked `password_only`: their force_login is the password."""
    if request.node.get_closest_marker("password_only"):
        yield
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = "tests.second-factor-passed"
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
    yield


@pytest.fixture
def catalogue(db):
    load_catalogue(settings.REFERENCE_DIR)


@pytest.fixture
def park_a(catalogue):
    return f.ParkFactory(name="铜仁大龙经济开发区", division=f.division("5206"))


@pytest.fixture
def park_b(catalogue):
    return f.ParkFactory(name="贵阳经济技术开发区", division=f.division("5201"))


@pytest.fixture
def enterprise_x(park_a):
    return f.EnterpriseFactory(name="Enterprise X (generator)", park=park_a)


@pytest.fixture
def enterprise_y(park_b):
    return f.EnterpriseFactory(name="Enterprise Y (generator, park B)", park=park_b)


@pytest.fixture
def carrier_c(park_a):
    return f.EnterpriseFactory(name="Carrier C", park=park_a, is_generator=False, is_carrier=True)


@pytest.fixture
def receiver_r(park_a):
    receiver = f.EnterpriseFactory(name="Receiver R", park=park_a, is_generator=False, is_receiver=True)
    permit = f.PermitFactory(enterprise=receiver, kind=PermitKind.HAZARDOUS_OPERATING)
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code("900-249-08"), method=f.method("R9"))
    return receiver


@pytest.fixture
def officer_a(park_a):
    return f.park_officer(f.UserFactory(username="officer_a"), park_a)


@pytest.fixture
def officer_b(park_b):
    return f.park_officer(f.UserFactory(username="officer_b"), park_b)


@pytest.fixture
def provincial(catalogue):
    return f.provincial_officer(f.UserFactory(username="provincial"), "52")


@pytest.fixture
def preparer_x(enterprise_x):
    return f.member(f.UserFactory(username="preparer_x"), enterprise_x, EnterpriseRole.PREPARER)


@pytest.fixture
def admin_x(enterprise_x):
    return f.member(f.UserFactory(username="admin_x"), enterprise_x, EnterpriseRole.ADMIN)


@pytest.fixture
def viewer_x(enterprise_x):
    return f.member(f.UserFactory(username="viewer_x"), enterprise_x, EnterpriseRole.VIEWER)


@pytest.fixture
def preparer_y(enterprise_y):
    return f.member(f.UserFactory(username="preparer_y"), enterprise_y, EnterpriseRole.PREPARER)


@pytest.fixture
def driver_c(carrier_c):
    return f.member(f.UserFactory(username="driver_c"), carrier_c, EnterpriseRole.DRIVER)


@pytest.fixture
def clerk_r(receiver_r):
    return f.member(f.UserFactory(username="clerk_r"), receiver_r, EnterpriseRole.PREPARER)


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_superuser=True, is_staff=True)


def pytest_configure(config):
    os.makedirs(os.path.join(settings.BASE_DIR, "test-artifacts"), exist_ok=True)
