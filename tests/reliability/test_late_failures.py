"""Tries that fail *after* their send, and retries whose text renders differently: nobody texted twice.

The send itself succeeds; then what runs before Airflow records the success fails —
a subclass's code after ``super().execute()``, or the return value's XCom push — and
Airflow retries. The ledger must still hold every ID (it is removed only by the success
callback), so the retry sends nothing and returns try 1's IDs, whatever its text renders
to now. Counted in the fault suite's totals. Real ``airflow dags test`` runs of the same
cases: ``tests/system/test_exactly_once_runs.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from tests.reliability.harness import SUMMARY, judge, memory_ledger, run_tries, timed

KEY = "cw-late-failures-K3y"
NUMBERS = [f"4477009{index:05d}" for index in range(120)]


class Unstorable:
    """Not JSON: the XCom push of a value holding it fails."""


def fail_in_try_1(how: str):
    def after_execute(try_number: int, value: Any) -> Any:
        if try_number > 1:
            return value
        if how == "raise":
            raise RuntimeError("planned failure after the send")
        return {"ids": value, "unstorable": Unstorable()}

    return after_execute


@pytest.fixture
def emulator(monkeypatch) -> Iterator[ClockworkEmulator]:
    with ClockworkEmulator(keys=(KEY,)) as emulator:
        connection = {"conn_type": "clockwork", "password": KEY, "host": emulator.url}
        monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))
        yield emulator


@pytest.mark.parametrize("how", ["raise", "xcom"])
@pytest.mark.parametrize("recipients", [1, 50, 120])
@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("rerendered", [False, True], ids=["same-text", "text-differs"])
def test_a_retry_after_a_late_failure_texts_no_one_again(
    emulator, how, recipients, concurrency, rerendered
) -> None:
    numbers = NUMBERS[:recipients]
    operator = ClockworkSendSmsOperator(
        task_id="send", to=numbers, content="Load done (try 1)", max_concurrent_requests=concurrency
    )

    def render_try_2() -> None:
        if rerendered:
            operator.content = "Load done (try 2)"

    with memory_ledger() as store:
        outcome, seconds = timed(
            lambda: run_tries(operator, 1, f"manual__late_{how}", render_try_2, fail_in_try_1(how))
        )
        left = store.snapshot()

    messages = emulator.messages()
    SUMMARY.add(f"late failure ({how})", judge(numbers, messages, outcome), outcome, len(messages), seconds)
    assert [attempt.error is None for attempt in outcome.tries] == [False, True]
    assert sorted(m["to"] for m in messages) == numbers  # each number once, all in try 1
    assert {m["content"] for m in messages} == {"Load done (try 1)"}
    assert outcome.final_ids() == {m["to"]: m["id"] for m in messages}
    assert left == {}  # the success callback removed the ledger
