"""ClockworkSendPersonalisedSmsOperator: templating, parse time, and its tries run in-process.

Each try is one ``execute(context)`` against the emulator, with the retry ledger in
memory and Airflow's retry rules (see tests/reliability/harness.py); a real
``airflow dags test`` run is in tests/system/test_personalised_runs.py.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pendulum
import pytest

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.exceptions import AirflowFailException, ClockworkInputError
from airflow_provider_clockwork.operators.personalised import (
    PARTIAL_XCOM_KEY,
    ClockworkSendPersonalisedSmsOperator,
)
from tests.reliability.harness import TaskOutcome, memory_ledger, run_tries

KEY = "cw-personalised-K3y"
A, B, C = "447700900123", "447700900456", "447700900789"
MESSAGES = [
    {"to": A, "content": "Hi Ann, your parcel comes at 9", "client_id": "ann"},
    {"to": B, "content": "Hi Bob, your parcel comes at 11", "client_id": "bob"},
    {"to": A, "content": "Ann, and your second parcel at 3 ✓", "client_id": "ann-2"},
]


@pytest.fixture
def emulator(monkeypatch) -> Iterator[ClockworkEmulator]:
    with ClockworkEmulator(keys=(KEY,)) as emulator:
        connection = {
            "conn_type": "clockwork",
            "password": KEY,
            "host": emulator.url,
            "extra": {"timeout": 20},
        }
        monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))
        yield emulator


def send(messages, retries: int = 0, **options) -> TaskOutcome:
    operator = ClockworkSendPersonalisedSmsOperator(
        task_id="send", messages=messages, retries=retries, **options
    )
    with memory_ledger():
        return run_tries(operator, retries, "manual__personalised")


def texts_by_client_id(emulator: ClockworkEmulator) -> Counter[str]:
    return Counter(message["client_id"] for message in emulator.messages())


def ids_by_client_id(emulator: ClockworkEmulator) -> dict[str, str]:
    return {message["client_id"]: message["id"] for message in emulator.messages()}


def test_only_messages_is_templated() -> None:
    assert tuple(ClockworkSendPersonalisedSmsOperator.template_fields) == ("messages",)


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param("not a list", id="a-string"),
        pytest.param([{"to": "0770", "content": ""}], id="bad-item"),
        pytest.param([], id="empty"),
    ],
)
def test_nothing_is_checked_at_dag_parse_time(messages) -> None:
    operator = ClockworkSendPersonalisedSmsOperator(task_id="send", messages=messages)

    assert operator.messages == messages


def test_strings_inside_the_messages_are_rendered() -> None:
    operator = ClockworkSendPersonalisedSmsOperator(
        task_id="send",
        messages=[
            {"to": "{{ params.phone }}", "content": "Order {{ params.order }} ships {{ ds }}", "long": True}
        ],
    )

    operator.render_template_fields({"ds": "2026-11-25", "params": {"phone": A, "order": 17}})

    assert operator.messages == [{"to": A, "content": "Order 17 ships 2026-11-25", "long": True}]


def test_an_upstream_tasks_output_can_be_the_messages() -> None:
    from airflow.providers.common.compat.sdk import DAG, task

    with DAG("personalised_xcomarg", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

        @task
        def build() -> list[dict[str, str]]:
            return MESSAGES

        operator = ClockworkSendPersonalisedSmsOperator(task_id="send", messages=build())

    assert operator.upstream_task_ids == {"build"}


def test_success_returns_the_ids_by_client_id_and_clears_the_ledger(emulator) -> None:
    operator = ClockworkSendPersonalisedSmsOperator(task_id="send", messages=MESSAGES)
    with memory_ledger() as store:
        outcome = run_tries(operator, 0, "manual__personalised")

    assert outcome.succeeded
    assert outcome.final_ids() == ids_by_client_id(emulator)
    assert list(outcome.final_ids()) == ["ann", "bob", "ann-2"]
    assert {m["client_id"]: m["content"] for m in emulator.messages()} == {
        m["client_id"]: m["content"] for m in MESSAGES
    }
    assert store.snapshot() == {}


def test_bad_messages_fail_before_any_request_naming_the_item(emulator) -> None:
    outcome = send([MESSAGES[0], {"to": B, "contnet": "typo"}])

    assert isinstance(outcome.final.error, ClockworkInputError)
    assert "messages[1]" in outcome.final.message and "'contnet'" in outcome.final.message
    assert emulator.requests() == []


def test_messages_rendered_to_a_string_are_refused_with_a_hint(emulator) -> None:
    outcome = send(str(MESSAGES))

    assert isinstance(outcome.final.error, ClockworkInputError)
    assert "XComArg" in outcome.final.message
    assert emulator.requests() == []


def test_a_permanent_refusal_fails_without_retry_after_sending_the_rest(emulator) -> None:
    emulator.refuse(B)

    outcome = send(MESSAGES, retries=2)

    assert len(outcome.tries) == 1
    assert isinstance(outcome.final.error, AirflowFailException)
    assert outcome.final.message.startswith(
        f"Clockwork refused 1 of 3 message(s): bob ({B}): Error 10: Invalid 'To' Parameter. "
        "The other 2 were sent."
    )
    assert "Not retried" in outcome.final.message
    assert outcome.final.xcoms[PARTIAL_XCOM_KEY] == ids_by_client_id(emulator)
    assert set(ids_by_client_id(emulator)) == {"ann", "ann-2"}


def test_a_transient_refusal_is_retried_and_only_that_message_is_sent_again(emulator) -> None:
    emulator.refuse(B, code=3, description="Insufficient Credits Available", times=1)

    outcome = send(MESSAGES, retries=1)

    assert [t.error is None for t in outcome.tries] == [False, True]
    assert f"bob ({B}): Error 3: Insufficient Credits Available" in outcome.tries[0].message
    assert "A retry sends only the messages without a message ID." in outcome.tries[0].message
    assert texts_by_client_id(emulator) == {"ann": 1, "bob": 1, "ann-2": 1}
    assert outcome.final_ids() == ids_by_client_id(emulator)
    assert [r["numbers"] for r in emulator.requests()][1:] == [[B]]


def test_a_retry_after_a_failed_request_sends_only_what_has_no_id(emulator) -> None:
    messages = [
        {"to": f"4477009{n:05d}", "content": f"Your code is {n}", "client_id": f"c{n}"} for n in range(1001)
    ]
    emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "status", "status": 502, "body": "Bad Gateway"})

    outcome = send(messages, retries=1, max_concurrent_requests=1)  # so the 502 hits the second request

    assert outcome.succeeded, outcome.tries[0].message
    first = outcome.tries[0]
    assert "outcome UNKNOWN" in first.message and "c999 (447700900999)" in first.message
    assert "not sent: c1000 (447700901000)" in first.message
    assert len(first.xcoms[PARTIAL_XCOM_KEY]) == 500
    assert texts_by_client_id(emulator) == dict.fromkeys((f"c{n}" for n in range(1001)), 1)
    assert outcome.final_ids() == ids_by_client_id(emulator)
    assert [len(r["numbers"]) for r in emulator.requests()] == [500, 500, 500, 1]


def test_a_wrong_key_fails_without_retry(emulator, monkeypatch) -> None:
    connection = {"conn_type": "clockwork", "password": "wrong-key", "host": emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))

    outcome = send(MESSAGES, retries=2)

    assert len(outcome.tries) == 1
    assert isinstance(outcome.final.error, AirflowFailException)
    assert "Error 2: Invalid Username Or Password" in outcome.final.message
    assert "not sent: ann (447700900123), bob (447700900456), ann-2 (447700900123)" in outcome.final.message
    assert outcome.final.xcoms[PARTIAL_XCOM_KEY] == {}
    assert "wrong-key" not in outcome.final.message


def test_a_retry_skips_each_message_whose_client_id_and_number_got_an_id_whatever_its_text(
    emulator, log_text
) -> None:
    emulator.refuse(B, code=3, description="Insufficient Credits Available", times=1)
    rerendered = [{**message, "content": message["content"] + " (try 2)"} for message in MESSAGES]
    rerendered[0]["to"] = C  # ann's number changed: a different message, sent again

    with memory_ledger():
        first = run_tries(ClockworkSendPersonalisedSmsOperator(task_id="send", messages=MESSAGES), 0, "r")
        second = run_tries(ClockworkSendPersonalisedSmsOperator(task_id="send", messages=rerendered), 0, "r")

    assert not first.succeeded and second.succeeded, second.final.message
    assert [(m["client_id"], m["to"]) for m in emulator.messages()] == [
        ("ann", A),
        ("ann-2", A),
        ("ann", C),
        ("bob", B),
    ]
    assert second.final_ids()["ann-2"] == first.final.xcoms[PARTIAL_XCOM_KEY]["ann-2"]
    assert "renders differently" in log_text()


def test_the_plan_names_the_messages_whose_text_is_altered(emulator, log_text) -> None:
    messages = [
        {"to": A, "content": "Bonjour Zoë", "client_id": "zoe", "invalid_char_action": "replace"},
        {"to": B, "content": "Hello Bob", "client_id": "bob", "invalid_char_action": "replace"},
        {"to": A, "content": "Привет", "client_id": "ru"},
    ]

    outcome = send(messages)

    assert outcome.succeeded, outcome.final.message
    logged = log_text()
    assert "(1 in Unicode, 1 altered by invalid_char_action)" in logged
    assert "Characters outside GSM-7 replaced or removed in: zoe (447700900123)" in logged
