"""Whether Airflow retries: only when a retry could succeed.

A failure made only of permanent refusals (or a permanent whole-request error, such
as a wrong key) raises AirflowFailException, so the task fails at once whatever its
``retries``; anything transient, unknown or in doubt stays a retryable AirflowException.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.exceptions import AirflowFailException
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from tests.reliability.harness import TaskOutcome, memory_ledger, named_unknown, run_tries

KEY = "cw-permanence-K3y"
NUMBERS = [f"4477009{index:05d}" for index in range(51)]
A, B = NUMBERS[0], NUMBERS[1]


@pytest.fixture
def emulator(monkeypatch) -> Iterator[ClockworkEmulator]:
    with ClockworkEmulator(keys=(KEY,)) as emulator:
        connection = {"conn_type": "clockwork", "password": KEY, "host": emulator.url}
        connection["extra"] = {"max_concurrent_requests": 1}
        monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))
        yield emulator


def send(to: list[str], retries: int) -> TaskOutcome:
    operator = ClockworkSendSmsOperator(task_id="send", to=to, content="Incident 42", retries=retries)
    with memory_ledger():
        return run_tries(operator, retries, "manual__permanence")


def kinds(outcome: TaskOutcome) -> list[str]:
    """Per try: 'ok', 'fail' (AirflowFailException: no retry) or 'retry' (any other failure)."""
    return [
        "ok" if t.error is None else "fail" if isinstance(t.error, AirflowFailException) else "retry"
        for t in outcome.tries
    ]


def texted(emulator: ClockworkEmulator) -> list[str]:
    return sorted(message["to"] for message in emulator.messages())


def test_permanent_and_transient_refusals_together_are_retried_until_only_permanent_ones_remain(
    emulator,
) -> None:
    emulator.refuse(A, 10, "Invalid 'To' Parameter")
    emulator.refuse(B, 3, "Insufficient Credits Available", times=1)

    outcome = send([A, B, NUMBERS[2]], retries=3)

    assert kinds(outcome) == ["retry", "fail"]
    assert f"{A}: Error 10: Invalid 'To' Parameter" in outcome.tries[0].message
    assert f"{B}: Error 3: Insufficient Credits Available" in outcome.tries[0].message
    assert f"Refused permanently (a retry gets the same answer): {A}." in outcome.tries[0].message
    assert outcome.final.message.startswith(f"Clockwork refused 1 of 3 number(s): {A}: Error 10")
    assert "Not retried" in outcome.final.message
    assert outcome.final_ids() == {m["to"]: m["id"] for m in emulator.messages()}
    assert texted(emulator) == sorted([B, NUMBERS[2]])


def test_an_unknown_per_number_code_is_retried(emulator) -> None:
    emulator.refuse(A, 55, "Something new")

    outcome = send([A], retries=1)

    assert kinds(outcome) == ["retry", "retry"]
    assert f"{A}: Error 55: Something new" in outcome.final.message
    assert "Refused permanently" not in outcome.final.message


def test_a_permanent_refusal_next_to_a_failed_request_is_retried(emulator) -> None:
    # The 502 leaves the 51st number in doubt: only a retry can settle it.
    emulator.refuse(A, 10, "Invalid 'To' Parameter")
    emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "status", "status": 502})

    outcome = send(NUMBERS, retries=2)

    assert kinds(outcome) == ["retry", "fail"]
    assert named_unknown(outcome.tries[0].message) == {NUMBERS[50]}
    assert texted(emulator) == sorted(NUMBERS[1:])
    assert outcome.final_ids() == {m["to"]: m["id"] for m in emulator.messages()}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(2, ["fail"], id="wrong-key"),
        pytest.param(12, ["fail"], id="too-long"),
        pytest.param(3, ["retry", "ok"], id="no-credit"),
        pytest.param(99, ["retry", "ok"], id="xml-unreadable"),
        pytest.param(26, ["retry", "ok"], id="unknown-code"),
    ],
)
def test_whole_request_errors(code: int, expected: list[str], emulator) -> None:
    emulator.inject({"kind": "request_error", "code": code})

    outcome = send([A, B], retries=2)

    assert kinds(outcome) == expected
    assert f"Error {code}: Error injected by the emulator" in outcome.tries[0].message
    if expected == ["fail"]:
        assert f"Not retried: Clockwork's Error {code} is permanent." in outcome.final.message
        assert f"not sent: {A}, {B}" in outcome.final.message
        assert emulator.messages() == []
    else:
        assert texted(emulator) == [A, B]
