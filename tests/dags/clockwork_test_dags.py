"""DAGs the end-to-end tests run with `airflow dags test`.

Each test sets what varies through Airflow Variables (``AIRFLOW_VAR_*`` in the run's
environment), which are rendered at run time exactly as a user's would be.
``retries`` and ``invalid_char_action`` (not templated) must be known at parse time, so they
come from ``CLOCKWORK_TEST_RETRIES`` and ``CLOCKWORK_TEST_INVALID_CHAR_ACTION``.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.notifications.clockwork import send_clockwork_notification
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

START = pendulum.datetime(2024, 1, 1, tz="UTC")

with DAG(dag_id="clockwork_test_send", schedule=None, start_date=START, catchup=False):
    ClockworkSendSmsOperator(
        task_id="send",
        to="{{ var.value.clockwork_test_to }}",
        content="{{ var.value.clockwork_test_content }}",
        long=True,
        invalid_char_action=os.environ.get("CLOCKWORK_TEST_INVALID_CHAR_ACTION") or None,
        retries=int(os.environ.get("CLOCKWORK_TEST_RETRIES", "0")),
        retry_delay=timedelta(seconds=0),
    )

with DAG(dag_id="clockwork_test_receipts", schedule=None, start_date=START, catchup=False):
    ClockworkSendSmsOperator(
        task_id="send",
        to="{{ var.value.clockwork_test_to }}",
        content="{{ var.value.clockwork_test_content }}",
        delivery_receipt={
            "url": "{{ var.value.clockwork_test_receipt_url }}",
            "content": {"dag_id": "{{ dag.dag_id }}", "run_id": "{{ run_id }}"},
        },
    )

with DAG(
    dag_id="clockwork_test_dag_callback",
    schedule=None,
    start_date=START,
    catchup=False,
    on_failure_callback=send_clockwork_notification(
        to="{{ var.value.clockwork_test_to }}",
        content="DAG {{ dag_run.dag_id }} failed in {{ dag_run.run_id }}",
        long=True,
    ),
):

    @task
    def fail() -> None:
        raise RuntimeError("planned failure")

    fail()
