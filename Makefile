# The two commands a newcomer runs: `make demo` and `make test`.
# `.venv` has the newest Airflow 3 (the demo's and the linters' environment);
# `.venv-airflow2` has Airflow 2.11, the oldest release the provider supports.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENV2 ?= .venv-airflow2
STAMP2 := $(VENV2)/.installed

.PHONY: install demo test test-airflow3 test-airflow2 lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(STAMP2): pyproject.toml
	$(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/python -m pip install --quiet --upgrade pip
	$(VENV2)/bin/python -m pip install --quiet -e ".[dev]" "apache-airflow>=2.11.0,<3"
	touch $(STAMP2)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint test-airflow3 test-airflow2

test-airflow3: $(STAMP)
	$(BIN)/pytest

test-airflow2: $(STAMP2)
	$(VENV2)/bin/pytest

clean:
	rm -rf $(VENV) $(VENV2) .pytest_cache .mypy_cache .ruff_cache
