"""Delivery receipts and replies through the receiver that the real API server mounts.

The emulator calls the ``DlrUrl`` each send asks for (the connection's ``receiver_url``,
the API server's ``/clockwork/...``) and forwards texts to the account to its inbound
path; what the receiver stored is read back through the REST API (the asset state store,
asset events), as a user's tooling would. The delivery sensor waits in the real
triggerer (deferrable) and a worker (reschedule, the escalation example); the reply DAG
is started by the real scheduler.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.receiver.running import last_tries

from .conftest import (
    ALLOWED_SENDER,
    BACKUP_NUMBER,
    LATE_RECEIPT_NUMBER,
    ON_CALL_NUMBER,
    REPLY_DAG,
    UNKNOWN_SENDER,
    Deployment,
)
from .rest_api import wait_for
from .test_runs import RUN_TIMEOUT_SECONDS, finished_run, texts_to

pytestmark = pytest.mark.deployment

RECEIPTS_ASSET = "clockwork://delivery/receipts"
REPLIES_ASSET = "clockwork://inbound/447700900000"
CALLBACK_WAIT_SECONDS = 200.0  # 3 tries of up to 60 s each, for every call queued


def receipt(deployment: Deployment, message_id: str) -> dict[str, Any] | None:
    return deployment.api.asset_state(RECEIPTS_ASSET, f"receipt/{message_id}")


def post_receipt(deployment: Deployment, token: str | None = None, **fields: Any) -> requests.Response:
    """A form receipt (``DlrType`` 2) posted to the receiver, as Clockwork posts it."""
    return requests.post(deployment.receiver_url("receipts", token), data=fields, timeout=60)


def form_receipt(message_id: str, status: str, to: str = "447700900799") -> dict[str, Any]:
    return {"msg_id": message_id, "to": to, "status": status, "detail": "", "err_code": 0}


def test_receipts_of_a_run_land_in_the_store_through_the_api_server(deployment, started_runs):
    run_id, state = finished_run(deployment, started_runs, "clockwork_pipeline_complete")
    assert state == "success"
    assert deployment.emulator.wait_for_callbacks(CALLBACK_WAIT_SECONDS)

    sent = set(deployment.api.xcom("clockwork_pipeline_complete", run_id, "text_the_team").values())
    texts = [text for text in deployment.emulator.messages() if text["id"] in sent]  # this run's alone
    assert sorted(text["to"] for text in texts) == ["447700900751", "447700900752"]
    calls = [r for r in deployment.emulator.receipts() if r["message_id"] in sent]
    # The last try of each receipt: a first call to a cold receiver on a loaded machine may time out.
    assert last_tries(calls) == {(message_id, "DELIVRD"): 200 for message_id in sent}
    assert {r["url"].split("?")[0] for r in calls} == {deployment.receiver_url("receipts").split("?")[0]}
    for text in texts:
        stored = receipt(deployment, text["id"])
        assert stored is not None, text
        assert (stored["to"], stored["status"], stored["final"]) == (text["to"], "DELIVRD", True)
        assert stored["extra"] == {
            "dag_id": "clockwork_pipeline_complete",
            "run_id": run_id,
            "task_id": "text_the_team",
        }


@pytest.mark.parametrize(
    ("token", "status"), [("", 401), ("not-the-receiver-token-at-all", 404)], ids=["missing", "wrong"]
)
def test_a_receipt_without_the_right_token_is_refused_and_not_stored(deployment, token, status):
    message_id = f"TOKEN_{status}"
    reply = post_receipt(deployment, token, **form_receipt(message_id, "DELIVRD"))

    assert reply.status_code == status, reply.text
    assert receipt(deployment, message_id) is None


def test_a_duplicate_receipt_changes_nothing_and_an_unknown_message_is_stored(deployment):
    """Clockwork may call twice; a receipt may name a message no DAG waits for (both documented)."""
    first = post_receipt(deployment, **form_receipt("UNKNOWN_1", "UNDELIV"))
    assert (first.status_code, first.json()) == (200, {"received": 1, "stored": 1})
    stored = receipt(deployment, "UNKNOWN_1")
    assert stored is not None and stored["status"] == "UNDELIV"

    again = post_receipt(deployment, **form_receipt("UNKNOWN_1", "UNDELIV"))
    late_interim = post_receipt(deployment, **form_receipt("UNKNOWN_1", "ENROUTE"))

    assert (again.status_code, again.json()) == (200, {"received": 1, "stored": 0})
    assert (late_interim.status_code, late_interim.json()) == (200, {"received": 1, "stored": 0})
    assert receipt(deployment, "UNKNOWN_1") == stored


def wait_for_task_to_leave(
    deployment: Deployment, dag_id: str, run_id: str, task_id: str, *states: str
) -> str:
    """The task's state once it is none of ``states`` (nor not yet set)."""
    waiting = {None, *states}

    def moved_on() -> str | None:
        state = deployment.api.task_states(dag_id, run_id).get((task_id, -1))
        return None if state in waiting else state

    return wait_for(f"{dag_id}.{task_id} to pass {', '.join(states)}", moved_on, RUN_TIMEOUT_SECONDS)


