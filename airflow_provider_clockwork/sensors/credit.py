"""Sensor that waits until the Clockwork account has enough credit for a send.

Put it in front of a large broadcast: a send that runs out of credit part-way
texts some recipients and not others, whereas a sensor holds the whole send back
(or fails it, with ``timeout``) until the account is topped up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class ClockworkCreditSensor(BaseSensorOperator):
    """
    Succeed once the account's credit is at least ``min_credit``.

    Checking credit sends nothing and costs nothing. A sensor may wait for hours, so a
    failure that may pass (a timeout, a dropped connection, HTTP 5xx, an unreadable reply,
    a transient Clockwork error) is a poke that found nothing: it is logged with its reason
    and the next poke tries again. A wrong key (or any other permanent refusal) fails the
    task at once rather than waiting for a credit that can never be read.

    :param min_credit: credits needed, e.g. recipients × message parts. Templated, so
        it can come from an upstream task's XCom.
    :param clockwork_conn_id: the Clockwork connection.
    """

    template_fields: Sequence[str] = ("min_credit",)

    def __init__(
        self, *, min_credit: int | str, clockwork_conn_id: str = "clockwork_default", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.min_credit = min_credit
        self.clockwork_conn_id = clockwork_conn_id

    def _required(self) -> int:
        try:
            required = int(str(self.min_credit).strip())
        except ValueError:
            required = -1
        if required < 0:
            raise ValueError(f"min_credit {self.min_credit!r} must be a whole number of credits, 0 or more.")
        return required

    def poke(self, context: Context) -> bool:
        from airflow_provider_clockwork.exceptions import ClockworkSendError
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

        required = self._required()
        hook = ClockworkHook(clockwork_conn_id=self.clockwork_conn_id)
        try:
            credit = hook.get_credit()
        except ClockworkSendError as error:
            if error.permanent:
                raise
            self.log.warning("Could not read the Clockwork credit; will poke again: %s", error.reason)
            return False
        finally:
            hook.close()
        self.log.info("Clockwork credit: %d; needed: %d.", credit, required)
        return credit >= required
