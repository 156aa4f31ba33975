"""Which numbers already got a message ID, kept across the tries of one task instance.

Airflow clears a task's XComs when it retries, so XCom cannot remember what an
earlier try sent. The ledger does: it belongs to the task instance
``(dag_id, run_id, task_id, map_index)``, not to the text, so a retry skips every
number that already has an ID whatever the text renders to now.

IDs are written in *chunks* of at most ``MAX_CHUNK_ENTRIES``, each under a key of its
own: a write costs what that chunk holds, never everything sent so far. A retry reads
the chunks back in order until one is missing. When a send writes is its own policy
(:class:`airflow_provider_clockwork.operators._ledgered_send.Recorder`).

Where the chunks live (see :mod:`airflow_provider_clockwork.ledger.stores`):

- Airflow 3.3 and newer: the task state store (AIP-103), which Airflow scopes to the
  task instance across its tries and expires after ``[state_store] default_retention_days``.
- Older Airflow (2.11, 3.1, 3.2): Airflow Variables named ``clockwork_ledger.<digest>.<n>``,
  whose description names the task instance.

The ledger is removed by :func:`forget_sent_ids`, which the sending operators add to
their ``on_success_callback``: Airflow runs it only after it has recorded the success,
so a try that fails after its send (lost worker, failed XCom push, a subclass raising
after ``execute``) keeps what it sent, while clearing a successful task sends again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_clockwork.ledger.stores import (
    LedgerStore,
    MemoryStore,
    TaskScope,
    TaskStateStore,
    VariableStore,
)

__all__ = [
    "MAX_CHUNK_ENTRIES",
    "LedgerStore",
    "MemoryStore",
    "SendLedger",
    "TaskScope",
    "TaskStateStore",
    "VariableStore",
    "chunk_ids",
    "chunk_in_doubt",
    "chunk_value",
    "fingerprint",
    "forget_ledger_of",
    "forget_sent_ids",
    "get_fallback_store",
    "sends_with_ledger",
    "set_fallback_store",
]

log = logging.getLogger(__name__)


def _airflow_major_version() -> int:
    from airflow import __version__ as airflow_version

    return int(airflow_version.split(".")[0])


AIRFLOW_2 = _airflow_major_version() == 2
"""Airflow 2 saves a task's success after its success callbacks, Airflow 3 before them."""
MAX_CHUNK_ENTRIES = 1000
"""IDs in one chunk at most: about 40 KB of JSON, under the task state store's 64 KB advice."""
CHUNK_KEY_PREFIX = "clockwork_sent."

_fallback_store: LedgerStore = VariableStore()


def get_fallback_store() -> LedgerStore:
    """The store used where Airflow has no task state store (Variables unless swapped)."""
    return _fallback_store


def set_fallback_store(store: LedgerStore) -> LedgerStore:
    """Use ``store`` where Airflow has no task state store; returns the previous one, to put it back.

    Tests that call ``execute`` outside Airflow swap in a :class:`MemoryStore`.
    """
    global _fallback_store
    previous, _fallback_store = _fallback_store, store
    return previous


def store_for(context: Mapping[str, Any]) -> LedgerStore:
    """Airflow's task state store when the running Airflow has one (3.3+), else the fallback."""
    accessor = context.get("task_state_store")
    return TaskStateStore(accessor) if accessor is not None else _fallback_store


def fingerprint(*parts: Any) -> str:
    """A short digest of what was sent (text, sender, ...), to tell a retry that it renders differently."""
    payload = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def chunk_value(ids: Mapping[str, str], sending: str, in_doubt: Sequence[str] = ()) -> dict[str, str]:
    """What one chunk stores: its IDs as one JSON text, and the fingerprint of what was sent.

    One text rather than a JSON object of up to ``MAX_CHUNK_ENTRIES`` members: Airflow
    checks a stored value member by member (pydantic's ``JsonValue``) in the task, its
    supervisor and the API server, which made a write of 1,000 IDs cost about a third more.
    A failed try adds the keys whose request may have reached Clockwork without an answer
    (``in_doubt``), so that the retry that sends them again can say they may get it twice.
    """
    value = {"ids_json": json.dumps(ids, ensure_ascii=False, separators=(",", ":")), "sending": sending}
    if in_doubt:
        value["in_doubt_json"] = json.dumps(list(in_doubt), ensure_ascii=False, separators=(",", ":"))
    return value


def chunk_ids(chunk: Mapping[str, Any]) -> dict[str, str]:
    """The IDs a stored chunk holds (see :func:`chunk_value`).

    A chunk written by an earlier release holds them as an object under ``ids``: a retry
    that runs after an upgrade must still skip what its first try sent.
    """
    if "ids_json" not in chunk:
        earlier = chunk.get("ids")
        return dict(earlier) if isinstance(earlier, dict) else {}
    ids = json.loads(chunk["ids_json"] or "{}")
    return ids if isinstance(ids, dict) else {}


def chunk_in_doubt(chunk: Mapping[str, Any]) -> list[str]:
    """The keys a stored chunk names as in doubt (see :func:`chunk_value`)."""
    keys = json.loads(chunk.get("in_doubt_json") or "[]")
    return [str(key) for key in keys] if isinstance(keys, list) else []


