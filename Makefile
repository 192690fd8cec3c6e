# The same commands for people and CI. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test lint schema schema-check schema-diff http-audit services venv clean

$(STAMP): pyproject.toml tools/ensure-venv.sh
	@bash tools/ensure-venv.sh $(VENV)
	@touch $(STAMP)

venv: $(STAMP)

## run: the whole system on the embedded default (SQLite, nx-27017, local Redis); Ctrl-C stops it all
run: $(STAMP)
	@exec $(VENV)/bin/manpasik dev

## test: the whole test suite against the machine's PostgreSQL and Redis (started if installed but stopped)
test: $(STAMP)
	@bash tools/ensure-services.sh
	@bash tools/ensure-chromium.sh
	@if command -v npm >/dev/null; then bash tools/ci-extras.sh; \
	  else echo "npm not found: the federation interop tests (Hive Gateway, federation-composition) will skip"; fi
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff everywhere; strict mypy on manpasik/, subgraphs/, libs/, router/; the layers and no import cycles
## (import-linter, tools/import_cycles.py); every imported package declared in pyproject.toml (deptry)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) tools/import_cycles.py
	$(VENV)/bin/deptry .

## schema: write each subgraph's SDL and the composed supergraph to schema/ (refuses unmarked breaking changes)
schema: $(STAMP)
	$(VENV)/bin/manpasik schema

## schema-check: fail when schema/ differs from the code
schema-check: $(STAMP)
	$(VENV)/bin/manpasik schema --check

## schema-diff: the changes from the supergraph committed at REF (default HEAD) to the code's, breaking / dangerous /
## safe, with the app operations each break breaks; fails on a break not listed in schema/allowed-breaks.txt
REF ?= HEAD
schema-diff: $(STAMP)
	$(VENV)/bin/manpasik schema diff --against $(REF)

## http-audit: the GraphQL-over-HTTP spec audit (npm graphql-http) against the real router process; all must pass
http-audit: $(STAMP)
	@bash tools/http-audit.sh

services:
	@bash tools/ensure-services.sh

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
