# One command surface for README, CI and developers. Every target works on a fresh checkout.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
SAMPLE ?= samples/articles/savings-account.docx
PYTEST_ARGS ?=

AZURITE := .tools/node_modules/.bin/azurite-blob

.PHONY: help venv install install-dev tools browser addin-unit services demo lint format typecheck unit test ci bench clean

help:
	@echo "make demo      install and check a shipped sample article"
	@echo "make test      install dev dependencies, lint, type-check and run the whole suite"
	@echo "make lint | typecheck | unit | bench | format"

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

# The whole suite, as CI runs it (.ci/run calls exactly this).
test: install-dev lint typecheck addin-unit unit

ci: test

bench: install-dev
	$(PY) bench/rules/bench_rules.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
