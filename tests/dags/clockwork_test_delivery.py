"""Delivery sensor DAGs for the suite: each mode with a short timeout, so a missing receipt ends quickly.

``CLOCKWORK_TEST_SENSOR_TIMEOUT`` lengthens it where receipts are expected: a first call to a cold
receiver on a loaded machine may take seconds, and the sensor ends as soon as they land anyway.
"""

from __future__ import annotations

import os

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from airflow_provider_clockwork.sensors.delivery import ClockworkDeliverySensor

START = pendulum.datetime(2024, 1, 1, tz="UTC")

for mode, deferrable in (("reschedule", False), ("poke", True)):
    name = "deferrable" if deferrable else mode
    with DAG(dag_id=f"clockwork_test_delivery_{name}", schedule=None, start_date=START, catchup=False):
        alert = ClockworkSendSmsOperator(task_id="alert", to="447700900123, 447700900124", content="Alert")
        wait = ClockworkDeliverySensor(
            task_id="wait_for_delivery",
            message_ids="{{ ti.xcom_pull(task_ids='alert') }}",
            poke_interval=1,
            timeout=float(os.environ.get("CLOCKWORK_TEST_SENSOR_TIMEOUT", "8")),
            mode=mode,
            deferrable=deferrable,
        )
        alert >> wait
