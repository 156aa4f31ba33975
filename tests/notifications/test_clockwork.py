"""ClockworkNotifier called as Airflow calls a callback, against the emulator."""

from __future__ import annotations

import json
from types import SimpleNamespace

from airflow_provider_clockwork.notifications.clockwork import (
    ClockworkNotifier,
    send_clockwork_notification,
)
from airflow_provider_clockwork.protocol.delivery import parse_form_receipt
from tests.emulator.receiver import running_receiver


def task_context(dag_id: str = "nightly", task_id: str = "load", **extra: object) -> dict[str, object]:
    """The parts of a task callback's context these tests render (Airflow always passes the DAG)."""
    from airflow.providers.common.compat.sdk import DAG

    return {
        "dag": DAG(dag_id=dag_id, schedule=None),
        "ti": SimpleNamespace(dag_id=dag_id, task_id=task_id, try_number=1),
        "ds": "2026-11-25",
        **extra,
    }


def test_alias_is_the_notifier() -> None:
    assert send_clockwork_notification is ClockworkNotifier


def test_renders_with_the_callback_context_and_sends(clockwork_connection) -> None:
    notifier = send_clockwork_notification(
        to="{{ params.oncall }}", content="{{ ti.dag_id }}.{{ ti.task_id }} failed on {{ ds }}"
    )

    notifier(task_context(params={"oncall": "+44 7700 900123"}))

    (text,) = clockwork_connection.messages()
    assert (text["to"], text["content"]) == ("447700900123", "nightly.load failed on 2026-11-25")


def test_one_notifier_serves_many_tasks_with_their_own_text(clockwork_connection) -> None:
    notifier = ClockworkNotifier(to="447700900123", content="{{ ti.task_id }} failed")

    notifier(task_context(task_id="extract"))
    notifier(task_context(task_id="load"))

    assert [m["content"] for m in clockwork_connection.messages()] == ["extract failed", "load failed"]
    assert notifier.content == "{{ ti.task_id }} failed"


def test_renders_when_the_dag_cannot_build_a_template_environment(clockwork_connection) -> None:
    # What Airflow 3.3's `dags test` hands DAG-level callbacks (apache/airflow#64649).
    serialized_dag = SimpleNamespace(dag_id="nightly", render_template_as_native_obj=False)
    notifier = ClockworkNotifier(to="447700900123", content="DAG {{ dag.dag_id }} failed")

    notifier(task_context(dag=serialized_dag))

    assert [m["content"] for m in clockwork_connection.messages()] == ["DAG nightly failed"]


def test_failed_send_is_logged_with_code_and_text_and_not_raised(monkeypatch, clockwork_emulator, log_text):
    connection = {"conn_type": "clockwork", "password": "wrong-key", "host": clockwork_emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))

    ClockworkNotifier(to="447700900123", content="failed")(task_context())

    assert "Error 2: Invalid Username Or Password" in log_text()
    assert "wrong-key" not in log_text()
    assert clockwork_emulator.messages() == []


def test_invalid_recipient_is_logged_by_name_and_nothing_sent(clockwork_connection, log_text) -> None:

    ClockworkNotifier(to="07700 900123", content="failed")(task_context())

    assert "'07700 900123'" in log_text()
    assert clockwork_connection.requests() == []


def test_refused_number_is_logged_and_the_others_sent(clockwork_connection, log_text) -> None:
    clockwork_connection.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    ClockworkNotifier(to="447700900123,447700900456", content="failed")(task_context())

    assert "447700900456: Error 10: Invalid 'To' Parameter" in log_text()
    assert [m["to"] for m in clockwork_connection.messages()] == ["447700900123"]


def test_rendered_names_outside_gsm7_can_be_replaced_to_keep_160_characters(clockwork_connection) -> None:
    notifier = ClockworkNotifier(
        to="447700900123",
        content="{{ params.owner }}: {{ ti.dag_id }} failed \u2014 " + "details " * 16,
        invalid_char_action="replace",
    )

    notifier(task_context(params={"owner": "Zoë"}))

    (text,) = clockwork_connection.messages()
    assert text["content"] == "Zoe: nightly failed - " + "details " * 16
    assert (text["msg_type"], text["parts"]) == ("TEXT", 1)


def test_receipt_request_is_rendered_with_the_callback_context(clockwork_connection) -> None:

    with running_receiver() as receiver:
        notifier = ClockworkNotifier(
            to="447700900123",
            content="{{ ti.task_id }} failed",
            delivery_receipt={"url": receiver.url, "content": {"alert": "{{ ti.dag_id }}.{{ ti.task_id }}"}},
        )
        notifier(task_context())
        assert clockwork_connection.wait_for_callbacks(10.0)
        [got] = receiver.received()

    receipt = parse_form_receipt(got.form())
    assert receipt.extra == {"alert": "nightly.load"}
    assert receipt.message_id == clockwork_connection.messages()[0]["id"]
    assert notifier.delivery_receipt["content"] == {"alert": "{{ ti.dag_id }}.{{ ti.task_id }}"}


def test_without_content_outside_human_in_the_loop_nothing_is_sent(clockwork_connection, log_text) -> None:
    ClockworkNotifier(to="447700900123")(task_context())

    assert clockwork_connection.messages() == []
    assert "ClockworkNotifier needs content=" in log_text()
