"""Which numbers already got a message ID, kept across the tries of one task instance.

Airflow clears a task's XComs when it retries, so XCom cannot remember what an
earlier try sent. An Airflow Variable can: every worker of the deployment reads
and writes Variables through Airflow itself, and a Variable survives retries and
manual clears. One Variable holds the IDs for one task instance *and one
message*: a retry that renders a different text (or sender) is a new message and
starts a new ledger. What counts as "the same message" is the caller's identity
(:meth:`SendLedger.for_identity`): a :class:`Message` for the send-SMS operator
(IDs keyed by number), the whole list of messages for a personalised send (IDs
keyed by client ID).

Where the ledger is kept is a small backend with ``get``/``set``/``delete``
(:class:`LedgerStore`). The default, :class:`VariableStore`, keeps it in Airflow
Variables; :class:`MemoryStore` keeps it in a dict, for running an operator's
``execute`` outside Airflow (tests). :func:`set_default_store` swaps the backend
every new ledger uses; a ledger can also be given one directly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from airflow_provider_clockwork.protocol.message import Message
from airflow_provider_clockwork.protocol.personalised import PersonalisedSms

LEDGER_PREFIX = "clockwork_sent_"

log = logging.getLogger(__name__)


class LedgerStore(Protocol):
    """Where ledgers live: a JSON-able dict under a key, readable by every try of a task."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None when there is none."""
        ...

    def set(self, key: str, value: dict[str, Any], description: str) -> None: ...

    def delete(self, key: str) -> None: ...


class VariableStore:
    """The default: one Airflow Variable per ledger, holding JSON."""

    def get(self, key: str) -> dict[str, Any] | None:
        from airflow.providers.common.compat.sdk import Variable

        # The default goes by position: Airflow 2 calls it default_var, Airflow 3 default.
        stored = Variable.get(key, None, deserialize_json=True)
        return stored if isinstance(stored, dict) else None

    def set(self, key: str, value: dict[str, Any], description: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.set(key, value, description=description, serialize_json=True)

    def delete(self, key: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.delete(key)


class MemoryStore:
    """Ledgers in a dict of this process: for running ``execute`` outside Airflow, e.g. in tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._values.get(key)
            return json.loads(json.dumps(stored)) if stored is not None else None

    def set(self, key: str, value: dict[str, Any], description: str) -> None:
        with self._lock:
            # Stored as JSON would be, so nothing outside can change it afterwards.
            self._values[key] = json.loads(json.dumps(value))

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every stored ledger by key (a copy)."""
        with self._lock:
            return json.loads(json.dumps(self._values))


_default_store: LedgerStore = VariableStore()


def get_default_store() -> LedgerStore:
    """The backend new ledgers use (Airflow Variables unless swapped)."""
    return _default_store


def set_default_store(store: LedgerStore) -> LedgerStore:
    """Make new ledgers use ``store``; returns the previous backend, to put it back."""
    global _default_store
    previous, _default_store = _default_store, store
    return previous


def task_ledger_key(dag_id: str, run_id: str, task_id: str, map_index: int, identity: Sequence[Any]) -> str:
    """The Variable name for one task instance and one send, whose ``identity`` is JSON-able."""
    payload = json.dumps([dag_id, run_id, task_id, map_index, *identity], ensure_ascii=False)
    return LEDGER_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]


def message_identity(message: Message) -> list[Any]:
    """What makes a message the same one in a retry: its text, sender and ``long``."""
    return [message.content, message.sender, message.long]


def personalised_identity(messages: Iterable[PersonalisedSms]) -> list[Any]:
    """What makes a personalised send the same one in a retry: every message, in order.

    Any change to any message (or to their order) makes a new send with a new ledger.
    """
    return [
        "personalised",
        [
            [sms.client_id, sms.to, sms.message.content, sms.message.sender, sms.message.long]
            for sms in messages
        ],
    ]


class SendLedger:
    """Message IDs already obtained for one task instance and one send (by number, or by client ID)."""

    def __init__(self, key: str, description: str, store: LedgerStore | None = None) -> None:
        self.key = key
        self.description = description
        self.store = store if store is not None else get_default_store()
        self._ids: dict[str, str] = {}

    @classmethod
    def for_task(
        cls, context: Mapping[str, Any], message: Message, store: LedgerStore | None = None
    ) -> SendLedger | None:
        """The ledger of the running task instance and this message, or None outside a task run."""
        return cls.for_identity(context, message_identity(message), store)

    @classmethod
    def for_identity(
        cls, context: Mapping[str, Any], identity: Sequence[Any], store: LedgerStore | None = None
    ) -> SendLedger | None:
        """The ledger of the running task instance and the send ``identity`` names, or None outside a run.

        ``identity`` is a JSON-able list that changes whenever what is sent changes.
        """
        ti = context.get("ti")
        run_id = context.get("run_id") or getattr(ti, "run_id", None)
        if ti is None or run_id is None:
            return None
        map_index = getattr(ti, "map_index", -1)
        map_index = -1 if map_index is None else int(map_index)
        key = task_ledger_key(ti.dag_id, run_id, ti.task_id, map_index, identity)
        description = f"Clockwork message IDs sent by {ti.dag_id}.{ti.task_id} [{map_index}] in {run_id}"
        return cls(key, description, store)

    def load(self) -> dict[str, str]:
        stored = self.store.get(self.key)
        self._ids = dict(stored.get("message_ids", {})) if stored is not None else {}
        return dict(self._ids)

    def record(self, message_ids: Mapping[str, str]) -> None:
        """Add IDs and store them at once, so a crash after this batch cannot resend it."""
        if not message_ids:
            return
        self._ids.update(message_ids)
        self.store.set(self.key, {"message_ids": self._ids}, self.description)

    def clear(self) -> None:
        if self._ids:
            self.store.delete(self.key)
        self._ids = {}