@dataclass
class Earlier:
    """What earlier tries recorded: IDs by key, the fingerprints of what they sent, and the
    keys whose outcome they could not know."""

    ids: dict[str, str]
    fingerprints: set[str]
    in_doubt: set[str] = field(default_factory=set)


class SendLedger:
    """Message IDs obtained by the tries of one task instance, written chunk by chunk."""

    def __init__(self, scope: TaskScope, store: LedgerStore, sending: str = "") -> None:
        self.scope = scope
        self.store = store
        self.sending = sending
        """The fingerprint of what this try sends, stored with each chunk."""
        self._next_chunk = 0
        self._unwritten: dict[str, str] = {}

    @classmethod
    def for_task(cls, context: Mapping[str, Any], sending: str = "") -> SendLedger | None:
        """The ledger of the running task instance, or None outside a task run."""
        scope = TaskScope.from_context(context)
        return None if scope is None else cls(scope, store_for(context), sending)

    def load(self) -> Earlier:
        """Every chunk earlier tries wrote; new chunks go after them."""
        earlier = Earlier({}, set())
        for index, chunk in enumerate(self._chunks()):
            earlier.ids.update(chunk_ids(chunk))
            earlier.in_doubt.update(chunk_in_doubt(chunk))
            earlier.fingerprints.add(chunk.get("sending", ""))
            self._next_chunk = index + 1
        return earlier

    def hold(self, message_ids: Mapping[str, str]) -> None:
        """Keep these IDs for the next :meth:`write` (see the send's write policy)."""
        self._unwritten.update(message_ids)

    @property
    def held(self) -> int:
        """How many IDs are kept but not yet written."""
        return len(self._unwritten)

    def write(self, *, whole_chunks_only: bool = False) -> None:
        """Store the held IDs, one chunk per ``MAX_CHUNK_ENTRIES``.

        ``whole_chunks_only`` keeps a last, partial chunk held for a later write.
        A failed write raises; its IDs stay held and go with the next write.
        """
        minimum = MAX_CHUNK_ENTRIES if whole_chunks_only else 1
        while len(self._unwritten) >= minimum:
            chunk = dict(list(self._unwritten.items())[:MAX_CHUNK_ENTRIES])
            self.store.set(self.scope, self._key(self._next_chunk), chunk_value(chunk, self.sending))
            self._next_chunk += 1
            for key in chunk:
                del self._unwritten[key]

    def note_in_doubt(self, keys: Sequence[str]) -> None:
        """Store keys whose request may have reached Clockwork unanswered, in chunks of their own."""
        for start in range(0, len(keys), MAX_CHUNK_ENTRIES):
            in_doubt = keys[start : start + MAX_CHUNK_ENTRIES]
            self.store.set(self.scope, self._key(self._next_chunk), chunk_value({}, self.sending, in_doubt))
            self._next_chunk += 1

    @property
    def unwritten(self) -> dict[str, str]:
        """IDs obtained but not stored yet (held, or their write failed): a retry would send them again."""
        return dict(self._unwritten)

    def forget(self) -> int:
        """Delete every chunk; returns how many there were."""
        count = sum(1 for _ in self._chunks())
        for index in range(count):
            self.store.delete(self.scope, self._key(index))
        self._next_chunk = 0
        return count

    def _chunks(self):
        index = 0
        while (chunk := self.store.get(self.scope, self._key(index))) is not None:
            yield chunk
            index += 1

    @staticmethod
    def _key(index: int) -> str:
        return f"{CHUNK_KEY_PREFIX}{index}"


def sends_with_ledger(task: Any) -> bool:
    """True for a task whose success callbacks include the ledger's cleanup (the sending operators)."""
    callbacks = getattr(task, "on_success_callback", None) or []
    return forget_sent_ids in (callbacks if isinstance(callbacks, list) else [callbacks])


def _ledger_listener_registered() -> bool:
    try:
        from airflow.listeners.listener import get_listener_manager

        from airflow_provider_clockwork.plugins import ledger_listener

        return bool(get_listener_manager().pm.is_registered(ledger_listener))
    except Exception:
        return False


def forget_sent_ids(context: Mapping[str, Any]) -> None:
    """Success callback of the sending operators: the task instance succeeded, so its ledger goes.

    Airflow 3 calls it after recording the success. Airflow 2 calls it *before* saving
    the state, so there the provider's listener deletes the ledger after the save
    instead (:mod:`airflow_provider_clockwork.plugins.ledger_listener`), and this
    callback only steps in when that listener is not loaded.
    """
    if AIRFLOW_2 and _ledger_listener_registered():
        return
    ledger = SendLedger.for_task(context)
    if ledger is not None:
        _forget(ledger)


def forget_ledger_of(task_instance: Any) -> None:
    """Delete the ledger of a task instance (Airflow 2's listener; no task state store there)."""
    scope = TaskScope.from_context({"ti": task_instance})
    if scope is not None:
        _forget(SendLedger(scope, _fallback_store))


def _forget(ledger: SendLedger) -> None:
    """A failure only leaves the ledger to expire (task state store) or to be deleted by hand (Variables)."""
    try:
        removed = ledger.forget()
    except Exception as error:
        log.warning("Could not delete the retry ledger of %s: %s", ledger.scope, error)
    else:
        if removed:
            log.info(
                "Deleted the retry ledger of %s (%d chunk(s)): the task succeeded.", ledger.scope, removed
            )
