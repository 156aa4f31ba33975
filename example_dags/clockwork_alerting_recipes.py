"""Texting from every kind of Airflow callback, one small DAG each.

- ``clockwork_task_callbacks``: a flaky task texts when it is retried and when it
  recovers (task-level ``on_retry_callback`` and ``on_success_callback``).
- ``clockwork_dag_callbacks``: the run texts once when the whole DAG succeeds or
  fails (DAG-level callbacks).
- ``clockwork_deadline_alert`` (Airflow 3.1+): texts when a run is still going 30
  minutes after it was queued; the triggerer awaits the notifier (``async_notify``).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.notifications.clockwork import (
    ClockworkNotifier,
    send_clockwork_notification,
)

START = pendulum.datetime(2024, 1, 1, tz="UTC")
ONCALL = "{{ var.value.get('clockwork_oncall_number', '+44 7700 900999') }}"

with DAG(
    dag_id="clockwork_task_callbacks", schedule=None, start_date=START, catchup=False, tags=["clockwork"]
):

    @task(
        retries=1,
        retry_delay=timedelta(seconds=0),
        on_retry_callback=send_clockwork_notification(
            to=ONCALL, content="{{ ti.task_id }} failed on try {{ ti.try_number }}, retrying"
        ),
        on_success_callback=send_clockwork_notification(
            to=ONCALL, content="{{ ti.task_id }} recovered on try {{ ti.try_number }}"
        ),
    )
    def flaky_extract(ti=None) -> None:
        """Fails its first try, as a flaky upstream API would."""
        if ti.try_number == 1:
            raise ConnectionError("upstream API timed out")

    flaky_extract()

with DAG(
    dag_id="clockwork_dag_callbacks",
    schedule=None,
    start_date=START,
    catchup=False,
    on_success_callback=send_clockwork_notification(
        to=ONCALL, content="{{ dag_run.dag_id }} finished: {{ dag_run.run_id }}", long=True
    ),
    on_failure_callback=send_clockwork_notification(
        to=ONCALL, content="{{ dag_run.dag_id }} FAILED: {{ dag_run.run_id }}", long=True
    ),
    tags=["clockwork"],
):

    @task
    def transform() -> int:
        return 42

    transform()

try:
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference
except ImportError:  # Airflow 2.11 has no Deadline Alerts
    DeadlineAlert = None

if DeadlineAlert is not None:
    with DAG(
        dag_id="clockwork_deadline_alert",
        schedule=None,
        start_date=START,
        catchup=False,
        deadline=DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(minutes=30),
            callback=AsyncCallback(
                ClockworkNotifier,
                kwargs={"to": ONCALL, "content": "{{ dag_run.dag_id }} is still running after 30 minutes"},
            ),
        ),
        tags=["clockwork"],
    ):

        @task
        def slow_load() -> None:
            """Stands in for a load that usually takes a few minutes."""

        slow_load()
