"""Operator that texts a message to one or more numbers through Clockwork.

Importing this module (which every DAG file using the operator does at each
parse) loads neither ``requests`` nor the hook: they are imported in ``execute``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_clockwork.operators._ledgered_send import PARTIAL_XCOM_KEY, with_ledger_cleanup

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_clockwork.protocol.message import Message


__all__ = ["PARTIAL_XCOM_KEY", "ClockworkSendSmsOperator"]


class ClockworkSendSmsOperator(BaseOperator):
    """
    Send one text message to every recipient through Clockwork.

    Recipients are normalised (spaces, dashes, dots, brackets and a leading ``+`` or
    ``00`` removed) and de-duplicated; they go out 50 per request. Everything is
    checked after templating and before the first request.

    On success the task returns ``{number: message_id}`` for every recipient. If
    Clockwork refuses some numbers, the others are still sent, their IDs are pushed
    to XCom under ``message_ids`` and the task fails listing each refused number with
    Clockwork's code and text. A retry of the task instance texts only the numbers
    that have no message ID yet, even when the text renders differently in the retry
    or the earlier try failed after its send: the IDs are kept in a ledger of the task
    instance (see :mod:`airflow_provider_clockwork.ledger`) that a success callback
    this operator adds removes once Airflow has recorded the success. When no retry
    can help (bad input or connection settings found before any request, every
    refusal permanent, or a permanent whole-request error such as a wrong key; see
    :mod:`airflow_provider_clockwork.protocol.codes`) the task fails with
    ``AirflowFailException`` and Airflow does not retry it.

    :param to: comma-separated numbers, or a list of numbers (strings or integers). Templated.
        None: the connection's ``to`` extra.
    :param content: the message text. Templated.
    :param sender: the ``From`` shown on phones (11 characters, or 12 digits); defaults
        to the connection's ``sender`` extra. Templated.
    :param long: allow up to 3 joined parts (459 GSM-7 or 201 Unicode characters).
    :param invalid_char_action: what to do with characters outside GSM-7. None (the
        default) sends such text as Unicode, intact, at 70 characters a message;
        ``"replace"`` (close GSM-7 equivalents: ``é``→``e``, ``’``→``'``, others ``?``) or
        ``"remove"`` keeps 160 a message; ``"error"`` fails the task before any request.
        Checked when the task runs.
    :param delivery_receipt: have Clockwork report what became of each text to a URL of
        yours (a small web service: Airflow does not receive them): the URL (form POST),
        or ``{"url": ..., "type": "get"|"post"|"xml"|"xml_batch", "content": {...}}`` where
        ``content`` holds your own values, e.g. ``{"run_id": "{{ run_id }}"}``, sent back
        with every receipt. Templated. Such texts go through Clockwork's XML interface.
    :param clockwork_conn_id: the Clockwork connection.
    :param max_concurrent_requests: how many requests of 50 numbers are in flight at
        once; overrides the connection's ``max_concurrent_requests`` extra (default 4).
        1 sends them one after another. Checked when the task runs.
    """

    template_fields: Sequence[str] = ("to", "content", "sender", "delivery_receipt")
    ui_color = "#f5c542"

    def __init__(
        self,
        *,
        to: str | int | Sequence[str | int] | None = None,
        content: str,
        sender: str | None = None,
        long: bool = False,
        invalid_char_action: str | None = None,
        delivery_receipt: str | Mapping[str, Any] | None = None,
        clockwork_conn_id: str = "clockwork_default",
        max_concurrent_requests: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.on_success_callback = with_ledger_cleanup(self.on_success_callback)
        self.to = to
        self.content = content
        self.sender = sender
        self.long = long
        self.invalid_char_action = invalid_char_action
        self.delivery_receipt = delivery_receipt
        self.clockwork_conn_id = clockwork_conn_id
        self.max_concurrent_requests = max_concurrent_requests

    def execute(self, context: Context) -> dict[str, str]:
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
        from airflow_provider_clockwork.ledger import SendLedger, fingerprint
        from airflow_provider_clockwork.operators._ledgered_send import NUMBERS, send_with_ledger
        from airflow_provider_clockwork.protocol.results import SendResult

        hook = ClockworkHook(
            clockwork_conn_id=self.clockwork_conn_id, max_concurrent_requests=self.max_concurrent_requests
        )
        numbers, message = hook.prepare(
            self.to, self.content, self.sender, self.long, self.invalid_char_action, self.delivery_receipt
        )
        ledger = SendLedger.for_task(context, fingerprint(message.content, message.sender, message.long))
        try:
            result = send_with_ledger(
                log=self.log,
                context=context,
                ledger=ledger,
                keys=numbers,
                result=SendResult(),
                send=lambda pending, on_batch: hook.send_message(pending, message, on_batch=on_batch),
                wording=NUMBERS,
                log_plan=lambda pending: self._log_plan(pending, message),
            )
        finally:
            hook.close()
        return {number: result.message_ids[number] for number in numbers}

    def _log_plan(self, numbers: list[str], message: Message) -> None:
        from airflow_provider_clockwork.operators._ledgered_send import Listing, sample

        self.log.info(
            "Texting %d number(s) (%s), %d %s character(s) in %d part(s), about %d credit(s).",
            len(numbers),
            sample(numbers),
            message.measure.length,
            message.measure.encoding,
            message.measure.parts,
            message.measure.parts * len(numbers),
        )
        self.log.debug("Texting: %s", Listing(numbers))
        if message.invalid_char_action is not None and message.arrives_as != message.content:
            self.log.info(
                "invalid_char_action=%r: the text arrives as %r.",
                message.invalid_char_action.name.lower(),
                message.arrives_as,
            )
