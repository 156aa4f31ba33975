"""Every fault the emulator can inject, against the operator's tries: no duplicate, no loss, no key.

Each scenario runs ClockworkSendSmsOperator's tries in-process (see ``harness.py``)
with the fault hitting the first try, then checks from the emulator's own record:

(a) no number got the same text twice, unless an earlier try's failure message named
    it as outcome-unknown (counted as "possible duplicates, reported");
(b) every recipient has an ID in the final return value / ``message_ids`` XCom, or is
    named in the final try's failure message; every ID reported is one Clockwork gave;
(c) the API key shows in no exception, XCom, operator field or log line;

and that Airflow is told the truth: permanent failures raise AirflowFailException (no
pointless retry), transient ones a retryable AirflowException that the next try fixes.
The totals are printed at the end of the session (``conftest.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.exceptions import AirflowFailException
from airflow_provider_clockwork.hooks import clockwork as clockwork_hook
from airflow_provider_clockwork.ledger import chunk_ids
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from tests.reliability.harness import (
    SUMMARY,
    is_airflow_error,
    judge,
    key_leaks,
    memory_ledger,
    named_unknown,
    run_tries,
    timed,
)

KEY = "cw-rel1ab1l1ty-K3y-7f3e9a"
# Each request's timeout. Short where the fault is a slow reply, so the delay and drip faults cost
# little; long elsewhere, so no request that should succeed times out on a loaded machine.
SLOW_REPLY_TIMEOUT_SECONDS = 2.0
TIMEOUT_SECONDS = 10.0
NUMBERS = [f"4477009{index:05d}" for index in range(120)]
CONTENT = {
    "http": "Incident 42: db-01 down\nSee the runbook",
    "xml": "Incident 42 ✓ db-01 down (Łódź)",
}
KEY_PAGE = f"<html><body>Gateway error while handling Key={KEY}</body></html>"


@dataclass(frozen=True)
class FaultKind:
    """One way the first try goes wrong, and what Airflow should then do."""

    name: str
    faults: tuple[dict[str, Any], ...] = ()
    refusal: dict[str, Any] = field(default_factory=dict)
    permanent: bool = False
    first_try_fails: bool = True
    server_down: bool = False
    """Nothing listens during the first try (connection refused); the server is back for the next."""
    timeout: float = TIMEOUT_SECONDS


KINDS = [
    FaultKind(
        "delay",
        ({"kind": "delay", "seconds": 3 * SLOW_REPLY_TIMEOUT_SECONDS},),
        timeout=SLOW_REPLY_TIMEOUT_SECONDS,
    ),
    FaultKind("status500", ({"kind": "status", "status": 500, "body": KEY_PAGE},)),
    FaultKind("status502", ({"kind": "status", "status": 502},)),
    FaultKind("status503", ({"kind": "status", "status": 503, "body": KEY_PAGE},)),
    FaultKind("status_after500", ({"kind": "status_after", "status": 500, "body": KEY_PAGE},)),
    FaultKind("reset_before", ({"kind": "reset_before"},)),
    FaultKind("reset_after", ({"kind": "reset_after"},)),
    FaultKind("truncate", ({"kind": "truncate"},)),
    FaultKind("garbage", ({"kind": "garbage", "body": f"Unexpected reply {KEY}"},)),
    FaultKind(
        "drip",
        ({"kind": "drip", "seconds": 1.6 * SLOW_REPLY_TIMEOUT_SECONDS},),
        first_try_fails=False,
        timeout=SLOW_REPLY_TIMEOUT_SECONDS,
    ),
    FaultKind("request_error", ({"kind": "request_error", "code": 26, "description": "Try later"},)),
    FaultKind(
        "wrong_key",
        ({"kind": "request_error", "code": 2, "description": "Invalid Username Or Password"},),
        permanent=True,
    ),
    FaultKind(
        "refused_permanent", refusal={"code": 10, "description": "Invalid 'To' Parameter"}, permanent=True
    ),
    FaultKind(
        "refused_transient", refusal={"code": 3, "description": "Insufficient Credits Available", "times": 1}
    ),
    FaultKind("never_reached", server_down=True),
]


@dataclass(frozen=True)
class Scenario:
    kind: FaultKind
    recipients: int
    retries: int
    interface: str = "http"
    concurrency: int = 1

    def __str__(self) -> str:
        return f"{self.kind.name}-{self.recipients}to-r{self.retries}-{self.interface}-c{self.concurrency}"

    @property
    def target(self) -> int:
        """The recipient whose batch the fault hits: the first batch, or the second when there is one."""
        return 0 if self.recipients <= 50 else 50


# The full matrix over the HTTP interface, one request at a time (so the fault hits a
# known batch); then the XML interface, and concurrent requests, on a slice of it.
SCENARIOS = [
    *(Scenario(kind, n, retries) for kind in KINDS for n in (1, 50, 51, 120) for retries in (0, 2)),
    *(Scenario(kind, n, 2, interface="xml") for kind in KINDS for n in (1, 51)),
    *(Scenario(kind, 120, retries, concurrency=4) for kind in KINDS for retries in (0, 2)),
]


class Servers:
    """The emulators a scenario talks to: the first, and one started on its port if it went down."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.all = [self._stack.enter_context(ClockworkEmulator(keys=(KEY,)))]

    @property
    def first(self) -> ClockworkEmulator:
        return self.all[0]

    def bring_back(self) -> None:
        if not self.all[-1].running:
            self.all.append(self._stack.enter_context(ClockworkEmulator(port=self.first.port, keys=(KEY,))))

    def messages(self) -> list[dict[str, Any]]:
        return [message for emulator in self.all for message in emulator.messages()]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def servers() -> Iterator[Servers]:
    servers = Servers()
    try:
        yield servers
    finally:
        servers.close()


