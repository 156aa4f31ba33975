# The two commands a newcomer runs: `make demo` and `make test`.
# `.venv` has the newest Airflow 3 (the demo's and the linters' environment);
# `.venv-airflow2` has Airflow 2.11, the oldest release the provider supports;
# `.venv-floors` has every direct dependency at the lowest version pyproject.toml allows.
# `.venv-bench` (for `make bench` only) adds the Slack provider, to compare import costs.
# pip installs only uv into `.venv`; uv installs everything else, from one shared cache.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
# Compiled at install, as pip does and uv does not by default: where PYTHONDONTWRITEBYTECODE is
# set, every Airflow process would otherwise compile Airflow afresh (8 s against 3.7 s for
# `airflow version` here), and the test tiers start many of them.
UV_INSTALL := $(UV) pip install --quiet --compile-bytecode
STAMP := $(VENV)/.installed
VENV2 ?= .venv-airflow2
STAMP2 := $(VENV2)/.installed
VENV_FLOORS ?= .venv-floors
STAMP_FLOORS := $(VENV_FLOORS)/.installed
VENV_BENCH ?= .venv-bench
STAMP_BENCH := $(VENV_BENCH)/.installed
# The browser of the deployment tier's UI check: Debian's, as Playwright's own download is not used.
CHROMIUM ?= /usr/bin/chromium
# What must work at the floors: registration, the hook over the emulator, the operator's
# execute (retries and permanence included) and the notifier.
FLOORS_SMOKE := tests/test_provider_info.py tests/hooks/test_clockwork.py tests/operators/test_sms.py \
	tests/notifications/test_clockwork.py tests/reliability/test_permanence.py

.PHONY: install demo test test-airflow3 test-airflow3-runs test-airflow3-runs-a test-airflow3-runs-b \
	test-airflow3-rest test-airflow2 test-floors e2e screenshots chromium lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV_INSTALL) --python $(BIN)/python -e ".[dev,e2e]"
	touch $(STAMP)

$(STAMP2): pyproject.toml $(STAMP)
	$(UV) venv --quiet --clear --seed --python $(PYTHON) $(VENV2)
	$(UV_INSTALL) --python $(VENV2)/bin/python -e ".[dev]" "apache-airflow>=2.11.0,<3"
	touch $(STAMP2)

$(STAMP_FLOORS): pyproject.toml scripts/floor_pins.py $(STAMP)
	$(UV) venv --quiet --clear --seed --python $(PYTHON) $(VENV_FLOORS)
	$(BIN)/python scripts/floor_pins.py > $(VENV_FLOORS)/floors.txt
	$(UV_INSTALL) --python $(VENV_FLOORS)/bin/python -e . "pytest>=8" --constraint $(VENV_FLOORS)/floors.txt
	touch $(STAMP_FLOORS)

$(STAMP_BENCH): pyproject.toml $(STAMP)
	$(UV) venv --quiet --clear --seed --python $(PYTHON) $(VENV_BENCH)
	$(UV_INSTALL) --python $(VENV_BENCH)/bin/python -e . apache-airflow-providers-slack
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

# The suites run side by side, two at a time, one per core: most of their time is `airflow dags
# test` runs and Airflow processes, each busy on one core. The Airflow 3 `airflow dags test` runs
# (about 15 minutes) take one core; the 2.11 suite (about 6), the rest of the Airflow 3 suite (3),
# the deployment tier (2) and the floors (under 1) take the other. Running the dags-test runs as
# two halves side by side was slower when measured (22 min 51 s against 19 min 38 s on a fresh
# clone): the halves slow each other down and left the 2.11 suite for last. --output-sync prints
# each part's output whole when it ends, so every pytest summary stays readable.
test: lint
	$(MAKE) --no-print-directory --output-sync=target -j2 \
		test-airflow3-runs test-airflow2 e2e test-airflow3-rest test-floors

# The whole Airflow 3 suite, its parts one after another.
test-airflow3: test-airflow3-runs e2e test-airflow3-rest

# The `airflow dags test` runs (marker dags_test); for development also in two halves, split by
# test file: half a is the files listed here, half b every other file, so a new file is never
# left out (a listed file that no longer exists fails half a).
RUNS_A := tests/system/test_exactly_once_runs.py tests/system/test_send_operator_runs.py \
	tests/system/test_personalised_runs.py
RUNS := $(BIN)/pytest -m "dags_test and not deployment"

test-airflow3-runs: $(STAMP)
	$(RUNS)

test-airflow3-runs-a: $(STAMP)
	$(RUNS) $(RUNS_A)

test-airflow3-runs-b: $(STAMP)
	$(RUNS) $(addprefix --ignore=,$(RUNS_A))

test-airflow3-rest: $(STAMP)
	$(BIN)/pytest -m "not dags_test and not deployment"

# The deployment tier (tests/deployment, marker `deployment`): a real Airflow 3 and a headless Chromium.
e2e: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -m deployment tests/deployment

# The browser check alone, writing the screenshots of the connection form that the docs show
# (docs/connection.md, docs/delivery-and-replies.md).
screenshots: $(STAMP) $(CHROMIUM)
	CLOCKWORK_SCREENSHOTS=docs/images $(BIN)/pytest tests/deployment/test_connection_form.py

test-airflow2: $(STAMP2)
	$(VENV2)/bin/pytest

test-floors: $(STAMP_FLOORS)
	$(VENV_FLOORS)/bin/pytest $(FLOORS_SMOKE)

# Not part of `make test`: a few minutes of timed sends against the emulator; rewrites docs/benchmarks.md.
bench: $(STAMP_BENCH)
	$(VENV_BENCH)/bin/python bench/run.py --output docs/benchmarks.md

clean:
	rm -rf $(VENV) $(VENV2) $(VENV_FLOORS) $(VENV_BENCH) .pytest_cache .mypy_cache .ruff_cache
