#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wasteparks.settings")
    # No configuration at all is the embedded default (a developer's checkout: SQLite, eager Celery), so
    # commands such as makemigrations work there. A deployment sets SECRET_KEY, and then DEBUG stays off
    # unless it says otherwise; the web server (wsgi.py) never assumes development.
    if not os.environ.get("SECRET_KEY") and not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
