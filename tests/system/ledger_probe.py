"""Read a task instance's retry ledger from a ``dags test`` home, through Airflow's public interfaces.

Airflow 3.3+: the task state store's backend (``airflow.state.get_state_backend``);
older Airflow: Variables. Runs in a subprocess with the home's environment, as the
ledger lives in that home's metadata database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from airflow_provider_clockwork.ledger import chunk_ids

PROBE = r"""
import json, sys
from airflow_provider_clockwork.ledger import SendLedger, TaskScope, VariableStore

dag_id, run_id, task_id, map_index = json.loads(sys.argv[1])
scope = TaskScope(dag_id, run_id, task_id, map_index)
try:
    from airflow.state import TaskScope as StateScope, get_state_backend
except ImportError:  # no task state store before Airflow 3.3: the ledger is in Variables
    store = VariableStore()
else:
    backend = get_state_backend()

    class StateBackendStore:
        def get(self, scope, key):
            value = backend.get(StateScope(dag_id, run_id, task_id, map_index), key)
            return json.loads(value) if isinstance(value, str) else value

    store = StateBackendStore()
ledger = SendLedger(scope, store)
print("LEDGER " + json.dumps(list(ledger._chunks())))
"""


def ledger_chunks(
    airflow_home: Any, dag_id: str, run_id: str, task_id: str, map_index: int = -1
) -> list[Any]:
    """Every chunk of the ledger of one task instance, in order (``[]`` when it is gone)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([dag_id, run_id, task_id, map_index])],
        env=airflow_home.environment(),
        cwd=airflow_home.path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("LEDGER ")]
    assert lines, f"ledger probe failed ({done.returncode}): {done.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("LEDGER "))


def ledger_ids(chunks: list[Any]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for chunk in chunks:
        ids.update(chunk_ids(chunk))
    return ids
