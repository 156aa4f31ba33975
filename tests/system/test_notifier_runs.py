"""ClockworkNotifier as a DAG-level callback in a real `airflow dags test` run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.dags_test


def test_dag_level_failure_callback_renders_and_sends(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_test_dag_callback",
        connection_json=clockwork_emulator.connection_json(),
        AIRFLOW_VAR_CLOCKWORK_TEST_TO="447700900321",
    )

    assert run.state == "failed"
    (text,) = clockwork_emulator.messages()
    assert text["to"] == "447700900321"
    assert text["content"] == f"DAG clockwork_test_dag_callback failed in {run.run_id}"
