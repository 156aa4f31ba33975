"""Delivery receipts and replies through the receiver that the real API server mounts.

The emulator calls the ``DlrUrl`` each send asks for (the connection's ``receiver_url``,
the API server's ``/clockwork/...``); what the receiver stored is read back through the
REST API's asset state store, as a user's tooling would.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from .conftest import Deployment
from .test_runs import finished_run, texts_to

pytestmark = pytest.mark.deployment

RECEIPTS_ASSET = "clockwork://delivery/receipts"
CALLBACK_WAIT_SECONDS = 60.0


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

    texts = texts_to(deployment, "447700900751", "447700900752")
    calls = [r for r in deployment.emulator.receipts() if r["message_id"] in {t["id"] for t in texts}]
    assert sorted((r["to"], r["status"], r["http_status"]) for r in calls) == [
        ("447700900751", "DELIVRD", 200),
        ("447700900752", "DELIVRD", 200),
    ]
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
