"""`bench/run.py` still runs: a tiny, fast configuration (the real run is `make bench`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airflow_provider_clockwork.ledger import AIRFLOW_2
from tests.conftest import REPO


@pytest.mark.dags_test
@pytest.mark.skipif(
    AIRFLOW_2, reason="`make bench` runs on Airflow 3 only (its own venv); 2.11 would add 3 minutes"
)
def test_the_benchmark_writes_its_report(tmp_path, airflow_home) -> None:
    report = tmp_path / "benchmarks.md"
    args = ["--sizes", "1,51", "--repeats", "2", "--latency", "0.01", "--import-repeats", "1"]
    # The in-task cases at 0.3% of their size (60, 6 and 60), in the tests' migrated Airflow home.
    args += ["--in-task-scale", "0.003", "--in-task-repeats", "1", "--in-task-home", str(airflow_home.path)]
    args += ["--in-task-venues", "dags test"]  # make bench also runs them in a deployment (a minute more)

    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), *args, "--output", str(report)],
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    assert "| 51 | (a) provider, sequential (`max_concurrent_requests=1`) | 2 |" in text
    assert "| 51 | (b) provider, concurrent (default 4) | 2 |" in text
    assert "| 51 | (c) naive: `requests.post` per number, fresh connection | 51 |" in text
    assert "| 51 | (d) naive: one request per number over one Session | 51 |" in text
    assert "| `airflow_provider_clockwork.operators.sms` |" in text
    assert "CPU core(s)" in text
    assert "| `ClockworkSendSmsOperator` | 60 | 20 ms | dags test | 2 / 2 |" in text
    assert "| `ClockworkSendSmsOperator` | 6 | 50 ms | dags test | 1 / 1 |" in text
    assert "| `ClockworkSendPersonalisedSmsOperator` | 60 | 20 ms | dags test | 1 / 1 |" in text
