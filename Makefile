# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json

# Offline: no telemetry from dbt, GX or Dagster (docs/stack.md).
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: install dbt-parse demo run test test-fast ui serve docs data-docs lint lint-python bench bench-national clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# dagster-dbt loads the dbt manifest when the definitions load: parse first. With the
# connection --vars a full run's dbt steps pass (orchestration/core/refresh.py,
# dbt_connection_vars, from the settings), since dbt parses everything again when its vars
# or profile differ; a full run's first dbt step reuses this parse.
CONNECTION_VARS = $(BIN)/python -c "import json; from orchestration.app.config import \
	duckdb_config, load_settings; from orchestration.core.refresh import dbt_connection_vars; \
	s = load_settings(); print(json.dumps(dbt_connection_vars(str(s.warehouse_path), duckdb_config(s))))"
$(MANIFEST): $(STAMP) $(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f) dbt_project/dbt_project.yml dbt_project/profiles.yml
	vars="$$($(CONNECTION_VARS))" && cd dbt_project && \
		../$(BIN)/dbt parse --quiet --profiles-dir . --vars "$$vars"
	touch $(MANIFEST)

dbt-parse: $(MANIFEST)

## make demo: synthetic extract (only if data/landing has no delivery yet) -> DuckDB -> exports
demo: $(MANIFEST)
	@if ! ls -d data/landing/20??-?? >/dev/null 2>&1; then \
		$(BIN)/gop generate --out data/landing; fi
	$(BIN)/gop run

## make run: gop run on the configured landing directory (GOP_LANDING_DIR ...)
run: $(MANIFEST)
	$(BIN)/gop run

## make test: every test (unit, dbt unit tests, definitions, end-to-end, browser), on one
## pytest-xdist worker per core; the tests that share a `gop run` stay on one worker
PYTEST_WORKERS ?= auto
test: $(MANIFEST) lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

## make test-fast: the edit loop, under a minute: ruff, mypy, the unit and definitions tests
## (sqlfluff, which compiles every dbt model, and the dbt and end-to-end tests are make test's)
test-fast: $(MANIFEST) lint-python
	$(BIN)/pytest -m "unit or definitions"

# The instance at DAGSTER_HOME with the platform's dagster.yaml (one it finds is kept).
PREPARE_INSTANCE = $(BIN)/python -c "from orchestration.app.config import load_settings; \
	from orchestration.app.runner import prepare_instance; prepare_instance(load_settings())"

## make ui: the Dagster UI on the same warehouse and instance as `make demo`
ui: $(MANIFEST)
	mkdir -p $(DAGSTER_HOME)
	$(PREPARE_INSTANCE)
	$(BIN)/dagster dev --host 127.0.0.1 --port 3000

## make serve: the two services of a deployment, dagster-daemon and dagster-webserver, on the
## instance at DAGSTER_HOME (http://127.0.0.1:3000); deploy/ has the same for systemd
serve: $(MANIFEST)
	mkdir -p $(DAGSTER_HOME)
	$(PREPARE_INSTANCE)
	GOP_BIN=$(BIN) deploy/serve.sh

## make docs: dbt docs (catalog of models, columns, lineage) in dbt_project/target
docs: $(MANIFEST)
	cd dbt_project && ../$(BIN)/dbt docs generate --profiles-dir .

## make data-docs: serve the GX Data Docs the checks link to (http://127.0.0.1:3001)
data-docs:
	$(BIN)/python -m http.server 3001 --bind 127.0.0.1 --directory data/gx/gx/uncommitted/data_docs/local_site

lint: lint-python
	GOP_WAREHOUSE_PATH=:memory: $(BIN)/sqlfluff lint dbt_project/models  # compiles only: no file

lint-python: $(STAMP)
	$(BIN)/ruff check orchestration synthetic tests bench scripts
	$(BIN)/mypy

## make bench: the benchmark scripts of bench/ (national volume; minutes, several GB)
bench: $(MANIFEST)
	$(BIN)/python bench/generator_throughput.py
	$(BIN)/python bench/linkage.py

## make bench-national: seven national years, full rebuild, monthly refresh, re-delivery
## (~12 GB of CSV under data/bench-national, an hour or more; not a test; docs/benchmarks.md)
bench-national: $(MANIFEST)
	$(BIN)/python bench/national.py $(BENCH_ARGS)

clean:
	rm -rf dbt_project/target dbt_project/logs .pytest_cache
