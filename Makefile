# privault: two set-up commands for a fresh machine (make run, make test), plus checks and benchmarks.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit coverage browser bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=python3 to use another)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## make run: install, prepare the demo tenant on embedded SQLite (./privault-data/), serve on :8000
run: $(STAMP)
	$(BIN)/privault demo
	$(BIN)/privault serve

## make test: install, then lint, type-check and run every test (SQLite and PostgreSQL)
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

## make browser: install Debian's Chromium for the browser tests (does nothing if it is there)
browser:
	scripts/install-browser.sh

## make unit: every test, without coverage
unit: $(STAMP) browser
	$(BIN)/pytest -q

## make coverage: every test with line and branch coverage; fails below the floor (fail_under in
## pyproject.toml). On Python 3.11 tracing more than doubles the run, so make test leaves it out
coverage: $(STAMP) browser
	$(BIN)/pytest -q --cov --cov-report=term:skip-covered

## make bench: run every benchmark, write docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
