"""At most one alert per recipient per DAG run, however many tasks fail (``once_per="dag_run"``).

A notifier shared through ``default_args`` runs once for every failed task, each time in
that task's own process, possibly on different workers. What remembers "this number was
already told about this run" must therefore live where every one of them can read it:
Airflow Variables (the send operator's retry ledger uses them too where Airflow has no task
state store; Airflow 3.3's task state store is scoped to one task instance, so another
task's callback cannot see it). One Variable
per recipient and run, named ``clockwork_alerted_<hash>``; its value holds no phone number.

Variables have no compare-and-set, so two tasks failing at the same instant could both
find no claim. Each callback therefore writes its own claim, waits ``settle`` seconds and
reads it back: only the callback whose claim is still there texts. Two texts remain
possible only if one callback's claim is written more than ``settle`` seconds after it
found none (a stalled metadata database). Zero texts are avoided: a callback that finds
another's send under way waits for its outcome (up to ``patience``, the notifier's
``retry_within``); a claim whose send failed is withdrawn, so the waiting (or the next)
callback texts; a claim left by a callback that died before it could send expires after
``STALE_AFTER_SECONDS``. If the Variables cannot be read or written at all, the alert is
sent anyway.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

ONCE_PER_DAG_RUN = "dag_run"
ONCE_PER_CHOICES = (ONCE_PER_DAG_RUN,)
CLAIM_PREFIX = "clockwork_alerted_"
SETTLE_SECONDS = 1.0
STALE_AFTER_SECONDS = 300.0
"""A claim still "sending" after this long was left by a callback that died: it no longer counts."""
POLL_SECONDS = 1.0
"""How often a callback looks again at a claim whose send is under way."""
SENDING, SENT = "sending", "sent"


class AlertStore(Protocol):
    """A JSON object under a name, shared by every process that runs a callback."""

    def get(self, name: str) -> dict[str, Any] | None: ...

    def set(self, name: str, value: dict[str, Any], description: str) -> None: ...

    def delete(self, name: str) -> None: ...


class VariableAlertStore:
    """Airflow Variables: every worker, the dag processor and the triggerer read them through Airflow."""

    def get(self, name: str) -> dict[str, Any] | None:
        from airflow.providers.common.compat.sdk import Variable

        # The default goes by position: Airflow 2 calls it default_var, Airflow 3 default.
        stored = Variable.get(name, None, deserialize_json=True)
        return stored if isinstance(stored, dict) else None

    def set(self, name: str, value: dict[str, Any], description: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.set(name, value, description=description, serialize_json=True)

    def delete(self, name: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.delete(name)


class MemoryAlertStore:
    """The same in a dict of this process, for running a notifier outside Airflow (tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._values.get(name)
        return json.loads(stored) if stored is not None else None

    def set(self, name: str, value: dict[str, Any], description: str) -> None:
        with self._lock:
            self._values[name] = json.dumps(value)

    def delete(self, name: str) -> None:
        with self._lock:
            self._values.pop(name, None)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: json.loads(text) for name, text in self._values.items()}


default_store: AlertStore = VariableAlertStore()


def check_once_per(value: object) -> str | None:
    if value is None or value in ONCE_PER_CHOICES:
        return value  # type: ignore[return-value]
    raise ValueError(f"once_per {value!r} is not one of {', '.join(map(repr, ONCE_PER_CHOICES))} (or None).")


def _run_of(context: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(dag_id, run_id)`` of a task- or DAG-level callback's context."""
    dag_run = context.get("dag_run")
    ti = context.get("ti")
    dag = context.get("dag")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None)
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None)
    return (dag_id, run_id) if dag_id and run_id else None


class RunAlerts:
    """Who has been alerted in one DAG run, kept in a store every worker reads."""

    def __init__(
        self,
        dag_id: str,
        run_id: str,
        log: Any,
        store: AlertStore | None = None,
        settle: float | None = None,
        patience: float = 0.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.dag_id, self.run_id = dag_id, run_id
        self.log = log
        self.store = store if store is not None else default_store
        self.settle = SETTLE_SECONDS if settle is None else settle
        self.patience = patience
        self.clock, self.sleep = clock, sleep
        self.token = uuid.uuid4().hex
        self.description = f"Clockwork alert sent to a recipient of {dag_id}, run {run_id}"

    @classmethod
    def for_context(cls, context: Mapping[str, Any], log: Any, **options: Any) -> RunAlerts | None:
        run = _run_of(context)
        if run is None:
            log.warning(
                "once_per='dag_run': this callback names no DAG run, so the alert is sent regardless."
            )
            return None
        return cls(*run, log, **options)

    def key(self, number: str) -> str:
        payload = json.dumps([self.dag_id, self.run_id, number])
        return CLAIM_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]

    def _counts(self, claim: dict[str, Any] | None) -> bool:
        """True when a stored claim means the number is (being) alerted."""
        return claim is not None and (claim.get("state") == SENT or self._in_flight(claim))

    def _in_flight(self, claim: dict[str, Any] | None) -> bool:
        """True for another callback's claim whose send is under way (and not left by a dead one)."""
        return (
            claim is not None
            and claim.get("state") == SENDING
            and self.clock() - float(claim.get("at", 0)) < STALE_AFTER_SECONDS
        )

    def _settled_claims(self, numbers: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Each number's claim, once no other callback is still sending to it (or ``patience`` ran out).

        Waiting matters: if that other send fails in the end, its claim is withdrawn and this
        callback texts instead, so the alert is not lost to a send that was still retrying.
        """
        claims = {number: self.store.get(self.key(number)) for number in numbers}
        deadline = self.clock() + self.patience
        while any(self._in_flight(claim) for claim in claims.values()) and self.clock() < deadline:
            self.sleep(POLL_SECONDS)
            claims.update(
                {
                    number: self.store.get(self.key(number))
                    for number, claim in claims.items()
                    if self._in_flight(claim)
                }
            )
        return claims

    def claim(self, numbers: Sequence[str]) -> list[str]:
        """The numbers this callback is to text: not alerted yet in this run, and won if others raced."""
        try:
            claims = self._settled_claims(numbers)
            fresh = [number for number in numbers if not self._counts(claims[number])]
            for number in fresh:
                self._write(number, SENDING)
            if fresh and self.settle:
                self.sleep(self.settle)
            mine = [number for number in fresh if self._is_mine(number)]
        except Exception as error:
            self.log.warning(
                "once_per='dag_run': could not read or write the alert record (%s); sending anyway.", error
            )
            return list(numbers)
        skipped = len(numbers) - len(mine)
        if skipped:
            self.log.info(
                "once_per='dag_run': %d of %d recipient(s) already alerted about run %s; not texted again.",
                skipped,
                len(numbers),
                self.run_id,
            )
        return mine

    def _is_mine(self, number: str) -> bool:
        stored = self.store.get(self.key(number))
        return stored is not None and stored.get("token") == self.token

    def _write(self, number: str, state: str) -> None:
        self.store.set(
            self.key(number), {"token": self.token, "state": state, "at": self.clock()}, self.description
        )

    def settle_claims(self, claimed: Sequence[str], texted: Sequence[str]) -> None:
        """After the send: keep the claims of numbers texted; withdraw the rest for a later failure."""
        try:
            for number in claimed:
                if number in texted:
                    self._write(number, SENT)
                else:
                    self.store.delete(self.key(number))
        except Exception as error:
            self.log.warning("once_per='dag_run': could not update the alert record: %s", error)
