# Revline: the two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export REVLINE_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint format bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/revline run

demo: $(VENV)/.installed
	$(BIN)/revline migrate
	$(BIN)/revline demo --force

test: $(VENV)/.installed-test
	REVLINE_DATA_DIR=$(CURDIR)/.test-data $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	REVLINE_DATA_DIR=$(CURDIR)/.test-data $(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Every benchmark at its default size (about 15 minutes on 2 cores); results: docs/performance.md.
bench: $(VENV)/.installed-test
	REVLINE_DATA_DIR=$(CURDIR)/.bench-data $(BIN)/python bench/run.py
	REVLINE_DATA_DIR=$(CURDIR)/.bench-data $(BIN)/python -m bench.segments
	REVLINE_DATA_DIR=$(CURDIR)/.bench-data $(BIN)/python -m bench.email_send
	REVLINE_DATA_DIR=$(CURDIR)/.bench-data $(BIN)/python -m bench.import_csv
	REVLINE_DATA_DIR=$(CURDIR)/.bench-data $(BIN)/python -m bench.board
	REVLINE_DATA_DIR=$(CURDIR)/.bench-data $(BIN)/python -m bench.attribution

clean:
	rm -rf $(VENV) .test-data .bench-data .pytest_cache .mypy_cache .ruff_cache
