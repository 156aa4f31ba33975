"""Replies answering Human-in-the-loop requests, through the receiver served for real on a migrated
Airflow database (Airflow 3.3+).

Each test writes a waiting request as Airflow and the notifier leave it (a task instance awaiting
input, its HITL detail, and the code in its task state store) and posts replies; what Airflow's
own response path then recorded is read back from the database. The deployment tier
(tests/deployment/test_hitl.py) runs the whole loop with real DAG runs.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import requests

from tests.receiver.conftest import needs_store
from tests.receiver.running import ALLOWED_SENDER

pytestmark = needs_store
NOW = "2026-11-30 03:00:00.000000"
APPROVAL = ["Approve", "Reject"]


def waiting_request(
    receiver: Any,
    code: str | None,
    options: list[str] = APPROVAL,
    *,
    multiple: bool = False,
    params: dict[str, Any] | None = None,
    assignees: list[dict[str, str]] | None = None,
    conn_id: str = "clockwork_default",
) -> str:
    """A task instance awaiting input with its question texted under ``code`` (None: no code yet); its ID."""
    ti_id, run_id = uuid.uuid4().hex, f"hitl_{uuid.uuid4().hex[:8]}"
    with sqlite3.connect(receiver.database, timeout=30) as db:
        run = db.execute(
            "INSERT INTO dag_run (dag_id, run_id, run_type, run_after, state)"
            " VALUES (?, ?, 'manual', ?, 'running')",
            ("hitl_dag", run_id, NOW),
        ).lastrowid
        db.execute(
            "INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, try_number, pool,"
            " pool_slots, state, next_method) VALUES (?, 'ask', 'hitl_dag', ?, -1, 1, 'default_pool', 1,"
            " 'awaiting_input', 'execute_complete')",
            (ti_id, run_id),
        )
        db.execute(
            "INSERT INTO hitl_detail (ti_id, options, subject, multiple, params, assignees, created_at,"
            " params_input) VALUES (?, ?, 'Go?', ?, ?, ?, ?, '{}')",
            (ti_id, json.dumps(options), multiple, json.dumps(params or {}), json.dumps(assignees), NOW),
        )
        if code is not None:
            db.execute(
                "INSERT INTO task_state_store (dag_run_id, task_id, map_index, key, dag_id, run_id, value,"
                " updated_at) VALUES (?, 'ask', -1, ?, 'hitl_dag', ?, ?, ?)",
                (run, f"clockwork_hitl/{code}", run_id, json.dumps({"conn_id": conn_id, "to": []}), NOW),
            )
    return ti_id


def task_of(receiver: Any, ti_id: str) -> dict[str, Any]:
    """How a worker names the task instance: its DAG, run, task and map index."""
    with sqlite3.connect(receiver.database, timeout=30) as db:
        dag_id, run_id, task_id, map_index = db.execute(
            "SELECT dag_id, run_id, task_id, map_index FROM task_instance WHERE id = ?", (ti_id,)
        ).fetchone()
    return {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}


def codes_of(receiver: Any, ti_id: str) -> dict[str, dict[str, Any]]:
    """The reply codes kept in the task instance's task state store, with what each keeps."""
    task = task_of(receiver, ti_id)
    with sqlite3.connect(receiver.database, timeout=30) as db:
        rows = db.execute(
            "SELECT key, value FROM task_state_store WHERE dag_id = ? AND run_id = ? AND task_id = ?"
            " AND map_index = ? AND key LIKE 'clockwork_hitl/%'",
            (task["dag_id"], task["run_id"], task["task_id"], task["map_index"]),
        ).fetchall()
    return {key.removeprefix("clockwork_hitl/"): json.loads(value) for key, value in rows}


def answer_of(receiver: Any, ti_id: str) -> dict[str, Any]:
    with sqlite3.connect(receiver.database, timeout=30) as db:
        chosen, by, state = db.execute(
            "SELECT h.chosen_options, h.responded_by, t.state FROM hitl_detail h"
            " JOIN task_instance t ON t.id = h.ti_id WHERE h.ti_id = ?",
            (ti_id,),
        ).fetchone()
    return {"chosen": json.loads(chosen or "null"), "by": json.loads(by or "null"), "state": state}


def reply(receiver: Any, text: str, sender: str = ALLOWED_SENDER) -> bool | None:
    body = {"msg_id": f"IN_{uuid.uuid4().hex[:10]}", "from": sender, "to": "447700900000", "content": text}
    answer = requests.post(receiver.url("inbound"), data=body, timeout=60)
    answer.raise_for_status()
    return answer.json()["answered"]


def test_an_allowed_sender_answers_and_the_task_resumes(receiver):
    ti_id = waiting_request(receiver, "1001")

    assert reply(receiver, "no 1001") is True

    assert answer_of(receiver, ti_id) == {
        "chosen": ["Reject"],
        "by": {"id": ALLOWED_SENDER, "name": ALLOWED_SENDER},
        "state": "scheduled",
    }
    assert reply(receiver, "yes 1001") is False
    assert answer_of(receiver, ti_id)["chosen"] == ["Reject"]
    receiver.wait_for_log("1001 was already answered (Reject).")


def test_a_code_two_waiting_requests_share_answers_neither(receiver):
    first, second = waiting_request(receiver, "1002"), waiting_request(receiver, "1002")

    assert reply(receiver, "yes 1002") is False

    assert answer_of(receiver, first)["chosen"] is None
    assert answer_of(receiver, second)["chosen"] is None
    receiver.wait_for_log("1002 names 2 waiting questions; answer in Airflow.")


def test_several_options_are_chosen_with_commas(receiver):
    ti_id = waiting_request(receiver, "1003", ["Full", "Delta", "Skip"], multiple=True)

    assert reply(receiver, "skip, FULL 1003") is True

    assert answer_of(receiver, ti_id)["chosen"] == ["Full", "Skip"]


def test_assigned_users_decide_who_answers_and_are_recorded_as_assigned(receiver):
    others = waiting_request(receiver, "1004", assignees=[{"id": "447700900999", "name": "Bo"}])
    ours = waiting_request(receiver, "1005", assignees=[{"id": "+44 7700 900555", "name": "Ann"}])

    assert reply(receiver, "yes 1004") is False
    assert reply(receiver, "yes 1005") is True

    assert answer_of(receiver, others)["chosen"] is None
    assert answer_of(receiver, ours)["by"] == {"id": "+44 7700 900555", "name": "Ann"}
    assert ALLOWED_SENDER not in receiver.wait_for_log("This number may not answer 1004.")


def test_what_a_text_cannot_answer_changes_nothing(receiver):
    form = waiting_request(receiver, "1006", ["OK"], params={"rows": {"value": 1}})
    elsewhere = waiting_request(receiver, "1007", conn_id="clockwork_other")
    stranger = waiting_request(receiver, "1008")

    assert reply(receiver, "OK 1006") is False
    assert reply(receiver, "yes 1007") is False
    assert reply(receiver, "yes 1008", sender="447700900666") is False
    assert reply(receiver, "maybe 1008") is False
    assert reply(receiver, "yes please") is None

    assert [answer_of(receiver, ti)["chosen"] for ti in (form, elsewhere, stranger)] == [None, None, None]
    receiver.wait_for_log(
        "1006 asks for input fields a text cannot fill; answer in Airflow.",
        "1007 is not the code of any question.",
        "This number may not answer 1008.",
        "1008: 'maybe' is not an option; the options are YES, NO.",
    )
