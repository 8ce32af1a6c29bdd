# Quick start: `make run` (embedded: SQLite, Celery eager, demo data) and `make test` (PostgreSQL + Redis).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# The suite runs against real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/wasteparks
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_ENV = DEBUG=0 SECRET_KEY=test-only-not-secret ALLOWED_HOSTS=localhost,127.0.0.1,testserver \
	SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 CELERY_EAGER=1 \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)
RUN_ENV = DEBUG=1 CELERY_EAGER=1

.PHONY: venv run demo test lint format check clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py load_catalogue
	$(RUN_ENV) $(PY) manage.py load_demo

run: demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: venv
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

check: lint
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py check

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
