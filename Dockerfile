# One image for web, worker, beat and the migrate job (see docker-compose.yml).

# Front-end libraries from the npm registry, pinned by package-lock.json; served by the app itself.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Debian's mosquitto: the device broker service runs from this image too (docker-compose.yml).
RUN apt-get update && apt-get install -y --no-install-recommends mosquitto && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
COPY --from=assets /assets/node_modules/bootstrap/dist/css/bootstrap.min.css \
     /assets/node_modules/bootstrap/dist/css/bootstrap.min.css.map \
     /assets/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js \
     /assets/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
     /assets/node_modules/htmx.org/dist/htmx.min.js \
     /assets/node_modules/echarts/dist/echarts.min.js \
     /assets/node_modules/axe-core/axe.min.js \
     static/vendor/
# collectstatic needs settings, not secrets: a throwaway key for the build step only.
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 1000 wasteparks && chown -R wasteparks /app \
    && mkdir -p /var/lib/wasteparks-broker && chown wasteparks /var/lib/wasteparks-broker
USER wasteparks

EXPOSE 8000
CMD ["gunicorn", "wasteparks.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
