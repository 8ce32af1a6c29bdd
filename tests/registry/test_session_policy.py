"""GB/T 22239-2019 level 3 for sessions and passwords: an idle session ends; passwords must be complex."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registry.signin import LAST_SEEN_SESSION_KEY

pytestmark = pytest.mark.django_db


def _age_session(client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = int((timezone.now() - timedelta(minutes=minutes)).timestamp())
    session.save()


def test_a_session_idle_longer_than_the_limit_is_signed_out(client, preparer_x, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(preparer_x)
    _age_session(client, 31)
    response = client.get(reverse("transfers:manifest_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("transfers:manifest_list")).status_code == 302


def test_a_session_in_use_stays_signed_in_and_is_written_at_most_once_a_minute(
    client, preparer_x, settings, django_assert_max_num_queries
):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(preparer_x)
    _age_session(client, 29)
    assert client.get(reverse("transfers:manifest_list")).status_code == 200
    seen = client.session[LAST_SEEN_SESSION_KEY]
    assert timezone.now().timestamp() - seen < 5  # refreshed
    assert client.get(reverse("transfers:manifest_list")).status_code == 200
    assert client.session[LAST_SEEN_SESSION_KEY] == seen  # not rewritten within the minute


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("Waste-Park-2026", True),
        ("wastepark2026!", True),  # lower case, digits, other
        ("wasteparkpark", False),  # one kind
        ("wastepark2026", False),  # two kinds
        ("Wa-26", False),  # too short
    ],
)
def test_the_password_policy(password, accepted):
    if accepted:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)
