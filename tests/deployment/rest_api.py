"""Airflow's REST API v2, used as a user's own tooling would use it.

Every wait is bounded by the caller's timeout and polls; nothing here assumes how
long a step takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests

FINISHED_RUN_STATES = frozenset({"success", "failed"})
POLL_SECONDS = 1.0
# Above the deployment's SQLite wait (airflow_deployment.SQLITE_BUSY_SECONDS), which a request may sit out.
REQUEST_TIMEOUT_SECONDS = 180.0

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message says what was awaited and what was last seen."""


def wait_for(what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Call ``probe`` until it returns something other than None, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
        except (requests.RequestException, LookupError) as error:
            result, last_error = None, error
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise WaitTimeout(f"gave up after {timeout:.0f} s waiting for {what} (last error: {last_error})")
        time.sleep(POLL_SECONDS)


class AirflowApi:
    """A client of ``/api/v2`` with a token from ``/auth/token`` (the all-admins simple auth manager)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def log_in(self) -> None:
        reply = self.session.get(f"{self.base_url}/auth/token", timeout=REQUEST_TIMEOUT_SECONDS)
        reply.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        return self.session.request(method, f"{self.base_url}/api/v2{path}", **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON reply of a request that must succeed."""
        reply = self.request(method, path, **kwargs)
        if not reply.ok:
            raise AssertionError(f"{method} {path} answered {reply.status_code}: {reply.text[:500]}")
        return reply.json() if reply.content else None

    # -- DAGs and runs --

    def wait_for_dags(self, dag_ids: list[str], timeout: float) -> None:
        """Until the dag processor has parsed every DAG (the API then knows it)."""
        for dag_id in dag_ids:
            wait_for(
                f"DAG {dag_id} to be parsed",
                lambda dag_id=dag_id: self.request("GET", f"/dags/{dag_id}").ok or None,
                timeout,
            )

    def import_errors(self) -> list[dict[str, Any]]:
        return self.call("GET", "/importErrors")["import_errors"]

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def unpause_and_trigger(self, dag_id: str) -> str:
        """Unpause the DAG and start a run now; returns its run ID."""
        self.unpause(dag_id)
        run = self.call(
            "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": datetime.now(UTC).isoformat()}
        )
        return str(run["dag_run_id"])

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """The DAG's runs, oldest first."""
        return list(self.call("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "id"})["dag_runs"])

    def wait_for_first_run(self, dag_id: str, timeout: float) -> str:
        """The ID of the DAG's first run, once the scheduler has created one (by schedule or asset event)."""
        return wait_for(
            f"the scheduler to start a run of {dag_id}",
            lambda: next((str(run["dag_run_id"]) for run in self.dag_runs(dag_id)), None),
            timeout,
        )

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        """The run's final state (success or failed), polled until it has one."""

        def finished() -> str | None:
            state = self.run_state(dag_id, run_id)
            return state if state in FINISHED_RUN_STATES else None

        return wait_for(f"run {run_id} of {dag_id} to finish", finished, timeout)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def task_states(self, dag_id: str, run_id: str) -> dict[tuple[str, int], str]:
        """``(task_id, map_index)`` → state; an unmapped task has map index -1."""
        return {(ti["task_id"], ti["map_index"]): ti["state"] for ti in self.task_instances(dag_id, run_id)}

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        entry = self.call(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
            params={"map_index": map_index},
        )
        return entry["value"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
        """The whole log of one try, as the UI shows it (the JSON of its lines)."""
        reply = self.request(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"map_index": map_index, "full_content": True},
            headers={"Accept": "application/json"},
        )
        if not reply.ok:
            raise AssertionError(f"log of {dag_id}.{task_id} try {try_number}: {reply.status_code}")
        return reply.text

    def all_task_logs(self, dag_id: str, run_id: str) -> dict[tuple[str, int, int], str]:
        """``(task_id, map_index, try_number)`` → log, for every try of every task instance of the run."""
        return {
            (ti["task_id"], ti["map_index"], attempt): self.task_log(
                dag_id, run_id, ti["task_id"], attempt, ti["map_index"]
            )
            for ti in self.task_instances(dag_id, run_id)
            for attempt in range(1, ti["try_number"] + 1)
        }

    # -- variables and connections --

    def set_variable(self, key: str, value: str) -> None:
        self.call("POST", "/variables", json={"key": key, "value": value})

    def create_connection(self, **fields: Any) -> None:
        self.call("POST", "/connections", json=fields)

    def test_connection(self, **fields: Any) -> dict[str, Any]:
        return self.call("POST", "/connections/test", json=fields)

    # -- assets --

    def asset_id(self, uri: str) -> int | None:
        """The ID of the asset with this URI (registered by a DAG, or by the receiver's first write)."""
        found = self.call("GET", "/assets", params={"uri_pattern": uri, "only_active": False})["assets"]
        return next((int(asset["id"]) for asset in found if asset["uri"] == uri), None)

    def asset_state(self, uri: str, key: str) -> Any:
        """The value stored under ``key`` in the asset's state store, None when there is none."""
        asset_id = self.asset_id(uri)
        if asset_id is None:
            return None
        reply = self.request("GET", f"/assets/{asset_id}/state-store/{key}")
        if reply.status_code == 404:
            return None
        if not reply.ok:
            raise AssertionError(f"state {key} of {uri}: {reply.status_code}: {reply.text[:500]}")
        return reply.json()["value"]

    def asset_events(self, uri: str) -> list[dict[str, Any]]:
        """The asset's events, oldest first."""
        asset_id = self.asset_id(uri)
        if asset_id is None:
            return []
        params = {"asset_id": asset_id, "order_by": "timestamp", "limit": 100}
        return list(self.call("GET", "/assets/events", params=params)["asset_events"])
