"""ClockworkNotifier as a Human-in-the-loop operator's notifier, called as the operator calls it.

The operator calls its notifiers with the task's context, which on Airflow 3.3 holds the task
state store; here a dict stands in for it (the deployment tier uses the real one).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier
from airflow_provider_clockwork.receiver.records import HITL_CODE_KEY_PREFIX
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


def test_the_question_names_the_options_and_a_code_kept_in_the_task_state_store(clockwork_connection):
    context = approval_context()

    ClockworkNotifier(to="+44 7700 900123")(context)

    (text,) = clockwork_connection.messages()
    code = QUESTION.fullmatch(text["content"]).group(1)
    assert context["task_state_store"] == {
        f"{HITL_CODE_KEY_PREFIX}{code}": {"conn_id": "clockwork_default", "to": ["447700900123"]}
    }


def test_every_notifier_of_one_request_texts_the_same_code(clockwork_connection):
    context = approval_context()

    ClockworkNotifier(to="447700900123")(context)
    ClockworkNotifier(to="447700900456", content="{{ ti.task_id }}: {{ hitl_reply }} ({{ hitl_code }})")(
        context
    )

    first, second = clockwork_connection.messages()
    code = QUESTION.fullmatch(first["content"]).group(1)
    assert second["content"] == f"load: Reply YES {code} or NO {code} ({code})"
    assert context["task_state_store"][f"{HITL_CODE_KEY_PREFIX}{code}"]["to"] == [
        "447700900123",
        "447700900456",
    ]


def test_a_long_subject_is_cut_and_the_reply_line_kept(clockwork_connection):
    ClockworkNotifier(to="447700900123")(approval_context(subject="Approve backfill " + "of table x " * 30))

    (text,) = clockwork_connection.messages()
    assert len(text["content"]) == 160
    assert re.fullmatch(r"Approve backfill of table x.*\.\.\.\nReply YES (\d{4}) or NO \1", text["content"])


def test_an_own_text_is_not_cut_where_it_would_lose_the_code(clockwork_connection, log_text):
    notifier = ClockworkNotifier(to="447700900123", content="{{ 'x' * 200 }} {{ hitl_reply }}")

    notifier(approval_context())

    assert clockwork_connection.messages() == []
    assert "cutting it to fit would drop its reply code" in log_text()


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
