"""ClockworkNotifier as a Human-in-the-loop operator's notifier, its code given by a real receiver.

The operator calls its notifiers with the task's context; here the waiting request is written
into the receiver's migrated database as Airflow leaves it, and the context names that task
instance, so the notifier reserves the code as it does in a deployment. A dict stands in for
the worker's task state store (the deployment tier uses the real one).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier
from tests.notifications.test_clockwork import task_context
from tests.receiver.conftest import needs_store
from tests.receiver.running import ALLOWED_SENDER, TOKEN, connection_json
from tests.receiver.test_hitl_answers import answer_of, codes_of, reply, task_of, waiting_request

hitl = pytest.importorskip(
    "airflow.providers.standard.operators.hitl", reason="Human-in-the-loop needs Airflow 3.1+"
)
pytestmark = needs_store
QUESTION = re.compile(r"Approve backfill 2026-11-28\?\nReply YES (\d{4}) or NO \1")


class TaskStateStore(dict):
    """The accessor's get/set over a dict."""

    def set(self, key: str, value: Any) -> None:
        self[key] = value


@pytest.fixture
def asking(no_codes, clockwork_emulator, monkeypatch) -> Any:
    """The receiver, with ``clockwork_default`` sending to the emulator and naming the receiver."""
    connection = connection_json(host=clockwork_emulator.url, receiver_url=no_codes.base_url)
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", connection)
    return no_codes


def approval_context(receiver: Any, subject: str = "Approve backfill 2026-11-28?") -> dict[str, Any]:
    ti_id = waiting_request(receiver, code=None)
    ti = SimpleNamespace(**task_of(receiver, ti_id), try_number=1, id=ti_id)
    task = hitl.ApprovalOperator(task_id="ask", subject=subject)
    return task_context("hitl_dag", "ask", task=task, task_state_store=TaskStateStore(), ti=ti)


def test_the_question_carries_the_code_the_receiver_gave_and_a_reply_answers_it(asking, clockwork_emulator):
    context = approval_context(asking)

    ClockworkNotifier(to=ALLOWED_SENDER)(context)

    (text,) = clockwork_emulator.messages()
    code = QUESTION.fullmatch(text["content"]).group(1)
    assert list(codes_of(asking, context["ti"].id)) == [code]
    assert context["task_state_store"] == {
        f"clockwork_hitl/{code}": {"conn_id": "clockwork_default", "to": [ALLOWED_SENDER]}
    }
    assert reply(asking, f"no {code}") is True
    assert answer_of(asking, context["ti"].id)["chosen"] == ["Reject"]


def test_every_notifier_of_one_request_texts_the_same_code(asking, clockwork_emulator):
    context = approval_context(asking)

    ClockworkNotifier(to="447700900123")(context)
    ClockworkNotifier(to="447700900456", content="{{ ti.task_id }}: {{ hitl_reply }} ({{ hitl_code }})")(
        context
    )

    first, second = clockwork_emulator.messages()
    code = QUESTION.fullmatch(first["content"]).group(1)
    assert second["content"] == f"ask: Reply YES {code} or NO {code} ({code})"
    assert list(codes_of(asking, context["ti"].id)) == [code]
    assert context["task_state_store"][f"clockwork_hitl/{code}"]["to"] == ["447700900123", "447700900456"]


def test_a_long_subject_is_cut_and_the_reply_line_kept(asking, clockwork_emulator):
    subject = "Approve backfill " + "of table x " * 30
    ClockworkNotifier(to="447700900123")(approval_context(asking, subject=subject))

    (text,) = clockwork_emulator.messages()
    assert len(text["content"]) == 160
    assert re.fullmatch(r"Approve backfill of table x.*\.\.\.\nReply YES (\d{4}) or NO \1", text["content"])


def test_an_own_text_is_not_cut_where_it_would_lose_the_code(asking, clockwork_emulator, log_text):
    notifier = ClockworkNotifier(to="447700900123", content="{{ 'x' * 200 }} {{ hitl_reply }}")

    notifier(approval_context(asking))

    assert clockwork_emulator.messages() == []
    assert "cutting it to fit would drop its reply code" in log_text()


def test_without_an_answering_receiver_the_question_says_to_answer_in_airflow(
    no_codes, clockwork_emulator, monkeypatch, log_text
):
    closed = "http://127.0.0.1:9/clockwork"
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLOCKWORK_DEFAULT", connection_json(host=clockwork_emulator.url, receiver_url=closed)
    )

    ClockworkNotifier(to="447700900123")(approval_context(no_codes))

    (text,) = clockwork_emulator.messages()
    assert text["content"] == "Approve backfill 2026-11-28?\nAnswer in Airflow: no reply code could be had."
    logged = log_text()
    assert f"the receiver at {closed} did not answer" in logged
    assert TOKEN not in logged
