"""A DAG run where three tasks fail: the alerting the tests run with `airflow dags test`.

- Every task's failure callback (shared through ``default_args``) texts the connection's
  default recipient, at most once per run (``once_per="dag_run"``); the exception makes the
  text too long, so it is cut to fit.
- The DAG-level failure callback texts ``clockwork_test_dag_to`` one line naming the failed tasks.
- A send task without ``to``, run first, texts the connection's default recipient too.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.notifications.clockwork import send_clockwork_notification
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

with DAG(
    dag_id="clockwork_test_alert_storm",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={
        "on_failure_callback": send_clockwork_notification(
            content="FAILED {{ ti.task_id }}: {{ exception }}", once_per="dag_run", retry_delay=0.1
        )
    },
    on_failure_callback=send_clockwork_notification(
        to="{{ var.value.clockwork_test_dag_to }}",
        content="{{ dag_run.dag_id }} failed: {{ failed_tasks | join(', ') }}",
        retry_delay=0.1,
    ),
):

    @task
    def extract() -> None:
        raise ValueError("row 17 has a malformed date; " * 20)

    @task
    def transform() -> None:
        raise ValueError("upstream schema changed; " * 20)

    @task
    def load() -> None:
        raise ValueError("warehouse is read-only; " * 20)

    # Runs first, without a `to` of its own.
    ClockworkSendSmsOperator(task_id="page_oncall", content="Nightly run started") >> [
        extract(),
        transform(),
        load(),
    ]
