# make help lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
DB_NAME ?= open311
export DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(DB_NAME)
FLASK := $(BIN)/flask --app app

.PHONY: help install postgres tools db run test lint openapi check bench bench-5m

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate ## Create the virtualenv with the app and its test tools

postgres: ## Make sure PostgreSQL + PostGIS run locally (installs them as root)
	@scripts/ensure-postgres.sh

tools: ## Install the Debian tools the tests and the benchmark drive (chromium, gdal-bin, pgbouncer, wrk)
	@scripts/ensure-test-tools.sh

db: install postgres ## Create the local database and migrate it
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DB_NAME)'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE "$(DB_NAME)"'
	$(FLASK) db upgrade

run: db ## Serve the demo city on http://127.0.0.1:5000
	$(FLASK) demo load
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install postgres tools ## Run the whole test suite against a real PostGIS
	$(BIN)/pytest

lint: install ## ruff and mypy
	$(BIN)/ruff check app geo schemas tests
	$(BIN)/mypy

openapi: install ## Regenerate openapi.yaml from the code
	$(FLASK) openapi write --format=yaml openapi.yaml

check: lint test ## Everything CI checks

bench: install postgres tools ## Benchmark with wrk on the large city's 1,000,000 requests (minutes; not in test)
	$(BIN)/python bench/run.py

bench-5m: install postgres tools ## The same benchmark on the large city's 5,000,000 requests (loads it once)
	BENCH_REQUESTS=5000000 $(BIN)/python bench/run.py
