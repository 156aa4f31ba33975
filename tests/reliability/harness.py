"""Run ClockworkSendSmsOperator's tries in-process, as Airflow would, and judge what went out.

``airflow dags test`` takes ~15 s a run, too slow for a hundred fault scenarios, so
each try here is one ``execute(context)`` call with what Airflow provides between
tries: a task instance whose XComs are cleared before every try, a ledger store that
persists across tries (Airflow the task state store or Variables in real runs), no retry after an
``AirflowFailException``, and a retry after any other exception while tries remain.
The verdict comes from the emulator's own record of what it accepted.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_clockwork.exceptions import AirflowFailException
from airflow_provider_clockwork.ledger import AIRFLOW_2, MemoryStore, set_fallback_store
from airflow_provider_clockwork.operators.sms import PARTIAL_XCOM_KEY, ClockworkSendSmsOperator

RETURN_VALUE = "return_value"
# The two ways a failure message names numbers that may have been texted (and a retry texts again).
_UNKNOWN = re.compile(
    r"(?:outcome UNKNOWN \([^)]*\)|not recorded for retries \([^)]*\), so a retry texts them again)"
    r": (?P<numbers>[0-9][0-9, ]*)"
)


class FakeTaskInstance:
    """The parts of a task instance the operator uses; XComs live until the next try."""

    def __init__(self, dag_id: str, task_id: str, run_id: str, map_index: int = -1) -> None:
        self.dag_id = dag_id
        self.task_id = task_id
        self.run_id = run_id
        self.map_index = map_index
        self.try_number = 0
        self.xcoms: dict[str, Any] = {}
        self.task: Any = None

    def xcom_push(self, key: str, value: Any) -> None:
        # Airflow stores XComs as JSON: what cannot be serialised would fail there too.
        self.xcoms[key] = json.loads(json.dumps(value))

    def xcom_pull(self, task_ids: str | None = None, key: str = RETURN_VALUE, **kwargs: Any) -> Any:
        return self.xcoms.get(key)

    def start_try(self) -> None:
        """A new try: Airflow clears the task instance's XComs first."""
        self.try_number += 1
        self.xcoms = {}


@dataclass
class TryOutcome:
    number: int
    error: BaseException | None
    xcoms: dict[str, Any]

    @property
    def message(self) -> str:
        return "" if self.error is None else str(self.error)


@dataclass
class TaskOutcome:
    """Every try of one task instance, and what its last try left behind."""

    tries: list[TryOutcome] = field(default_factory=list)

    @property
    def final(self) -> TryOutcome:
        return self.tries[-1]

    @property
    def succeeded(self) -> bool:
        return self.final.error is None

    def final_ids(self) -> dict[str, str]:
        """IDs the last try reported: its return value on success, else its ``message_ids`` XCom."""
        key = RETURN_VALUE if self.succeeded else PARTIAL_XCOM_KEY
        return dict(self.final.xcoms.get(key) or {})


def run_tries(
    operator: ClockworkSendSmsOperator,
    retries: int,
    run_id: str,
    between_tries: Callable[[], None] | None = None,
    after_execute: Callable[[int, Any], Any] | None = None,
) -> TaskOutcome:
    """Up to ``retries + 1`` tries of ``operator``, stopping at success or AirflowFailException.

    ``between_tries`` runs before every try but the first (e.g. to bring a server back).
    ``after_execute(try_number, value)`` stands for what runs between ``execute`` and the
    try's success (a subclass's code, the XCom push): it may raise, or return a value that
    cannot be pushed. After a success, the success callbacks run as Airflow runs them (they
    delete the ledger).
    """
    ti = FakeTaskInstance("reliability", operator.task_id, run_id)
    context: dict[str, Any] = {"ti": ti, "task_instance": ti, "run_id": run_id}
    outcome = TaskOutcome()
    for attempt in range(retries + 1):
        if attempt and between_tries is not None:
            between_tries()
        ti.start_try()
        try:
            value = operator.execute(context)
            if after_execute is not None:
                value = after_execute(ti.try_number, value)
            ti.xcom_push(RETURN_VALUE, value)
        except Exception as error:  # Airflow retries any exception, bar AirflowFailException
            outcome.tries.append(TryOutcome(ti.try_number, error, ti.xcoms))
            if isinstance(error, AirflowFailException):
                break
            continue
        outcome.tries.append(TryOutcome(ti.try_number, None, ti.xcoms))
        record_success(operator, ti, context)
        break
    return outcome


def record_success(operator: Any, ti: FakeTaskInstance, context: dict[str, Any]) -> None:
    """What Airflow does once a try succeeded: the success callbacks, and on Airflow 2 the listeners
    (which Airflow 2 calls after saving the state; the provider's deletes the ledger there)."""
    for callback in operator.on_success_callback:
        callback(context)
    if AIRFLOW_2:
        from airflow_provider_clockwork.plugins import ledger_listener

        ti.task = operator
        ledger_listener.on_task_instance_success(None, ti)


@contextmanager
def memory_ledger() -> Iterator[MemoryStore]:
    """Ledgers in memory for the block (they persist across tries, as Airflow's stores do)."""
    store = MemoryStore()
    previous = set_fallback_store(store)
    try:
        yield store
    finally:
        set_fallback_store(previous)


