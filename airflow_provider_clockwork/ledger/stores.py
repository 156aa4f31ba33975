"""Where the retry ledger's chunks live: ``get``/``set``/``delete`` of JSON values by task instance and key.

- :class:`TaskStateStore`: Airflow 3.3's task state store (``context["task_state_store"]``),
  already scoped by Airflow to the task instance across its tries; rows expire after
  ``[state_store] default_retention_days`` (30 by default) unless removed first.
- :class:`VariableStore`: Airflow Variables, for Airflow versions without a task state
  store. Each chunk is one Variable named ``clockwork_ledger.<digest>.<n>``, where the
  digest stands for the task instance (named in full in the Variable's description).
- :class:`MemoryStore`: a dict of this process, for running ``execute`` outside Airflow.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

VARIABLE_PREFIX = "clockwork_ledger."


@dataclass(frozen=True)
class TaskScope:
    """One task instance, the same in every try: what a ledger belongs to."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> TaskScope | None:
        """The running task instance's scope, or None outside a task run."""
        ti = context.get("ti")
        run_id = context.get("run_id") or getattr(ti, "run_id", None)
        if ti is None or run_id is None:
            return None
        map_index = getattr(ti, "map_index", -1)
        return cls(ti.dag_id, run_id, ti.task_id, -1 if map_index is None else int(map_index))

    @property
    def digest(self) -> str:
        payload = json.dumps([self.dag_id, self.run_id, self.task_id, self.map_index], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]

    def __str__(self) -> str:
        mapped = f" [{self.map_index}]" if self.map_index >= 0 else ""
        return f"{self.dag_id}.{self.task_id}{mapped} in {self.run_id}"


class LedgerStore(Protocol):
    """A JSON value per task instance and key, readable by every try of that task instance."""

    def get(self, scope: TaskScope, key: str) -> dict[str, Any] | None:
        """The stored value, or None when there is none."""
        ...

    def set(self, scope: TaskScope, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, scope: TaskScope, key: str) -> None: ...


class TaskStateStore:
    """Airflow's task state store (3.3+): the accessor is already scoped to the task instance."""

    def __init__(self, accessor: Any) -> None:
        self.accessor = accessor

    def get(self, scope: TaskScope, key: str) -> dict[str, Any] | None:
        stored = self.accessor.get(key)
        return stored if isinstance(stored, dict) else None

    def set(self, scope: TaskScope, key: str, value: dict[str, Any]) -> None:
        self.accessor.set(key, value)  # Airflow's default retention: a forgotten ledger expires

    def delete(self, scope: TaskScope, key: str) -> None:
        self.accessor.delete(key)


class VariableStore:
    """Airflow Variables, one per chunk, where Airflow has no task state store."""

    @staticmethod
    def variable_name(scope: TaskScope, key: str) -> str:
        return f"{VARIABLE_PREFIX}{scope.digest}.{key.rsplit('.', 1)[-1]}"

    def get(self, scope: TaskScope, key: str) -> dict[str, Any] | None:
        from airflow.providers.common.compat.sdk import Variable

        # The default goes by position: Airflow 2 calls it default_var, Airflow 3 default.
        stored = Variable.get(self.variable_name(scope, key), None, deserialize_json=True)
        return stored if isinstance(stored, dict) else None

    def set(self, scope: TaskScope, key: str, value: dict[str, Any]) -> None:
        from airflow.providers.common.compat.sdk import Variable

        description = f"Clockwork retry ledger of {scope}: message IDs already sent; safe to delete."
        Variable.set(self.variable_name(scope, key), value, description=description, serialize_json=True)

    def delete(self, scope: TaskScope, key: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.delete(self.variable_name(scope, key))


class MemoryStore:
    """Values in a dict of this process: for running ``execute`` outside Airflow, e.g. in tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[TaskScope, str], str] = {}

    def get(self, scope: TaskScope, key: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._values.get((scope, key))
        return json.loads(stored) if stored is not None else None

    def set(self, scope: TaskScope, key: str, value: dict[str, Any]) -> None:
        text = json.dumps(value)  # stored as JSON, as Airflow would: nothing outside can change it
        with self._lock:
            self._values[(scope, key)] = text

    def delete(self, scope: TaskScope, key: str) -> None:
        with self._lock:
            self._values.pop((scope, key), None)

    def snapshot(self) -> dict[TaskScope, dict[str, Any]]:
        """Every stored value, by task instance and key (a copy)."""
        with self._lock:
            items = list(self._values.items())
        snapshot: dict[TaskScope, dict[str, Any]] = {}
        for (scope, key), text in items:
            snapshot.setdefault(scope, {})[key] = json.loads(text)
        return snapshot
