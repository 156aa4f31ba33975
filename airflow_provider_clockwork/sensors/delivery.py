"""Sensor that waits until Clockwork has reported what became of each message (Airflow 3.3+).

The receiver stores every delivery receipt by message ID (see
:mod:`airflow_provider_clockwork.receiver`); this sensor reads them. Put it after a send
and give the next task ``trigger_rule="one_failed"`` to escalate when an alert did not
reach its phone: the sensor fails when a message is undeliverable, rejected or expired,
and times out, like any sensor, when a receipt never comes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    Asset,
    BaseSensorOperator,
    timezone,
)

from airflow_provider_clockwork.receiver.records import RECEIPTS_ASSET_URI
from airflow_provider_clockwork.sensors.delivery_verdict import Verdict, expected_messages, judge

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


def _store_reachable() -> bool:
    try:
        from airflow.sdk.execution_time.context import AssetStateStoreAccessor  # noqa: F401
    except ImportError:
        return False
    return True


class ClockworkDeliverySensor(BaseSensorOperator):
    """
    Succeed once every message is ``DELIVRD``; fail, naming each number and state, when one is not.

    :param message_ids: the messages to wait for, templated: the send operator's
        ``{number: id}`` XCom (``"{{ ti.xcom_pull(task_ids='alert') }}"``), a list of IDs, or
        IDs separated by commas.
    :param deferrable: wait in the triggerer instead of a worker slot; the trigger reads
        the store every ``poke_interval`` seconds and gives up after ``timeout``.

    ``mode="reschedule"``, ``poke_interval`` and ``timeout`` work as for any sensor. The
    sensor declares the receipts asset (``clockwork://delivery/receipts``) as an inlet,
    which is how Airflow lets it read that asset's state store.
    """

    template_fields: Sequence[str] = ("message_ids",)

    def __init__(self, *, message_ids: Any, deferrable: bool = False, **kwargs: Any) -> None:
        inlets = kwargs.pop("inlets", None) or []
        inlets = list(inlets) if isinstance(inlets, (list, tuple)) else [inlets]
        super().__init__(inlets=[*inlets, Asset(RECEIPTS_ASSET_URI)], **kwargs)
        self.message_ids = message_ids
        self.deferrable = deferrable

    def _expected(self) -> dict[str, str | None]:
        if not _store_reachable():
            raise AirflowFailException(
                "ClockworkDeliverySensor reads receipts from the asset state store, which needs "
                "Airflow 3.3 or newer."
            )
        try:
            return expected_messages(self.message_ids)
        except ValueError as error:
            raise AirflowFailException(str(error)) from None

    def _settle(self, verdict: Verdict) -> bool:
        if verdict.failed:
            raise AirflowFailException(verdict.failure_message())
        self.log.info(
            "Clockwork delivery: %d delivered, %d not final yet.",
            len(verdict.delivered),
            len(verdict.pending),
        )
        return not verdict.pending

    def poke(self, context: Context) -> bool:
        from airflow_provider_clockwork.triggers.delivery import read_receipts

        expected = self._expected()
        return self._settle(judge(expected, read_receipts(list(expected))))

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        from airflow_provider_clockwork.triggers.delivery import ClockworkDeliveryTrigger

        self.defer(
            trigger=ClockworkDeliveryTrigger(
                expected=self._expected(),
                deadline=timezone.utcnow() + timedelta(seconds=self.timeout),
                poll_interval=self.poke_interval,
            ),
            method_name="execute_complete",
        )
        return None

    def execute_complete(self, context: Context, event: dict[str, Any]) -> None:
        expected = self._expected()
        verdict = judge(expected, event["records"])
        if self._settle(verdict):
            return
        raise AirflowSensorTimeout(
            f"No final receipt within {self.timeout:g} s for {len(verdict.pending)} of "
            f"{len(expected)} messages: {', '.join(verdict.pending)}."
        )
