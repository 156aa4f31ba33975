"""When the retry ledger cannot be written, duplicates must still be named, and success stays success.

The ledger (Variables here) is written as IDs arrive and when the send ends; if the metadata
database or API server fails meanwhile, a retry cannot know what the failed write
held. The task must then name those numbers (they will be texted again), and a send
that reached everyone must not fail because its ledger, about to be deleted, could
not be written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_clockwork import ledger
from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.ledger import MemoryStore, TaskScope
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from tests.reliability.harness import judge, run_tries

KEY = "cw-ledger-failures-K3y"
NUMBERS = [f"4477009{index:05d}" for index in range(120)]


class FlakyStore(MemoryStore):
    """A ledger store that refuses writes (and deletes) while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.failed_writes = 0

    def set(self, scope: TaskScope, key: str, value: dict[str, Any]) -> None:
        if self.down:
            self.failed_writes += 1
            raise RuntimeError("Variable could not be saved: the API server is unavailable")
        super().set(scope, key, value)

    def delete(self, scope: TaskScope, key: str) -> None:
        if self.down:
            raise RuntimeError("Variable could not be deleted: the API server is unavailable")
        super().delete(scope, key)


@pytest.fixture
def emulator(monkeypatch) -> Iterator[ClockworkEmulator]:
    with ClockworkEmulator(keys=(KEY,)) as emulator:
        extra = {"max_concurrent_requests": 1}
        connection = {"conn_type": "clockwork", "password": KEY, "host": emulator.url, "extra": extra}
        monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))
        yield emulator


@pytest.fixture
def store() -> Iterator[FlakyStore]:
    store = FlakyStore()
    previous = ledger.set_fallback_store(store)
    yield store
    ledger.set_fallback_store(previous)


def test_numbers_texted_but_not_recorded_are_named_before_a_retry_texts_them_again(emulator, store) -> None:
    emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "status", "status": 502})

    def ledger_back_up() -> None:
        store.down = False

    operator = ClockworkSendSmsOperator(task_id="send", to=NUMBERS, content="Incident 42", retries=1)
    outcome = run_tries(operator, 1, "manual__ledger_down", between_tries=ledger_back_up)

    assert store.failed_writes == 2  # the chunk of IDs, then the note of the batch left in doubt
    first = outcome.tries[0]
    assert "not recorded for retries" in first.message
    assert all(number in first.message for number in NUMBERS[:50])
    assert first.xcoms["message_ids"] == {m["to"]: m["id"] for m in emulator.messages()[:50]}
    verdict = judge(NUMBERS, emulator.messages(), outcome)
    assert verdict.unreported_duplicates == {}
    assert sum(verdict.reported_possible_duplicates.values()) == 50
    assert verdict.silent_losses == []
    assert outcome.succeeded


def test_a_send_that_reached_everyone_succeeds_even_if_the_ledger_is_down(emulator, store, log_text) -> None:
    operator = ClockworkSendSmsOperator(task_id="send", to=NUMBERS, content="Incident 42", retries=0)

    outcome = run_tries(operator, 0, "manual__ledger_down_success")

    assert outcome.succeeded, outcome.final.message
    assert outcome.final_ids() == {m["to"]: m["id"] for m in emulator.messages()}
    # The IDs are held while they come (3 quick waves) and written when the send ends, which fails;
    # a slow machine may also try once or twice on the way (every half second).
    assert 1 <= store.failed_writes <= 3
    assert "retry ledger" in log_text()