def test_the_deferred_sensor_succeeds_on_a_receipt_that_comes_while_it_waits(deployment, started_runs):
    dag_id = "clockwork_deploy_delivery"
    run_id = started_runs[dag_id]
    waiting_states = ("scheduled", "queued", "running")
    assert (
        wait_for_task_to_leave(deployment, dag_id, run_id, "wait_for_delivery", *waiting_states) == "deferred"
    )
    (text,) = texts_to(deployment, LATE_RECEIPT_NUMBER)
    assert receipt(deployment, text["id"]) is None

    assert deployment.emulator.release_receipts() == 1
    assert deployment.api.wait_for_run(dag_id, run_id, RUN_TIMEOUT_SECONDS) == "success"
    assert deployment.api.task_states(dag_id, run_id) == {
        ("alert", -1): "success",
        ("wait_for_delivery", -1): "success",
    }
    stored = receipt(deployment, text["id"])
    assert stored is not None and (stored["to"], stored["status"]) == (LATE_RECEIPT_NUMBER, "DELIVRD")


def test_an_undelivered_alert_fails_the_sensor_and_texts_the_backup_number(deployment, started_runs):
    dag_id = "clockwork_escalate_undelivered"
    run_id, _ = finished_run(deployment, started_runs, dag_id)

    sensor = {ti["task_id"]: ti for ti in deployment.api.task_instances(dag_id, run_id)}["wait_for_delivery"]
    assert deployment.api.task_states(dag_id, run_id) == {
        ("alert", -1): "success",
        ("wait_for_delivery", -1): "failed",
        ("text_backup", -1): "success",
    }
    (alert,) = texts_to(deployment, ON_CALL_NUMBER)
    (backup,) = texts_to(deployment, BACKUP_NUMBER)
    log = deployment.api.task_log(dag_id, run_id, "wait_for_delivery", sensor["try_number"])
    assert f"Not delivered: {ON_CALL_NUMBER} ({alert['id']}): UNDELIV error 27" in log
    day = deployment.api.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["logical_date"][:10]
    assert backup["content"] == f"The on-call phone did not get the alert for {day}: please look at the load."


def test_a_reply_from_an_allowed_sender_runs_the_reply_dag_and_another_sender_triggers_nothing(
    deployment, started_runs
):
    run_id = deployment.api.wait_for_first_run(REPLY_DAG, RUN_TIMEOUT_SECONDS)

    assert deployment.api.wait_for_run(REPLY_DAG, run_id, RUN_TIMEOUT_SECONDS) == "success"
    reply = deployment.api.xcom(REPLY_DAG, run_id, "read_reply")
    assert (reply["sender"], reply["text"]) == (ALLOWED_SENDER, "ACK")
    (confirmation,) = texts_to(deployment, ALLOWED_SENDER)
    assert confirmation["content"] == "Thanks, alert acknowledged."
    senders = {ALLOWED_SENDER, UNKNOWN_SENDER}
    events = [
        e["extra"] for e in deployment.api.asset_events(REPLIES_ASSET) if e["extra"]["sender"] in senders
    ]
    assert events == [{"sender": ALLOWED_SENDER, "text": "ACK", "message_id": reply["message_id"]}]
    (ignored,) = [m for m in deployment.emulator.inbound_messages() if m["sender"] == UNKNOWN_SENDER]
    assert ignored["attempts"][-1]["http_status"] == 200  # an earlier try may time out on a cold receiver
    stored = deployment.api.asset_state(REPLIES_ASSET, f"inbound/{ignored['id']}")
    assert stored is not None and (stored["text"], stored["acted_on"]) == ("ACK", False)


def test_the_receiver_token_is_in_no_log(deployment, started_runs):
    for dag_id in started_runs:
        finished_run(deployment, started_runs, dag_id)
    assert deployment.emulator.wait_for_callbacks(CALLBACK_WAIT_SECONDS)

    files = [*deployment.airflow.home.joinpath("logs").rglob("*.log"), *deployment.airflow.root.glob("*.out")]
    # The receiver's calls are really in the API server's access log, with the token redacted.
    assert "/clockwork/clockwork_default/receipts" in (deployment.airflow.root / "api-server.out").read_text()
    assert [
        path.name for path in files if deployment.receiver_token in path.read_text(errors="replace")
    ] == []
