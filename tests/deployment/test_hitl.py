"""Human-in-the-loop answered by text, in a real deployment: the question reaches a phone, the reply
reaches the receiver in the API server (sent by the emulator as a handset would), and Airflow
records it as the answer. Wrong replies change nothing and are texted back why.

One run per DAG (tests/deployment/dags/clockwork_deployment_hitl.py) serves every check on it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Deployment
from .rest_api import wait_for

pytestmark = pytest.mark.deployment

CONN_ID = "clockwork_hitl"
ANSWERED = "clockwork_deploy_hitl_answered"
TIMED_OUT = "clockwork_deploy_hitl_timeout"
BRANCH = "clockwork_deploy_hitl_branch"
TASK = "approve_backfill"
PHONE, STRANGER, LATE_PHONE = "447700900781", "447700900785", "447700900782"
ASSIGNED, ASKED_NOT_ASSIGNED = "447700900783", "447700900784"
QUESTION = re.compile(r"Approve backfill \d{4}-\d\d-\d\d\?\nReply YES (\d{4}) or NO \1")
WAIT_SECONDS = 240.0


@pytest.fixture(scope="module")
def hitl_runs(deployment: Deployment, started_runs: dict[str, str]) -> Iterator[dict[str, str]]:
    """The three runs, triggered once their connection exists (the tier's other runs go on meanwhile).

    While they run, texts to the account go to their connection's receiver; then back to the tier's.
    """
    token = secrets.token_urlsafe(24)
    deployment.api.create_connection(
        connection_id=CONN_ID,
        conn_type="clockwork",
        host=deployment.emulator.url,
        password=deployment.api_key,
        extra=json.dumps(
            {
                "receiver_url": f"{deployment.api.base_url}/clockwork",
                "receiver_token": token,
                "reply_on_refusal": True,
            }
        ),
    )
    deployment.emulator.inbound_url = deployment.receiver_url("inbound", token, CONN_ID)
    dag_ids = [ANSWERED, TIMED_OUT, BRANCH]
    deployment.api.wait_for_dags(dag_ids, WAIT_SECONDS)
    try:
        yield {dag_id: deployment.api.unpause_and_trigger(dag_id) for dag_id in dag_ids}
    finally:
        deployment.emulator.inbound_url = deployment.receiver_url("inbound")


def texts_to(deployment: Deployment, number: str, count: int) -> list[str]:
    def arrived() -> list[str] | None:
        texts = [m["content"] for m in deployment.emulator.messages() if m["to"] == number]
        return texts if len(texts) >= count else None

    return wait_for(f"{count} text(s) to {number}", arrived, WAIT_SECONDS)


def question_code(deployment: Deployment, number: str, question: re.Pattern[str] = QUESTION) -> str:
    (text,) = texts_to(deployment, number, 1)
    match = question.fullmatch(text)
    assert match, text
    return match.group(1)


def reply(deployment: Deployment, number: str, text: str) -> None:
    deployment.emulator.receive_sms(number, text)
    assert deployment.emulator.wait_for_callbacks(WAIT_SECONDS)


def wait_until_parked(deployment: Deployment, dag_id: str, task_id: str = TASK) -> None:
    """Until the scheduler has seen the worker that parked the task exit.

    Airflow 3.3.2 fails a task whose answer came so early that it was queued again before the
    scheduler saw the parked worker's exit ("the task instance's state attribute is queued"), the
    UI's answers too; a phone's reply takes longer than that, the emulator's does not.
    """
    seen = f"Received executor event with state success for task instance TaskInstanceKey(dag_id='{dag_id}', "
    seen += f"task_id='{task_id}'"
    scheduler = deployment.airflow.output_path("scheduler")
    wait_for(f"{dag_id}.{task_id} to be parked", lambda: seen in scheduler.read_text() or None, WAIT_SECONDS)


def hitl_detail(deployment: Deployment, dag_id: str, run_id: str, task_id: str = TASK) -> dict[str, Any]:
    return deployment.api.call(
        "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails"
    )


def test_a_reply_approves_and_the_gated_step_runs(deployment, hitl_runs):
    run_id = hitl_runs[ANSWERED]
    code = question_code(deployment, PHONE)

    reply(deployment, STRANGER, f"yes {code}")
    reply(deployment, PHONE, f"maybe {code}")
    assert texts_to(deployment, STRANGER, 1) == [f"This number may not answer {code}."]
    assert texts_to(deployment, PHONE, 2)[1] == f"{code}: 'maybe' is not an option; the options are YES, NO."
    assert hitl_detail(deployment, ANSWERED, run_id)["response_received"] is False

    wait_until_parked(deployment, ANSWERED)
    reply(deployment, PHONE, f"Yes {code}")
    assert deployment.api.wait_for_run(ANSWERED, run_id, WAIT_SECONDS) == "success"
    detail = hitl_detail(deployment, ANSWERED, run_id)
    assert detail["chosen_options"] == ["Approve"]
    assert detail["responded_by_user"] == {"id": PHONE, "name": PHONE}
    assert deployment.api.task_states(ANSWERED, run_id)[("backfill", -1)] == "success"

    reply(deployment, PHONE, f"no {code}")
    assert texts_to(deployment, PHONE, 3)[2] == f"{code} was already answered (Approve)."
    assert hitl_detail(deployment, ANSWERED, run_id)["chosen_options"] == ["Approve"]


def test_no_reply_takes_the_default_and_a_late_reply_is_told_so(deployment, hitl_runs):
    run_id = hitl_runs[TIMED_OUT]
    code = question_code(deployment, LATE_PHONE)

    assert deployment.api.wait_for_run(TIMED_OUT, run_id, WAIT_SECONDS) == "success"
    detail = hitl_detail(deployment, TIMED_OUT, run_id)
    assert detail["chosen_options"] == ["Reject"]
    assert detail["responded_by_user"] is None
    assert deployment.api.task_states(TIMED_OUT, run_id)[("backfill", -1)] == "skipped"

    reply(deployment, LATE_PHONE, f"YES {code}")
    assert texts_to(deployment, LATE_PHONE, 2)[1] == f"{code} timed out; the default was taken."


def test_only_the_assigned_number_chooses_the_branch(deployment, hitl_runs):
    run_id = hitl_runs[BRANCH]
    question = re.compile(r"Which load tonight\?\nReply Full load (\d{4}) or Delta \1")
    code = question_code(deployment, ASKED_NOT_ASSIGNED, question)

    reply(deployment, ASKED_NOT_ASSIGNED, f"delta {code}")
    assert texts_to(deployment, ASKED_NOT_ASSIGNED, 2)[1] == f"This number may not answer {code}."
    wait_until_parked(deployment, BRANCH, "choose_load")
    reply(deployment, ASSIGNED, f"{code} FULL  LOAD")

    assert deployment.api.wait_for_run(BRANCH, run_id, WAIT_SECONDS) == "success"
    detail = hitl_detail(deployment, BRANCH, run_id, "choose_load")
    assert detail["chosen_options"] == ["Full load"]
    assert detail["responded_by_user"] == {"id": "+44 7700 900783", "name": "On call"}
    states = deployment.api.task_states(BRANCH, run_id)
    assert (states[("full_load", -1)], states[("delta_load", -1)]) == ("success", "skipped")
