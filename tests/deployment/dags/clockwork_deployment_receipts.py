"""The deployment tier's DAG for delivery receipts (tests/deployment/test_receipts.py).

``clockwork_deploy_delivery`` texts one number and waits for its receipt with the
deferrable ``ClockworkDeliverySensor``: the wait runs in the real triggerer. The test
has the emulator hold that receipt back until the sensor has deferred, so the trigger
must see a receipt that lands while it waits. The shipped examples
``clockwork_escalate_undelivered`` and ``clockwork_acknowledge_on_reply`` run next to it.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from airflow_provider_clockwork.sensors.delivery import ClockworkDeliverySensor

with DAG(
    dag_id="clockwork_deploy_delivery",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
):
    alert = ClockworkSendSmsOperator(task_id="alert", to="447700900761", content="Disk full: {{ run_id }}")
    wait_for_delivery = ClockworkDeliverySensor(
        task_id="wait_for_delivery",
        message_ids="{{ ti.xcom_pull(task_ids='alert') }}",
        deferrable=True,
        poke_interval=1,
        timeout=900,  # the test releases the receipt late in the tier; the run ends then
    )
    alert >> wait_for_delivery
