"""`make demo` end to end: the script a newcomer runs must keep working."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airflow_provider_clockwork.ledger import AIRFLOW_2
from tests.conftest import REPO

pytestmark = [
    pytest.mark.dags_test,
    # The example DAG itself runs on 2.11 in tests/system/test_example_dags.py.
    pytest.mark.skipif(AIRFLOW_2, reason="`make demo` runs on Airflow 3 only (the project's .venv)"),
]


def test_demo_runs_the_example_dag_and_shows_texts_and_xcom_ids() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW_HOME"}
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "The emulator received 2 text(s):" in done.stdout
    assert "-> 447700900123: Nightly load" in done.stdout
    assert 'XCom return_value of text_the_team: {"447700900123": "AB_' in done.stdout
    assert "[emulator] emulator: accepted" in done.stdout
