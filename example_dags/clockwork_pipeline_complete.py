"""Text the team when the nightly load is done, with the run date and row counts.

Recipients come from the Variable ``clockwork_team_numbers`` (comma-separated)
when it is set, so the numbers live outside the code.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

with DAG(
    dag_id="clockwork_pipeline_complete",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["clockwork", "example"],
):

    @task
    def load_orders() -> int:
        """Stands in for the real load; returns the number of rows it wrote."""
        return 1284

    @task
    def load_customers() -> int:
        return 311

    text_the_team = ClockworkSendSmsOperator(
        task_id="text_the_team",
        to="{{ var.value.get('clockwork_team_numbers', '+44 7700 900123, +44 7700 900456') }}",
        content=(
            "Nightly load {{ ds }} done: "
            "{{ ti.xcom_pull(task_ids='load_orders') }} orders, "
            "{{ ti.xcom_pull(task_ids='load_customers') }} customers."
        ),
    )

    [load_orders(), load_customers()] >> text_the_team
