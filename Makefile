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

.PHONY: venv assets browser broker simulate run demo screenshots test lint format check messages bench-smoke bench clean

# Front-end libraries come from the npm registry (package-lock.json) and are served by the app itself.
# axe-core is the accessibility checker the browser tests run inside each page (WCAG 2.1 AA).
VENDOR := static/vendor
ASSETS_STAMP := $(VENDOR)/.installed-stamp
VENDOR_FILES := node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js \
	node_modules/axe-core/axe.min.js

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

$(ASSETS_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp $(VENDOR_FILES) $(VENDOR)/
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

# Browser tests drive Debian's Chromium; it is installed from Debian's packages, never downloaded.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null); \
	  else echo "The browser tests need Debian's chromium at $(CHROMIUM): run 'apt-get install chromium' as root." >&2; exit 1; fi; }

demo: venv assets
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py load_catalogue
	$(RUN_ENV) $(PY) manage.py load_carbon_factors
	@started=$$(date +%s); $(RUN_ENV) $(PY) manage.py load_demo && \
	  echo "load_demo took $$(( $$(date +%s) - started )) s"

# The schedule (warning scan, recompute, reminders, digest) runs beside the development server: a Celery
# worker with beat on kombu's filesystem transport in $(RUN_SCHEDULE), no service to install. It is
# stopped with the server (Ctrl-C). Its log: $(RUN_SCHEDULE)/worker.log.
RUN_SCHEDULE := .schedule
SCHEDULE_ENV = DEBUG=1 CELERY_EAGER=0 CELERY_FILESYSTEM_BROKER=$(RUN_SCHEDULE) WARNING_SCAN_SECONDS=300 RECOMPUTE_SECONDS=900
# The device broker (docs/telemetry.md): Debian's mosquitto with the devices' passwords and the repo's topic
# ACLs (deploy/mosquitto/acl), written from the registry into $(BROKER_DIR) and reloaded when it runs.
# Without mosquitto installed, devices post over HTTP only. `make simulate` feeds the demo park's devices.
# Port 1884, so that a mosquitto the machine already runs as a service on 1883 is left alone.
MQTT_PORT ?= 1884
MQTT_CONSUMER_PASSWORD ?= local-only-consumer
BROKER_DIR := var/mosquitto
BROKER_ENV = $(RUN_ENV) MQTT_URL=mqtt://wasteparks-consumer:$(MQTT_CONSUMER_PASSWORD)@127.0.0.1:$(MQTT_PORT)
broker: demo
	@if command -v mosquitto >/dev/null; then \
	  $(BROKER_ENV) $(PY) manage.py write_broker_config --dir $(BROKER_DIR) --port $(MQTT_PORT); \
	  if [ -f $(BROKER_DIR)/mosquitto.pid ] && kill -HUP "$$(cat $(BROKER_DIR)/mosquitto.pid)" 2>/dev/null; then \
	    echo "device broker reloaded"; \
	  elif mosquitto -d -c $(BROKER_DIR)/mosquitto.conf; then echo "device broker on 127.0.0.1:$(MQTT_PORT)"; \
	  else rm -f $(BROKER_DIR)/mosquitto.pid; \
	    echo "the device broker did not start (is port $(MQTT_PORT) taken? set MQTT_PORT): devices post over HTTP only"; fi; \
	else echo "mosquitto is not installed: devices post over HTTP only (apt-get install mosquitto)"; fi

simulate: broker
	$(BROKER_ENV) $(PY) manage.py simulate_devices --transport http --ticks 1
	@if [ -f $(BROKER_DIR)/mosquitto.pid ]; then \
	  $(BROKER_ENV) $(PY) manage.py write_broker_config --dir $(BROKER_DIR) --port $(MQTT_PORT) --reload; \
	  $(BROKER_ENV) $(PY) manage.py simulate_devices --anomalies; \
	else $(BROKER_ENV) $(PY) manage.py simulate_devices --anomalies --transport http; fi

run: demo broker
	@mkdir -p $(RUN_SCHEDULE); \
	if [ -f $(BROKER_DIR)/mosquitto.pid ]; then \
	  $(BROKER_ENV) $(PY) manage.py consume_readings >> $(RUN_SCHEDULE)/consumer.log 2>&1 & consumer=$$!; \
	fi; \
	$(SCHEDULE_ENV) $(PY) -m celery -A wasteparks worker --beat --pool solo --queues quick,long \
	  --loglevel INFO --logfile $(RUN_SCHEDULE)/worker.log & \
	schedule=$$!; trap 'kill $$schedule $${consumer:-} 2>/dev/null; wait $$schedule 2>/dev/null' EXIT INT TERM; \
	echo "Schedule running (pid $$schedule): warning scan every 5 min, figures every 15 min; log $(RUN_SCHEDULE)/worker.log"; \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# COLLECTSTATIC=0 when the static files are already collected (.ci/run runs two suites side by side).
COLLECTSTATIC ?= 1
test: venv assets browser
	@if [ "$(COLLECTSTATIC)" = 1 ]; then $(TEST_ENV) $(PY) manage.py collectstatic --noinput -v0; fi
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The README's screenshots (docs/screenshots/), taken by the demo's browser test from the demo park.
screenshots: venv assets browser
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(TEST_ENV) DEMO_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q -p no:cacheprovider tests/e2e/test_demo_browser.py

# Benchmarks (bench/README.md): untimed smoke run, and the real thing against wasteparks_bench.
BENCH_ENV = DEBUG=0 SECRET_KEY=bench-only-not-secret ALLOWED_HOSTS=127.0.0.1,localhost CELERY_EAGER=1
bench-smoke: venv assets
	$(TEST_ENV) $(PY) -m pytest -q -m bench_smoke tests/bench

BENCH_DB ?= postgres://postgres@127.0.0.1:5432/wasteparks_bench
BENCH10_DB ?= postgres://postgres@127.0.0.1:5432/wasteparks_bench10
bench: venv assets
	$(BENCH_ENV) $(PY) -m bench.generate --scale 1 --seed 42 --database-url $(BENCH_DB) --check
	$(BENCH_ENV) $(PY) -m bench.generate --scale 0.1 --seed 42 --database-url $(BENCH10_DB)
	$(BENCH_ENV) $(PY) -m bench.b1_full_sync --database-url $(BENCH_DB)
	$(BENCH_ENV) $(PY) -m bench.b2_incremental_sync --small-url $(BENCH10_DB) --large-url $(BENCH_DB)
	$(BENCH_ENV) $(PY) -m bench.b6_writes --database-url $(BENCH_DB)
	$(BENCH_ENV) $(PY) -m bench.b3_utilization --database-url $(BENCH_DB)
	$(BENCH_ENV) $(PY) -m bench.b4_warnings --database-url $(BENCH_DB)
	$(BENCH_ENV) $(PY) -m bench.b5_pages --database-url $(BENCH_DB)
	$(BENCH_ENV) $(PY) -m bench.b7_telemetry

# Lint, format check, dead code (vulture) and types (mypy with django-stubs, which imports the settings:
# DEBUG=1 lets them load without a secret key or allowed hosts). Configured in pyproject.toml.
LINT_ENV = DEBUG=1
lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m vulture
	$(LINT_ENV) $(PY) -m mypy

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

check: lint
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py check

messages: venv
	$(RUN_ENV) $(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'node_modules/*' --no-obsolete
	$(RUN_ENV) $(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) node_modules $(VENDOR) db.sqlite3 $(RUN_SCHEDULE) staticfiles .pytest_cache .ruff_cache .mypy_cache
