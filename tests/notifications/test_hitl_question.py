"""ClockworkNotifier as a Human-in-the-loop operator's notifier, where no reply code can be had.

The operator calls its notifiers with the task's context, which on Airflow 3.3 holds the task
state store; here a dict stands in for it. Questions with a code, reserved from a real
receiver, are in tests/receiver/test_hitl_questions.py; the deployment tier runs the loop.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier
from tests.notifications.test_clockwork import task_context

hitl = pytest.importorskip(
    "airflow.providers.standard.operators.hitl", reason="Human-in-the-loop needs Airflow 3.1+"
)
QUESTION = re.compile(r"Approve backfill 2026-11-28\?\nReply YES (\d{4}) or NO \1")


class TaskStateStore(dict):
    """The accessor's get/set over a dict."""

    def set(self, key: str, value: Any) -> None:
        self[key] = value


def approval_context(subject: str = "Approve backfill 2026-11-28?", **extra: Any) -> dict[str, Any]:
    task = hitl.ApprovalOperator(task_id="approve", subject=subject, **extra)
    return task_context(task=task, task_state_store=TaskStateStore())


def test_without_a_receiver_url_the_question_says_to_answer_in_airflow(clockwork_connection, log_text):
    context = approval_context()

    ClockworkNotifier(to="447700900123")(context)

    (text,) = clockwork_connection.messages()
    assert text["content"] == (
        "Approve backfill 2026-11-28?\n"
        "Answer in Airflow: replying by text needs the connection's receiver_url."
    )
    assert context["task_state_store"] == {}
    assert "connection 'clockwork_default' has no 'receiver_url'" in log_text()


def test_a_receiver_misconfigured_leaves_the_question_to_the_ui_and_says_why(
    clockwork_emulator, monkeypatch, log_text
):
    connection = json.loads(clockwork_emulator.connection_json())
    connection["extra"] = {"receiver_url": "http://127.0.0.1:9/clockwork", "receiver_token": "short"}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))

    ClockworkNotifier(to="447700900123")(approval_context())

    assert "extra 'receiver_token' must be a text of at least 16 characters" in log_text()
    assert clockwork_emulator.messages() == []  # the send refuses the same connection, logged


def test_a_request_with_input_fields_says_to_answer_in_airflow(clockwork_connection):
    task = hitl.HITLEntryOperator(task_id="enter", subject="Rows to load?", params={"rows": 100})
    context = task_context(task=task, task_state_store=TaskStateStore())

    ClockworkNotifier(to="447700900123")(context)

    (text,) = clockwork_connection.messages()
    assert text["content"] == (
        "Rows to load?\nAnswer in Airflow: it asks for 1 input field(s), which a text cannot fill."
    )
    assert context["task_state_store"] == {}


def test_without_a_task_state_store_the_question_has_no_code(clockwork_connection):
    context = approval_context()
    del context["task_state_store"]  # Airflow 3.1 and 3.2

    ClockworkNotifier(to="447700900123")(context)

    (text,) = clockwork_connection.messages()
    assert text["content"] == (
        "Approve backfill 2026-11-28?\nAnswer in Airflow: replying by text needs Airflow 3.3 or newer."
    )
