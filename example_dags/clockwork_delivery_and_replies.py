"""Knowing that an alert arrived, and answering it by text (Airflow 3.3+: the receiver and its store).

- ``clockwork_escalate_undelivered``: texts the on-call number, waits for Clockwork's
  delivery receipt, and texts the backup number when the alert was not delivered
  (undeliverable, rejected, expired) or no receipt came within 10 minutes.
- ``clockwork_acknowledge_on_reply``: runs on every text an allowed sender sends to your
  Clockwork number; an "ACK" is confirmed to the sender.

Both need a Clockwork connection with ``receiver_url`` and ``receiver_token`` (and
``allowed_senders`` for replies); see docs/delivery-and-replies.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, task

from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from airflow_provider_clockwork.receiver.records import inbound_asset_uri
from airflow_provider_clockwork.sensors.delivery import ClockworkDeliverySensor

START = pendulum.datetime(2024, 1, 1, tz="UTC")
ON_CALL = "{{ var.value.get('clockwork_oncall_number', '447700900123') }}"
BACKUP = "{{ var.value.get('clockwork_backup_number', '447700900456') }}"
REPLIES = Asset(inbound_asset_uri("447700900000"))  # texts sent to your Clockwork number

with DAG(
    dag_id="clockwork_escalate_undelivered",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["clockwork"],
):
    alert = ClockworkSendSmsOperator(task_id="alert", to=ON_CALL, content="Load failed: {{ ds }}. Reply ACK.")
    delivered = ClockworkDeliverySensor(
        task_id="wait_for_delivery",
        message_ids="{{ ti.xcom_pull(task_ids='alert') }}",
        poke_interval=10,
        timeout=timedelta(minutes=10).total_seconds(),
        mode="reschedule",
    )
    escalate = ClockworkSendSmsOperator(
        task_id="text_backup",
        to=BACKUP,
        content="The on-call phone did not get the alert for {{ ds }}: please look at the load.",
        trigger_rule="one_failed",
    )
    alert >> delivered >> escalate


with DAG(
    dag_id="clockwork_acknowledge_on_reply",
    schedule=[REPLIES],
    start_date=START,
    catchup=False,
    tags=["clockwork"],
):

    @task(inlets=[REPLIES])
    def read_reply(triggering_asset_events=None, inlet_events=None) -> dict[str, str]:
        """The text this run is for (or, run by hand, the latest one)."""
        events = (triggering_asset_events or {}).get(REPLIES) or inlet_events[REPLIES][-1:]
        return dict(events[-1].extra)

    reply = read_reply()

    @task.short_circuit
    def is_ack(reply: dict[str, str]) -> bool:
        return reply["text"].strip().upper() == "ACK"

    confirm = ClockworkSendSmsOperator(
        task_id="confirm",
        to="{{ ti.xcom_pull(task_ids='read_reply')['sender'] }}",
        content="Thanks, alert acknowledged.",
    )
    is_ack(reply) >> confirm
