# make help lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# The database `make run` creates; the `open311` command defaults to the same one (DB_NAME,
# then DATABASE_URL, are read by both: app/config.py).
export DB_NAME ?= open311
export DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(DB_NAME)
PORT ?= 5000
OPEN311 := $(BIN)/open311

.PHONY: help install postgres tools db docs run test lint openapi check bench bench-5m

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml
	@echo "make: creating $(VENV) and installing the app with its test tools (pip, about a minute the first time)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q --progress-bar off -e '.[dev]'
	@echo "make: $(VENV) is ready"
	@touch $(BIN)/activate

install: $(BIN)/activate ## Create the virtualenv with the app and its test tools

postgres: ## Make sure PostgreSQL + PostGIS run locally (installs them as root)
	@scripts/ensure-postgres.sh

tools: ## Install the Debian tools the tests and the benchmark drive (chromium, gdal-bin, pgbouncer, wrk)
	@scripts/ensure-test-tools.sh

db: install postgres ## Create the local database DB_NAME (default open311) and migrate it
	@if psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DB_NAME)'" | grep -q 1; \
		then echo "make: database $(DB_NAME) on 127.0.0.1:5432 exists"; \
		else psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE "$(DB_NAME)"' \
			&& echo "make: created the database $(DB_NAME) on 127.0.0.1:5432"; fi
	@echo "make: migrating $(DB_NAME) (open311 db upgrade)"
	@$(OPEN311) db upgrade

docs: install ## Build the documentation site into var/docs-site (served at /docs/)
	@NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir var/docs-site \
		&& echo "make: documentation built into var/docs-site"

run: db docs ## Serve the demo city on http://127.0.0.1:5000 (PORT=..., DB_NAME=... to change)
	@echo "make: loading the demo city into $(DB_NAME) (once; open311 demo load)"
	@$(OPEN311) demo load
	@$(OPEN311) welcome --url http://127.0.0.1:$(PORT)
	@$(OPEN311) run --host 127.0.0.1 --port $(PORT)

test: install postgres tools ## Run the whole test suite against a real PostGIS
	$(BIN)/pytest

lint: install ## ruff and mypy
	$(BIN)/ruff check app geo schemas tests
	$(BIN)/mypy

openapi: install ## Regenerate openapi.yaml from the code
	$(OPEN311) openapi write --format=yaml openapi.yaml

check: lint test ## Everything CI checks

bench: install postgres tools ## Benchmark with wrk on the large city's 1,000,000 requests (minutes; not in test)
	$(BIN)/python bench/run.py

bench-5m: install postgres tools ## The same benchmark on the large city's 5,000,000 requests (loads it once)
	BENCH_REQUESTS=5000000 $(BIN)/python bench/run.py
