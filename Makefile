# One command surface for README, CI and developers. Every target works on a fresh checkout.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
SAMPLE ?= samples/articles/savings-account.docx
PYTEST_ARGS ?=

AZURITE := .tools/node_modules/.bin/azurite-blob

.PHONY: help venv install install-dev tools browser addin-unit services demo lint format typecheck unit fuzz ops-tools ops-check test ci bench soak clean

help:
	@echo "make demo      install and check a shipped sample article"
	@echo "make test      install dev dependencies, lint, type-check and run the whole suite"
	@echo "make lint | typecheck | unit | fuzz | bench | format"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY)

install: $(PY)
	$(PY) -m pip install --quiet -e .

install-dev: $(PY) tools
	$(PY) -m pip install --quiet -e ".[dev]"

# Node tools the tests start themselves (Azurite for blob storage), kept out of the system;
# the add-in's test dependencies; Debian's Chromium for the add-in's end-to-end tests.
tools: $(AZURITE) addin-tests/node_modules/.package-lock.json browser

addin-tests/node_modules/.package-lock.json: addin-tests/package-lock.json
	cd addin-tests && npm ci --no-audit --no-fund --loglevel=error

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the add-in end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    fonts-dejavu-core >/dev/null; }

$(AZURITE):
	npm install --prefix .tools --no-audit --no-fund --loglevel=error azurite@3.35.0

# PostgreSQL and Redis must be up for the suite; in CI a missing one fails the run.
services:
	bash scripts/ensure-services.sh

demo: install
	$(BIN)/compliance check $(SAMPLE); status=$$?; \
	  echo "(exit code $$status: 0 = no errors, 1 = error findings, 2 = input error)"; \
	  [ $$status -le 1 ]

lint:
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

format:
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

typecheck:
	$(BIN)/mypy

unit: services
	$(BIN)/pytest $(PYTEST_ARGS)

# The add-in's word.js and UI logic, with node's test runner and office-addin-mock.
addin-unit: tools
	cd addin-tests && node --test

# schemathesis against a live embedded server's OpenAPI schema, API keys on (docs/security.md).
fuzz: install-dev
	$(PY) scripts/fuzz_api.py

# Debian's prometheus package provides promtool (the service it installs is not started).
ops-tools:
	@command -v promtool >/dev/null 2>&1 || { \
	  echo "installing Debian's prometheus package for promtool"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends prometheus >/dev/null; }

# Dashboards, alerts and deployment manifests (docs/operations.md). Not validated offline:
# the image build (no Docker engine), terraform fmt/validate/plan (not installable here).
ops-check: install-dev ops-tools
	cd deploy/prometheus && promtool check rules alerts.yml && promtool test rules alerts_test.yml
	promtool check config --syntax-only deploy/prometheus/prometheus.yml
	$(PY) deploy/k8s/validate.py
	@if docker compose version >/dev/null 2>&1; then \
	  POSTGRES_PASSWORD=x API_KEY_PEPPER=x SMART_SEARCH_API_KEY=x GRAFANA_ADMIN_PASSWORD=x \
	    docker compose -f compose.yaml config -q && echo "compose.yaml: docker compose config ok"; \
	else echo "compose.yaml: docker compose config skipped (no docker compose plugin)"; fi

# The whole suite, as CI runs it (.ci/run calls exactly this).
test: install-dev lint typecheck ops-check addin-unit unit fuzz

ci: test

# Every benchmark in sequence (bench/README.md), on a quiet machine; figures also as JSON in
# $(BENCH_OUT) for bench/RESULTS.md. wrk is the API benchmark's load generator.
BENCH_OUT ?= /tmp/compliance-bench
bench: install-dev
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	mkdir -p $(BENCH_OUT)
	$(PY) bench/rules/bench_rules.py
	$(PY) bench/rules/bench_scaling.py --json $(BENCH_OUT)/rules-scaling.json
	$(PY) bench/pipeline/bench_pipeline.py
	-$(PY) bench/api/bench_api.py --json $(BENCH_OUT)/api.json  # exits 1 on a missed target
	$(PY) bench/e2e/bench_e2e.py --json $(BENCH_OUT)/e2e.json
	$(PY) bench/memory/bench_memory.py --json $(BENCH_OUT)/memory.json

# The soak (bench/README.md "Soak"): 30 minutes at a steady mixed load on 2 API processes and 2
# workers; exits 1 on RSS growth above 10 %, an unplanned error answer or an unfinished job.
# Not part of CI or `make bench`. `make soak SOAK_MINUTES=2` for a smoke run.
SOAK_MINUTES ?= 30
soak: install-dev
	mkdir -p $(BENCH_OUT)
	$(PY) bench/soak/soak.py --minutes $(SOAK_MINUTES) --json $(BENCH_OUT)/soak.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
