"""Which numbers already got a message ID, kept across the tries of one task instance.

Airflow clears a task's XComs when it retries, so XCom cannot remember what an
earlier try sent. An Airflow Variable can: every worker of the deployment reads
and writes Variables through Airflow itself, and a Variable survives retries and
manual clears. One Variable holds the IDs for one task instance *and one
message*: a retry that renders a different text (or sender) is a new message and
starts a new ledger.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from airflow_provider_clockwork.protocol.message import Message

LEDGER_PREFIX = "clockwork_sent_"

log = logging.getLogger(__name__)


def ledger_key(dag_id: str, run_id: str, task_id: str, map_index: int, message: Message) -> str:
    identity = json.dumps(
        [dag_id, run_id, task_id, map_index, message.content, message.sender, message.long],
        ensure_ascii=False,
    )
    return LEDGER_PREFIX + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:40]


class SendLedger:
    """Message IDs already obtained for one task instance and one message."""

    def __init__(self, key: str, description: str) -> None:
        self.key = key
        self.description = description
        self._ids: dict[str, str] = {}

    @classmethod
    def for_task(cls, context: Mapping[str, Any], message: Message) -> SendLedger | None:
        """The ledger of the running task instance, or None outside a task run."""
        ti = context.get("ti")
        run_id = context.get("run_id") or getattr(ti, "run_id", None)
        if ti is None or run_id is None:
            return None
        map_index = getattr(ti, "map_index", -1)
        map_index = -1 if map_index is None else int(map_index)
        key = ledger_key(ti.dag_id, run_id, ti.task_id, map_index, message)
        description = f"Clockwork message IDs sent by {ti.dag_id}.{ti.task_id} [{map_index}] in {run_id}"
        return cls(key, description)

    def load(self) -> dict[str, str]:
        from airflow.providers.common.compat.sdk import Variable

        # The default goes by position: Airflow 2 calls it default_var, Airflow 3 default.
        stored = Variable.get(self.key, None, deserialize_json=True)
        self._ids = dict(stored.get("message_ids", {})) if isinstance(stored, dict) else {}
        return dict(self._ids)

    def record(self, message_ids: Mapping[str, str]) -> None:
        """Add IDs and store them at once, so a crash after this batch cannot resend it."""
        if not message_ids:
            return
        from airflow.providers.common.compat.sdk import Variable

        self._ids.update(message_ids)
        Variable.set(
            self.key,
            {"message_ids": self._ids},
            description=self.description,
            serialize_json=True,
        )

    def clear(self) -> None:
        from airflow.providers.common.compat.sdk import Variable

        if self._ids:
            Variable.delete(self.key)
        self._ids = {}
