"""Text each customer their own delivery slot, once the account has the credit for it.

``build_messages`` stands in for a query of tomorrow's deliveries and turns each
into a message of its own; ``ClockworkCreditSensor`` holds the send back until
the account has a credit per message (it sends nothing and costs nothing); then
``ClockworkSendPersonalisedSmsOperator`` sends every text, up to 500 per request,
and returns ``{client_id: message_id}``. The same phone may get two texts (one
household, two orders): results are keyed by the order's ID, not by number.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.operators.personalised import ClockworkSendPersonalisedSmsOperator
from airflow_provider_clockwork.sensors.credit import ClockworkCreditSensor

DELIVERIES = [
    {"order": "A-1001", "name": "Ann", "phone": "+44 7700 900123", "slot": "08:00-10:00"},
    {"order": "A-1002", "name": "Bob", "phone": "+44 7700 900456", "slot": "10:00-12:00"},
    {"order": "A-1003", "name": "Zoë", "phone": "+44 7700 900789", "slot": "12:00-14:00"},
    {"order": "A-1004", "name": "Ann", "phone": "+44 7700 900123", "slot": "16:00-18:00"},
]

with DAG(
    dag_id="clockwork_credit_then_personalised",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["clockwork", "example"],
):

    @task
    def build_messages() -> list[dict[str, str]]:
        """One message per delivery, named by its order so the result says who got what."""
        return [
            {
                "client_id": delivery["order"],
                "to": delivery["phone"],
                "content": f"Hi {delivery['name']}, order {delivery['order']} arrives tomorrow "
                f"between {delivery['slot']}.",
            }
            for delivery in DELIVERIES
        ]

    messages = build_messages()

    # Each of these texts is one message part, so one credit per message is enough.
    enough_credit = ClockworkCreditSensor(
        task_id="enough_credit",
        min_credit="{{ ti.xcom_pull(task_ids='build_messages') | length }}",
        mode="reschedule",
        poke_interval=timedelta(minutes=5),
        timeout=timedelta(hours=3),
    )

    send_slots = ClockworkSendPersonalisedSmsOperator(task_id="send_slots", messages=messages)

    messages >> enough_credit >> send_slots
