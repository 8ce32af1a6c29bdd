"""Bench-only settings: the project's settings plus a URLconf that also serves the naive endpoint (B1 b).

Selected with DJANGO_SETTINGS_MODULE=bench.settings_naive for the gunicorn that serves benchmark B1;
the project's own settings and URLconf are untouched.
"""

from wasteparks.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_naive"
