# Initscope. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# The test and bench services (both run on this machine; see README).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/initscope
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.DEFAULT_GOAL := help
.PHONY: help setup demo test unit lint bench migrate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install everything (fast when nothing changed)

$(STAMP): pyproject.toml scripts/get-kubectl
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (once, and again when pyproject.toml changes)"
	@( $(PY) -m pip install -q --disable-pip-version-check --upgrade pip \
	  && $(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' ) > $(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; echo "make setup: pip failed (log above)"; exit 1; }
	@scripts/get-kubectl $(VENV)/bin >> $(VENV)/pip.log 2>&1 || echo "warning: kubectl could not be installed; its tests will be skipped"
	@touch $(STAMP)

demo: setup ## Run the whole product on the embedded defaults and the bundled recordings
	@mkdir -p var
	DEBUG=1 $(PY) manage.py serve --demo

test: setup ## Run the whole suite (needs PostgreSQL and Redis on 127.0.0.1)
	@$(PY) -m ruff check .
	@$(VENV)/bin/lint-imports --no-cache >/dev/null && echo "import contracts kept"
	@DEBUG=1 $(PY) manage.py makemigrations --check --dry-run >/dev/null && echo "migrations up to date"
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

unit: setup ## Run the unit tests only (no services)
	DEBUG=1 $(PY) -m pytest tests/unit tests/kubesim $(PYTEST_ARGS)

lint: setup ## ruff and the import contracts
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

bench: setup ## Run the benchmarks and print figures against DESIGN.md's targets
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench $(BENCH_ARGS)

migrate: setup ## Apply database migrations
	$(PY) manage.py migrate

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) var/*.sqlite3* var/static
