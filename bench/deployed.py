"""The bench DAG run by a real Airflow 3 deployment instead of ``airflow dags test``.

Under ``dags test`` the execution API runs inside the task's own process, so every call
the retry ledger makes to the task state store costs that process an HTTP request,
FastAPI and a SQLite commit. In a deployment (LocalExecutor; API server, scheduler and
dag processor as processes of their own) a task's call is a message to its supervisor,
and the API server does the work elsewhere: what users pay. The deployment is the one
the test suite's deployment tier starts (``tests/deployment/airflow_deployment.py``),
driven the same way, over the REST API.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from airflow_provider_clockwork.emulator.dag_runs import DagTestRun

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.deployment.airflow_deployment import (  # noqa: E402
    AirflowDeployment,
    deployment_environment,
    free_port,
    wait_until_serving,
)
from tests.deployment.rest_api import AirflowApi  # noqa: E402

START_TIMEOUT_SECONDS = 300.0


def run_dag_deployed(
    workspace: Path,
    dag_file: Path,
    dag_id: str,
    env: Mapping[str, str],
    timeout: float,
    log: Callable[[str], None],
) -> tuple[DagTestRun, Path]:
    """One run of ``dag_id`` in a fresh deployment under ``workspace``; the run, and its database.

    The run's ``output`` is every task's log; its ``xcoms`` the tasks' return values. The
    deployment's files stay in ``workspace`` (the caller removes it) once its processes stopped.
    """
    root = Path(tempfile.mkdtemp(prefix="deployment-", dir=workspace))
    (root / "dags").mkdir()
    shutil.copy(dag_file, root / "dags" / dag_file.name)
    airflow = AirflowDeployment(root, deployment_environment(root, free_port(), **env))
    try:
        started = time.perf_counter()
        airflow.prepare_database()
        airflow.start()
        api = AirflowApi(airflow.base_url)
        wait_until_serving(airflow, api, [dag_id], START_TIMEOUT_SECONDS)
        log(f"in-task (deployment): started in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        run_id = api.unpause_and_trigger(dag_id)
        state = api.wait_for_run(dag_id, run_id, timeout)
        log(f"in-task (deployment): the run took {time.perf_counter() - started:.1f} s, {state}")
        run = _read_run(api, dag_id, run_id, state)
    finally:
        airflow.stop()
    return run, airflow.home / "airflow.db"


def _read_run(api: AirflowApi, dag_id: str, run_id: str, state: str) -> DagTestRun:
    logs = api.all_task_logs(dag_id, run_id)
    run = DagTestRun(dag_id, run_id, state, 0, "\n".join(logs.values()))
    for instance in api.task_instances(dag_id, run_id):
        task_id = instance["task_id"]
        run.task_states[task_id] = instance["state"]
        if instance["state"] == "success":
            run.xcoms[(task_id, "return_value")] = _value(_xcom_or_none(api, dag_id, run_id, task_id))
    return run


def _xcom_or_none(api: AirflowApi, dag_id: str, run_id: str, task_id: str) -> Any:
    try:
        return api.xcom(dag_id, run_id, task_id)
    except AssertionError:  # a task that returned nothing has no return_value
        return None


def _value(value: Any) -> Any:
    """The REST API may hand back a JSON value as its text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
