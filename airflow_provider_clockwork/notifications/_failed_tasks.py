"""``failed_tasks`` in a notifier's template: the tasks that failed in the callback's DAG run.

For one DAG-level failure text that names them::

    DAG(on_failure_callback=send_clockwork_notification(
        content="{{ dag.dag_id }} failed: {{ failed_tasks | join(', ') }}"))

Read only when a template uses it. Airflow 2 hands callbacks the run itself
(``dag_run.get_task_instances``); Airflow 3 asks the API server through the task
runtime (``ti.get_task_states``), and ``airflow dags test``, whose DAG-level callbacks
run without that channel, reads the metadata database it runs on. A mapped task
instance is named ``task_id[map_index]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

FAILED = "failed"


def _from_dag_run(dag_run: Any) -> list[str]:
    return [_name(ti.task_id, ti.map_index) for ti in dag_run.get_task_instances(state=[FAILED])]


def _name(task_id: str, map_index: int | None) -> str:
    return task_id if map_index is None or map_index < 0 else f"{task_id}[{map_index}]"


def _from_task_runtime(dag_id: str, run_id: str) -> list[str]:
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    states = RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id]).get(run_id, {})
    return [task for task, state in states.items() if state == FAILED]


def _from_metadata_database(dag_id: str, run_id: str) -> list[str]:
    from airflow.models.dagrun import DagRun

    runs = DagRun.find(dag_id=dag_id, run_id=run_id)
    return _from_dag_run(runs[0]) if runs else []


def failed_tasks(context: Mapping[str, Any]) -> list[str]:
    """The failed task instances of the context's DAG run, sorted."""
    dag_run = context.get("dag_run")
    if hasattr(dag_run, "get_task_instances"):
        return sorted(_from_dag_run(dag_run))
    dag_id = getattr(dag_run, "dag_id", None) or getattr(context.get("dag"), "dag_id", None)
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id")
    if not dag_id or not run_id:
        return []
    if _has_task_runtime():
        return sorted(_from_task_runtime(dag_id, run_id))
    return sorted(_from_metadata_database(dag_id, run_id))


def _has_task_runtime() -> bool:
    """True inside an Airflow 3 task, dag processor or triggerer: the API server is one call away."""
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:  # Airflow 2
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


class FailedTasks:
    """The list, read on first use; a template that does not mention it costs nothing."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self._context = context
        self._names: list[str] | None = None

    @property
    def names(self) -> list[str]:
        if self._names is None:
            try:
                self._names = failed_tasks(self._context)
            except Exception as error:  # the alert matters more than its detail
                self._names = [f"(the failed tasks could not be listed: {type(error).__name__})"]
        return self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __str__(self) -> str:
        return ", ".join(self.names)
