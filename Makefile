# cernai — the two commands: `make run` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cernai
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help run test test-scale-out lint bench deps services db static chromium messages demo

help:
	@echo "make run    — set everything up and serve the portal with demo data on http://127.0.0.1:8000"
	@echo "make test   — set everything up and run the whole test suite"
	@echo "make lint   — ruff, mypy, makemigrations --check and the import contracts"
	@echo "make bench  — benchmarks against floors measured in the same run"

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PIP) install --quiet --require-virtualenv -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed node_modules/.installed

services:
	@scripts/services.sh

db: deps services
	$(PY) scripts/ensure_db.py

messages: deps
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

static: deps
	scripts/vendor.sh
	$(MANAGE) collectstatic --noinput -v 0

chromium:
	@if ! /usr/bin/chromium --version >/dev/null 2>&1; then \
	  echo "installing Chromium from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi
	@/usr/bin/chromium --version

demo: db messages static
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo

run: demo
	scripts/run.sh

test: deps services messages static chromium
	DJANGO_SETTINGS_MODULE=cernai.settings.test $(VENV)/bin/pytest

# T20 alone: two gunicorn instances, two workers and beat restarted in turn under load (README,
# "Process layout").
test-scale-out: deps services messages
	DJANGO_SETTINGS_MODULE=cernai.settings.test $(VENV)/bin/pytest tests/ops/test_scale_out.py

# The static checks CI runs before the tests: style, types, migrations in step with the models, and
# the layering contracts in pyproject.toml ([tool.importlinter]).
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=cernai.settings.test $(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/lint-imports

bench: deps services static db
	$(MANAGE) migrate --noinput -v 0
	$(PY) -m tests.bench.run
