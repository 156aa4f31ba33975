"""Run a DAG for real with ``airflow dags test`` in a throwaway Airflow home.

For end-to-end tests (ours and our users') against the emulator: the run happens
in a subprocess exactly as a user would start it, then task states and XComs are
read back from the run's metadata database. The exit code of ``airflow dags test``
does not say which tasks failed (and Airflow versions set it differently), so callers
must look at the states.

Why the database and not a public interface: none reads this on both Airflow 2.11 and 3.x.
No CLI command reads XComs on either, nor try numbers (``tasks states-for-dag-run -o json``
gives states only); on 2.11, ``dags list-runs`` refuses a DAG that ``dags test`` ran (it is
not in the ``dag`` table) and its JSON is mixed with log lines on stdout; the REST API needs
an API server; and each CLI call is a full Airflow start-up (about 6 s of CPU) per run. So
the reading is kept to three queries on columns every supported version shares:
``dag_run`` (run_id, state), ``task_instance`` (task_id, map_index, state, try_number) and
``xcom`` (task_id, key, map_index, value).

A mapped task has one task instance (and XComs) per map index: ``task_states`` and
``xcom()`` show one of them, ``states_by_map_index()`` and ``xcoms_by_map_index()`` all.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 300


@dataclass
class DagTestRun:
    """What one ``airflow dags test`` run did."""

    dag_id: str
    run_id: str | None
    state: str | None
    returncode: int
    output: str
    task_states: dict[str, str | None] = field(default_factory=dict)
    try_numbers: dict[str, int] = field(default_factory=dict)
    xcoms: dict[tuple[str, str], Any] = field(default_factory=dict)
    map_states: dict[tuple[str, int], str | None] = field(default_factory=dict)
    """``(task_id, map_index)`` → state; an unmapped task has map index -1."""
    map_xcoms: dict[tuple[str, str, int], Any] = field(default_factory=dict)
    """``(task_id, key, map_index)`` → value."""

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        return self.xcoms.get((task_id, key))

    def states_by_map_index(self, task_id: str) -> dict[int, str | None]:
        """Each task instance's state, by map index in order (``{-1: state}`` for an unmapped task)."""
        return {index: state for (task, index), state in sorted(self.map_states.items()) if task == task_id}

    def xcoms_by_map_index(self, task_id: str, key: str = "return_value") -> dict[int, Any]:
        """The XCom ``key`` of each task instance that pushed one, by map index in order."""
        return {
            index: value
            for (task, name, index), value in sorted(self.map_xcoms.items(), key=lambda item: item[0])
            if (task, name) == (task_id, key)
        }


def _decode_xcom(value: Any) -> Any:
    # XCom values are stored as JSON text, but SQLite gives a JSON column numeric
    # affinity, so a bare number comes back already decoded.
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


class AirflowHome:
    """An Airflow home with its own SQLite database, migrated once and reused for many runs."""

    def __init__(self, path: Path, dags_folder: Path, env: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self.dags_folder = Path(dags_folder)
        self.extra_env = dict(env or {})

    def environment(self, connection_json: str | None = None, **overrides: str) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))
        }
        env.update(
            AIRFLOW_HOME=str(self.path),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags_folder),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        )
        if connection_json is not None:
            env["AIRFLOW_CONN_CLOCKWORK_DEFAULT"] = connection_json
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def airflow(self, *args: str, env: Mapping[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=dict(env),
            cwd=self.path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )

    def migrate(self, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        done = self.airflow("db", "migrate", env=self.environment(), timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed ({done.returncode}):\n{done.stdout[-4000:]}")

    def dags_test(
        self,
        dag_id: str,
        *,
        connection_json: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        **env_overrides: str,
    ) -> DagTestRun:
        env = self.environment(connection_json, **env_overrides)
        done = self.airflow("dags", "test", dag_id, env=env, timeout=timeout)
        return self._read_run(dag_id, done)

    def _read_run(self, dag_id: str, done: subprocess.CompletedProcess[str]) -> DagTestRun:
        with sqlite3.connect(self.path / "airflow.db") as db:
            row = db.execute(
                "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
            ).fetchone()
            run = DagTestRun(dag_id, row and row[0], row and row[1], done.returncode, done.stdout)
            if row is None:
                return run
            for task_id, map_index, state, try_number in db.execute(
                "SELECT task_id, map_index, state, try_number FROM task_instance"
                " WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index",
                (dag_id, run.run_id),
            ):
                run.task_states[task_id] = state
                run.try_numbers[task_id] = try_number
                run.map_states[(task_id, map_index)] = state
            for task_id, key, map_index, value in db.execute(
                "SELECT task_id, key, map_index, value FROM xcom"
                " WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index",
                (dag_id, run.run_id),
            ):
                run.xcoms[(task_id, key)] = _decode_xcom(value)
                run.map_xcoms[(task_id, key, map_index)] = run.xcoms[(task_id, key)]
        return run
