"""Airflow 2 only: delete a send's retry ledger once Airflow has saved the task instance's success.

Airflow 2 runs ``on_success_callback`` *before* it saves the SUCCESS state; a worker
lost in between would leave the task to be retried with its ledger already gone, and
the retry would text everyone again. Listeners run after the save, so on Airflow 2
the ledger is deleted here (Airflow 3 runs success callbacks after recording the
state, and the operators' callback does it there).
"""

from __future__ import annotations

from typing import Any

from airflow.listeners import hookimpl

from airflow_provider_clockwork.ledger import forget_ledger_of, sends_with_ledger


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any, session: Any = None) -> None:
    if sends_with_ledger(getattr(task_instance, "task", None)):
        forget_ledger_of(task_instance)
