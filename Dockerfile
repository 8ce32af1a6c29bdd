# One image for web, worker, beat and the migrate job (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic needs settings, not secrets: a throwaway key for the build step only.
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 1000 wasteparks && chown -R wasteparks /app
USER wasteparks

EXPOSE 8000
CMD ["gunicorn", "wasteparks.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
