#!/usr/bin/env bash
# Serve the portal on http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all three.
set -u
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-cernai.settings.local}
mkdir -p var
.venv/bin/celery -A cernai worker --loglevel=INFO --concurrency=2 >var/worker.log 2>&1 &
worker=$!
.venv/bin/celery -A cernai beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null; wait' EXIT INT TERM
echo "worker (pid $worker, log var/worker.log) and beat (pid $beat, log var/beat.log) started"
echo "Serving on http://127.0.0.1:8000 — Ctrl-C to stop."
.venv/bin/gunicorn cernai.wsgi:application --bind 127.0.0.1:8000 --workers 3 --access-logfile - --timeout 60