def use_emulator(monkeypatch: pytest.MonkeyPatch, emulator: ClockworkEmulator, scenario: Scenario) -> None:
    extra = {"timeout": scenario.kind.timeout, "max_concurrent_requests": scenario.concurrency}
    connection = {"conn_type": "clockwork", "password": KEY, "host": emulator.url, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))


def arm(servers: Servers, scenario: Scenario, recipients: list[str]) -> Callable[[], None] | None:
    """Make the fault hit the first try, in the batch of the scenario's target recipient.

    Returns what happens between tries: a server that was down comes back.
    """
    emulator = servers.first
    if scenario.kind.server_down:
        emulator.stop()
        return servers.bring_back
    if scenario.kind.refusal:
        emulator.refuse(recipients[scenario.target], **scenario.kind.refusal)
    else:
        skip_first_batch = [{"kind": "delay", "seconds": 0}] if scenario.target else []
        emulator.inject(*skip_first_batch, *scenario.kind.faults)
    return None


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_no_duplicate_no_loss_no_key(scenario: Scenario, servers, monkeypatch, log_text) -> None:
    use_emulator(monkeypatch, servers.first, scenario)
    # Connection refused is retried at once inside the hook; no need to wait between those tries here.
    monkeypatch.setattr(clockwork_hook, "CONNECT_BACKOFF_SECONDS", 0.0)
    recipients = NUMBERS[: scenario.recipients]
    between_tries = arm(servers, scenario, recipients)
    operator = ClockworkSendSmsOperator(
        task_id="send", to=recipients, content=CONTENT[scenario.interface], retries=scenario.retries
    )

    with memory_ledger() as store:
        outcome, seconds = timed(
            lambda: run_tries(operator, scenario.retries, f"manual__{scenario}", between_tries)
        )
        left_in_ledger: dict[str, str] = {}
        for chunks in store.snapshot().values():
            for chunk in chunks.values():
                left_in_ledger.update(chunk_ids(chunk))

    messages = servers.messages()
    verdict = judge(recipients, messages, outcome)
    leaks = key_leaks(KEY, outcome, operator, log_text())
    SUMMARY.add(scenario.kind.name, verdict, outcome, len(messages), seconds, scenario.concurrency > 1)
    SUMMARY.key_leaks += len(leaks)

    assert verdict.unreported_duplicates == {}, outcome.final.message
    assert verdict.silent_losses == [], outcome.final.message
    assert verdict.wrong_ids == {}
    assert leaks == []
    assert all(is_airflow_error(attempt.error) for attempt in outcome.tries), outcome.final.error
    # Everything sent was reported: an ID in the last try, or a name in its failure message.
    assert {m["to"] for m in messages} <= set(outcome.final_ids()) | named_unknown(outcome.final.message)
    # The ledger is gone after success; after a failure it holds every ID, so a later clear skips them.
    assert left_in_ledger == ({} if outcome.succeeded else outcome.final_ids())
    check_retry_behaviour(scenario, outcome, recipients)


def check_retry_behaviour(scenario: Scenario, outcome, recipients: list[str]) -> None:
    kind = scenario.kind
    first = outcome.tries[0]
    if not kind.first_try_fails:
        assert outcome.succeeded and len(outcome.tries) == 1, first.message
    elif kind.permanent:
        # No retry could help: Airflow must fail the task at once, whatever `retries` says.
        assert len(outcome.tries) == 1
        assert isinstance(first.error, AirflowFailException), first.message
    else:
        assert not isinstance(first.error, AirflowFailException), first.message
        assert first.error is not None
        if scenario.retries:
            assert outcome.succeeded and len(outcome.tries) == 2, outcome.final.message
    if kind.refusal and not outcome.succeeded:
        code, text = kind.refusal["code"], kind.refusal["description"]
        assert f"{recipients[scenario.target]}: Error {code}: {text}" in outcome.final.message
    if outcome.succeeded:
        assert list(outcome.final_ids()) == recipients