def named_unknown(message: str) -> set[str]:
    """Numbers a failure message names as possibly texted: outcome unknown, or texted but not recorded."""
    found: set[str] = set()
    for match in _UNKNOWN.finditer(message):
        found.update(number.strip() for number in match["numbers"].split(",") if number.strip())
    return found


def names(message: str, number: str) -> bool:
    return re.search(rf"(?<![0-9]){number}(?![0-9])", message) is not None


@dataclass
class Verdict:
    """What the emulator's record says about one scenario."""

    unreported_duplicates: dict[str, int]
    reported_possible_duplicates: dict[str, int]
    silent_losses: list[str]
    wrong_ids: dict[str, str]


def judge(recipients: list[str], messages: list[dict[str, Any]], outcome: TaskOutcome) -> Verdict:
    """
    (a) a number texted more than once must have been named outcome-unknown by an
    earlier try, once per extra text; (b) every recipient has an ID in the last try's
    result or is named in the last try's failure; IDs reported must be real.
    """
    texted = Counter(message["to"] for message in messages)
    ids_by_number: dict[str, set[str]] = {}
    for message in messages:
        ids_by_number.setdefault(message["to"], set()).add(message["id"])
    warnings: Counter[str] = Counter()
    for earlier in outcome.tries[:-1]:
        warnings.update(named_unknown(earlier.message))
    unreported, reported = {}, {}
    for number, count in texted.items():
        extra = count - 1
        if extra <= 0:
            continue
        allowed = min(extra, warnings[number])
        if allowed:
            reported[number] = allowed
        if extra > allowed:
            unreported[number] = extra - allowed
    final_ids = outcome.final_ids()
    final_message = outcome.final.message
    lost = [n for n in recipients if n not in final_ids and not names(final_message, n)]
    wrong = {n: i for n, i in final_ids.items() if i not in ids_by_number.get(n, set())}
    return Verdict(unreported, reported, lost, wrong)


@dataclass
class Summary:
    """Totals over every scenario of the session, printed at its end."""

    scenarios: int = 0
    tries: int = 0
    texts: int = 0
    unreported_duplicates: int = 0
    silent_losses: int = 0
    reported_possible_duplicates: int = 0
    reported_unknown: int = 0
    key_leaks: int = 0
    seconds: float = 0.0
    by_kind: Counter[str] = field(default_factory=Counter)
    concurrent_scenarios: int = 0
    concurrent_possible_duplicates: int = 0

    def add(
        self,
        kind: str,
        verdict: Verdict,
        outcome: TaskOutcome,
        texts: int,
        seconds: float,
        concurrent: bool = False,
    ) -> None:
        self.scenarios += 1
        self.by_kind[kind] += 1
        if concurrent:
            self.concurrent_scenarios += 1
            self.concurrent_possible_duplicates += sum(verdict.reported_possible_duplicates.values())
        self.tries += len(outcome.tries)
        self.texts += texts
        self.unreported_duplicates += sum(verdict.unreported_duplicates.values())
        self.silent_losses += len(verdict.silent_losses)
        self.reported_possible_duplicates += sum(verdict.reported_possible_duplicates.values())
        self.reported_unknown += sum(len(named_unknown(t.message)) for t in outcome.tries)
        self.seconds += seconds

    def lines(self) -> list[str]:
        return [
            f"scenarios run: {self.scenarios} ({len(self.by_kind)} fault kinds), tries: {self.tries}, "
            f"texts accepted by the emulator: {self.texts}",
            f"duplicates not reported: {self.unreported_duplicates}",
            f"silent losses: {self.silent_losses}",
            f"possible duplicates, reported (outcome unknown, then re-sent): "
            f"{self.reported_possible_duplicates}, of which {self.concurrent_possible_duplicates} in the "
            f"{self.concurrent_scenarios} scenarios with concurrent requests (these vary from run to run "
            f"with the request the fault hits)",
            f"numbers reported outcome-unknown in some try: {self.reported_unknown}",
            f"key leaks: {self.key_leaks}",
            f"time in scenarios: {self.seconds:.1f} s",
        ]


SUMMARY = Summary()


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    value = action()
    return value, time.monotonic() - start


def is_airflow_error(error: BaseException | None) -> bool:
    return error is None or isinstance(error, AirflowException)


def exception_texts(error: BaseException | None) -> list[str]:
    """``str`` and ``repr`` of an exception and of every exception it was raised from."""
    texts: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts += [str(error), repr(error), *(repr(arg) for arg in error.args)]
        error = error.__cause__ or error.__context__
    return texts


def key_leaks(key: str, outcome: TaskOutcome, operator: ClockworkSendSmsOperator, log: str) -> list[str]:
    """Where ``key`` shows: in an exception, an XCom, the operator's fields or repr, or the log."""
    places = []
    for attempt in outcome.tries:
        if any(key in text for text in exception_texts(attempt.error)):
            places.append(f"exception of try {attempt.number}")
        if key in json.dumps(attempt.xcoms):
            places.append(f"XCom of try {attempt.number}")
    rendered = {name: getattr(operator, name) for name in operator.template_fields}
    if key in repr(rendered) or key in repr(operator):
        places.append("operator fields")
    if key in log:
        places.append("log")
    return places
