"""The alerting recipes (example_dags/clockwork_alerting_recipes.py), run for real."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.dags_test


def test_retry_and_success_callbacks_text_the_on_call_number(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_task_callbacks", connection_json=clockwork_emulator.connection_json()
    )

    assert run.state == "success", run.output[-5000:]
    texts = clockwork_emulator.messages()
    assert {t["to"] for t in texts} == {"447700900999"}
    assert [t["content"] for t in texts] == [
        "flaky_extract failed on try 1, retrying",
        "flaky_extract recovered on try 2",
    ]


def test_dag_level_success_callback_texts_once(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_dag_callbacks", connection_json=clockwork_emulator.connection_json()
    )

    assert run.state == "success", run.output[-5000:]
    assert [t["content"] for t in clockwork_emulator.messages()] == [
        f"clockwork_dag_callbacks finished: {run.run_id}"
    ]
