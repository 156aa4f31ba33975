"""Trigger that waits in the triggerer until stored receipts settle a set of messages.

It reads the receipts through Airflow's asset state store accessor, whose ``aget`` goes
through the triggerer's supervisor without blocking the event loop, every
``poll_interval`` seconds, and stops by itself at ``deadline`` (also under
``airflow dags test``, which runs triggers in line and enforces no deferral timeout).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import timezone
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_clockwork.receiver.records import RECEIPTS_ASSET_URI, receipt_key
from airflow_provider_clockwork.sensors.delivery_verdict import judge


def _accessor() -> Any:
    from airflow.sdk.execution_time.context import AssetStateStoreAccessor

    return AssetStateStoreAccessor(uri=RECEIPTS_ASSET_URI)


def read_receipts(message_ids: list[str]) -> dict[str, Any]:
    """The stored receipt of each message, None where none came yet (in a task)."""
    store = _accessor()
    return {message_id: store.get(receipt_key(message_id)) for message_id in message_ids}


async def aread_receipts(message_ids: list[str]) -> dict[str, Any]:
    store = _accessor()
    return {message_id: await _aget(store, receipt_key(message_id)) for message_id in message_ids}


async def _aget(store: Any, key: str) -> Any:
    from airflow.sdk.execution_time import task_runner

    if hasattr(task_runner.SUPERVISOR_COMMS, "asend"):
        return await store.aget(key)
    # `airflow dags test` runs a trigger in line with comms that have no `asend` (Airflow 3.3.2);
    # nothing else runs in that loop, so the blocking read holds nobody up.
    return store.get(key)


class ClockworkDeliveryTrigger(BaseTrigger):
    """
    Fire once every message is settled (or one failed), or at ``deadline``.

    :param expected: ``{message_id: number or None}``.
    :param deadline: when to give up (the sensor's timeout), an aware datetime.
    :param poll_interval: seconds between reads of the store.
    """

    def __init__(self, expected: dict[str, str | None], deadline: datetime, poll_interval: float) -> None:
        super().__init__()
        self.expected = expected
        self.deadline = deadline
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"expected": self.expected, "deadline": self.deadline, "poll_interval": self.poll_interval},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            records = await aread_receipts(list(self.expected))
            if judge(self.expected, records).finished:
                yield TriggerEvent({"status": "settled", "records": records})
                return
            if timezone.utcnow() >= self.deadline:
                yield TriggerEvent({"status": "timeout", "records": records})
                return
            await asyncio.sleep(self.poll_interval)
