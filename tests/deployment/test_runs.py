"""DAG runs in a real deployment: triggered, watched and read back through the REST API only.

The emulator's record says what reached Clockwork; the API says what Airflow made of it
(states, tries, XComs, logs).
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import TEAM_NUMBERS, Deployment
from .rest_api import wait_for

pytestmark = pytest.mark.deployment

RUN_TIMEOUT_SECONDS = 300.0
CALLBACK_TIMEOUT_SECONDS = 120.0


def texts_to(deployment: Deployment, *numbers: str) -> list[dict[str, Any]]:
    return [message for message in deployment.emulator.messages() if message["to"] in numbers]


def wait_for_texts(deployment: Deployment, count: int, *numbers: str) -> list[dict[str, Any]]:
    """The texts to ``numbers`` once there are ``count`` of them (callbacks may land after the run ends)."""

    def arrived() -> list[dict[str, Any]] | None:
        texts = texts_to(deployment, *numbers)
        return texts if len(texts) >= count else None

    return wait_for(f"{count} text(s) to {', '.join(numbers)}", arrived, CALLBACK_TIMEOUT_SECONDS)


def finished_run(deployment: Deployment, started_runs: dict[str, str], dag_id: str) -> tuple[str, str]:
    run_id = started_runs[dag_id]
    return run_id, deployment.api.wait_for_run(dag_id, run_id, RUN_TIMEOUT_SECONDS)


def ids_by_number(texts: list[dict[str, Any]]) -> dict[str, str]:
    return {text["to"]: text["id"] for text in texts}


def test_pipeline_complete_example_texts_the_team_once(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_pipeline_complete")

    assert state == "success"
    run = deployment.api.call("GET", f"/dags/clockwork_pipeline_complete/dagRuns/{run_id}")
    content = f"Nightly load {run['logical_date'][:10]} done: 1284 orders, 311 customers."
    # A daily DAG: should the tier outlast a UTC midnight, the next day's run texts its own day.
    texts = [
        text for text in texts_to(deployment, "447700900751", "447700900752") if text["content"] == content
    ]
    assert sorted(text["to"] for text in texts) == ["447700900751", "447700900752"]
    returned = deployment.api.xcom("clockwork_pipeline_complete", run_id, "text_the_team")
    assert returned == ids_by_number(texts)
    assert TEAM_NUMBERS  # the numbers above are the Variable's, normalised


def test_failing_task_alerts_through_task_and_dag_level_notifiers(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_deploy_failure")

    assert state == "failed"
    assert deployment.api.task_states("clockwork_deploy_failure", run_id) == {("load", -1): "failed"}
    (task_alert,) = wait_for_texts(deployment, 1, "447700900712")
    assert task_alert["content"] == "load failed on try 1: planned failure"
    (dag_alert,) = wait_for_texts(deployment, 1, "447700900711")
    assert dag_alert["content"] == f"DAG clockwork_deploy_failure failed: {run_id}"


def check_retried_send(deployment: Deployment, run_id: str, task_id: str, numbers: list[str]) -> None:
    """Try 1 texted all but the refused middle number, try 2 only that one; the XCom has all three."""
    states = {
        ti["task_id"]: (ti["state"], ti["try_number"])
        for ti in deployment.api.task_instances("clockwork_deploy_retry", run_id)
    }
    assert states[task_id] == ("success", 2)
    texts = texts_to(deployment, *numbers)
    assert sorted(text["to"] for text in texts) == numbers
    returned = deployment.api.xcom("clockwork_deploy_retry", run_id, task_id)
    assert returned == ids_by_number(texts)


def test_retry_after_a_partial_send_texts_each_number_once(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_deploy_retry")

    assert state == "success"
    check_retried_send(deployment, run_id, "send", ["447700900721", "447700900722", "447700900723"])


def test_retry_texts_each_number_once_when_the_text_names_the_try(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_deploy_retry")

    assert state == "success"
    numbers = ["447700900724", "447700900725", "447700900726"]
    check_retried_send(deployment, run_id, "send_rendered_per_try", numbers)
    tries = {text["to"]: text["content"][-7:] for text in texts_to(deployment, *numbers)}
    assert tries == {"447700900724": "(try 1)", "447700900725": "(try 2)", "447700900726": "(try 1)"}


def test_deadline_alert_is_sent_by_the_triggerer(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_deploy_deadline")

    # The task ends only once the alert reached the emulator, and fails if none came.
    assert state == "success"
    (alert,) = texts_to(deployment, "447700900731")
    assert alert["content"] == f"clockwork_deploy_deadline is late: {run_id}"


def test_mapped_send_texts_each_number_from_its_own_task_instance(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_deploy_mapped")

    assert state == "success"
    numbers = ["447700900741", "447700900742", "447700900743"]
    states = deployment.api.task_states("clockwork_deploy_mapped", run_id)
    assert states == {("send", index): "success" for index in range(3)}
    texts = ids_by_number(texts_to(deployment, *numbers))
    for index, number in enumerate(numbers):
        (text,) = texts_to(deployment, number)
        assert text["content"] == f"You are on rota slot {index}"
        returned = deployment.api.xcom("clockwork_deploy_mapped", run_id, "send", map_index=index)
        assert returned == {number: texts[number]}


def test_personalised_example_texts_each_customer_their_slot(deployment, started_runs):
    dag_id = "clockwork_credit_then_personalised"
    run_id, state = finished_run(deployment, started_runs, dag_id)

    assert state == "success"
    returned = deployment.api.xcom(dag_id, run_id, "send_slots")
    assert sorted(returned) == ["A-1001", "A-1002", "A-1003", "A-1004"]
    by_id = {text["id"]: text for text in deployment.emulator.messages()}
    slots = {
        client_id: (by_id[message_id]["to"], by_id[message_id]["content"])
        for client_id, message_id in returned.items()
    }
    assert slots["A-1003"] == ("447700900789", "Hi Zoë, order A-1003 arrives tomorrow between 12:00-14:00.")
    assert slots["A-1001"][0] == slots["A-1004"][0] == "447700900123"
    # A daily DAG: should the tier outlast a UTC midnight, the scheduler starts the next day's run too.
    runs = [str(run["dag_run_id"]) for run in deployment.api.dag_runs(dag_id)]
    for other in runs:
        deployment.api.wait_for_run(dag_id, other, RUN_TIMEOUT_SECONDS)
    assert len(texts_to(deployment, "447700900123", "447700900456", "447700900789")) == 4 * len(runs)


def test_api_key_is_in_no_task_log(deployment, started_runs):
    logs = {}
    for dag_id in started_runs:
        run_id, _ = finished_run(deployment, started_runs, dag_id)
        tries = deployment.api.all_task_logs(dag_id, run_id)
        logs.update({(dag_id, *key): text for key, text in tries.items()})

    # The logs are really there: try 1 of the retried send names the refusal.
    assert "Insufficient Credits" in logs[("clockwork_deploy_retry", "send", -1, 1)]
    assert [key for key, text in logs.items() if deployment.api_key in text] == []
    # Nor in what the REST API does not show: the dag processor's (DAG-level callbacks), the
    # triggerer's (deadline alerts) and every component's output.
    files = [*deployment.airflow.home.joinpath("logs").rglob("*.log"), *deployment.airflow.root.glob("*.out")]
    assert len(files) > len(logs)
    assert [path.name for path in files if deployment.api_key in path.read_text(errors="replace")] == []
