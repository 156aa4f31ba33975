# The two commands a newcomer runs: `make demo` and `make test`.
# `.venv` has the newest Airflow 3 (the demo's and the linters' environment);
# `.venv-airflow2` has Airflow 2.11, the oldest release the provider supports.
# `.venv-bench` (for `make bench` only) adds the Slack provider, to compare import costs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENV2 ?= .venv-airflow2
STAMP2 := $(VENV2)/.installed
VENV_BENCH ?= .venv-bench
STAMP_BENCH := $(VENV_BENCH)/.installed
# The browser of the deployment tier's UI check: Debian's, as Playwright's own download is not used.
CHROMIUM ?= /usr/bin/chromium

.PHONY: install demo test test-airflow3 test-airflow2 e2e screenshots chromium lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,e2e]"
	touch $(STAMP)

$(STAMP2): pyproject.toml
	$(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/python -m pip install --quiet --upgrade pip
	$(VENV2)/bin/python -m pip install --quiet -e ".[dev]" "apache-airflow>=2.11.0,<3"
	touch $(STAMP2)

$(STAMP_BENCH): pyproject.toml
	$(PYTHON) -m venv $(VENV_BENCH)
	$(VENV_BENCH)/bin/python -m pip install --quiet --disable-pip-version-check -e . apache-airflow-providers-slack
	touch $(STAMP_BENCH)

install: $(STAMP)

# Runs only when the browser is missing (CI starts on a fresh machine, as root).
$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

chromium: $(CHROMIUM)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint test-airflow3 test-airflow2

# Includes the deployment tier (tests/deployment, marker `deployment`), which `make e2e` runs alone.
test-airflow3: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest

e2e: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -m deployment tests/deployment

# The browser check alone, writing the screenshots of the connection form that docs/connection.md shows.
screenshots: $(STAMP) $(CHROMIUM)
	CLOCKWORK_SCREENSHOTS=docs/images $(BIN)/pytest tests/deployment/test_connection_form.py

test-airflow2: $(STAMP2)
	$(VENV2)/bin/pytest

# Not part of `make test`: a few minutes of timed sends against the emulator; rewrites docs/benchmarks.md.
bench: $(STAMP_BENCH)
	$(VENV_BENCH)/bin/python bench/run.py --output docs/benchmarks.md

clean:
	rm -rf $(VENV) $(VENV2) $(VENV_BENCH) .pytest_cache .mypy_cache .ruff_cache
