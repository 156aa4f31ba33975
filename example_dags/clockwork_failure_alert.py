"""Text the on-call phone when a task fails.

Every task gets the notifier through ``default_args``; the message is rendered
with the failing task's context. The on-call number comes from the Variable
``clockwork_oncall_number`` when it is set.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.notifications.clockwork import send_clockwork_notification

with DAG(
    dag_id="clockwork_failure_alert",
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={
        "retries": 0,
        "on_failure_callback": send_clockwork_notification(
            to="{{ var.value.get('clockwork_oncall_number', '+44 7700 900999') }}",
            content=(
                "FAILED {{ ti.dag_id }}.{{ ti.task_id }} ({{ ds }}, try {{ ti.try_number }}): "
                "{{ (exception | string)[:120] }}"
            ),
            long=True,
        ),
    },
    tags=["clockwork", "example"],
):

    @task
    def load_warehouse() -> None:
        """Stands in for a load whose input never arrived."""
        raise RuntimeError("input file orders.csv is missing")

    load_warehouse()
