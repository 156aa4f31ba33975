"""The example DAGs, run for real with `airflow dags test` against the emulator."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.dags_test


def test_pipeline_complete_texts_the_team_with_run_date_and_counts(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_pipeline_complete", connection_json=clockwork_emulator.connection_json()
    )

    assert run.state == "success", run.output[-5000:]
    texts = clockwork_emulator.messages()
    assert sorted(t["to"] for t in texts) == ["447700900123", "447700900456"]
    (content,) = {t["content"] for t in texts}
    assert content.startswith("Nightly load 20") and content.endswith(": 1284 orders, 311 customers.")
    assert run.xcom("text_the_team") == {t["to"]: t["id"] for t in texts}


def test_pipeline_complete_takes_numbers_from_a_variable(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_pipeline_complete",
        connection_json=clockwork_emulator.connection_json(),
        AIRFLOW_VAR_CLOCKWORK_TEAM_NUMBERS="+1 (415) 555-0100",
    )

    assert run.state == "success", run.output[-5000:]
    assert [t["to"] for t in clockwork_emulator.messages()] == ["14155550100"]


def test_failure_alert_texts_the_on_call_number(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_failure_alert", connection_json=clockwork_emulator.connection_json()
    )

    assert run.task_states["load_warehouse"] == "failed"
    (text,) = clockwork_emulator.messages()
    assert text["to"] == "447700900999"
    assert text["content"].startswith("FAILED clockwork_failure_alert.load_warehouse (")
    assert "input file orders.csv is missing" in text["content"]
    assert "{{" not in text["content"]
