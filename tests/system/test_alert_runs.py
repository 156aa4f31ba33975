"""Alerts in real `airflow dags test` runs: one text per recipient per run, cut to fit, retried."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TEST_KEY

pytestmark = pytest.mark.dags_test

ONCALL = "447700900999"
LEAD = "447700900321"


def test_three_failing_tasks_text_the_on_call_once_and_the_lead_a_list_of_them(
    airflow_home, clockwork_emulator
):
    connection = {
        "conn_type": "clockwork",
        "password": TEST_KEY,
        "host": clockwork_emulator.url,
        "extra": {"to": "+44 7700 900999"},
    }
    # The page goes through untouched; the first alert's first attempt meets a 503.
    clockwork_emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "status", "status": 503})

    run = airflow_home.dags_test(
        "clockwork_test_alert_storm",
        connection_json=json.dumps(connection),
        AIRFLOW_VAR_CLOCKWORK_TEST_DAG_TO=LEAD,
    )

    assert run.state == "failed", run.output[-5000:]
    assert run.task_states == {
        "extract": "failed",
        "transform": "failed",
        "load": "failed",
        "page_oncall": "success",
    }, run.output[-6000:]
    page = [m for m in clockwork_emulator.messages() if m["content"] == "Nightly run started"]
    assert [m["to"] for m in page] == [ONCALL]  # the send operator's default recipient: the connection's
    task_alert, dag_alert = [m for m in clockwork_emulator.messages() if m not in page]
    assert task_alert["to"] == ONCALL
    assert task_alert["content"].startswith("FAILED ")
    assert task_alert["content"].endswith("...")
    assert 157 <= len(task_alert["content"]) <= 160  # the cut drops a space before "..."
    assert task_alert["parts"] == 1
    assert (dag_alert["to"], dag_alert["content"]) == (
        LEAD,
        "clockwork_test_alert_storm failed: extract, load, transform",
    )
    assert len(clockwork_emulator.requests()) == 4  # the page, the 503, its retry, the DAG-level text
    assert run.output.count("already alerted about run") == 2
    assert TEST_KEY not in run.output
