"""Operator that sends each person their own text through Clockwork's XML interface.

Importing this module (which every DAG file using the operator does at each
parse) loads neither ``requests`` nor the hook: they are imported in ``execute``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_clockwork.operators._ledgered_send import PARTIAL_XCOM_KEY, with_ledger_cleanup

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_clockwork.protocol.personalised import PersonalisedSms

__all__ = ["PARTIAL_XCOM_KEY", "ClockworkSendPersonalisedSmsOperator"]


class ClockworkSendPersonalisedSmsOperator(BaseOperator):
    """
    Send a different text to each number: up to 500 messages per request.

    Each message is a mapping ``{"to": number, "content": text}`` with the optional
    keys ``sender`` (default: the connection's ``sender`` extra), ``long`` (a bool),
    ``client_id`` (your name for the message; default its index in the list, as
    a string), ``invalid_char_action`` (``"replace"``, ``"remove"`` or ``"error"`` to
    keep that text to GSM-7) and ``delivery_receipt`` (a URL, or ``{"url", "type"?,
    "content"?}``), both as for
    :class:`~airflow_provider_clockwork.operators.sms.ClockworkSendSmsOperator`.
    Client IDs must be unique; one number may get several messages. Every message is
    checked after templating and before the first request, and a bad one fails the
    task naming its index and value.

    On success the task returns ``{client_id: message_id}`` for every message. If
    Clockwork refuses some messages, the others are still sent, their IDs are pushed
    to XCom under ``message_ids`` and the task fails listing each refused
    ``client_id (number)`` with Clockwork's code and text (``AirflowFailException``,
    without retries, when every refusal is permanent). A retry of the task instance
    sends only the messages whose ``client_id`` and number have no message ID yet,
    whatever their text renders to now (see :mod:`airflow_provider_clockwork.ledger`).

    :param messages: a list of message mappings, or an upstream task's output
        (``XComArg``) holding one. Templated: strings inside the mappings are rendered.
    :param clockwork_conn_id: the Clockwork connection.
    :param max_concurrent_requests: how many requests of 500 messages are in flight at
        once; overrides the connection's ``max_concurrent_requests`` extra (default 4).
        1 sends them one after another. Checked when the task runs.
    """

    template_fields: Sequence[str] = ("messages",)
    ui_color = "#f5c542"

    def __init__(
        self,
        *,
        messages: Any,
        clockwork_conn_id: str = "clockwork_default",
        max_concurrent_requests: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.on_success_callback = with_ledger_cleanup(self.on_success_callback)
        self.messages = messages
        self.clockwork_conn_id = clockwork_conn_id
        self.max_concurrent_requests = max_concurrent_requests

    def execute(self, context: Context) -> dict[str, str]:
        from airflow_provider_clockwork.exceptions import ClockworkInputError
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
        from airflow_provider_clockwork.ledger import SendLedger, fingerprint
        from airflow_provider_clockwork.operators._ledgered_send import MESSAGES, send_with_ledger
        from airflow_provider_clockwork.protocol.personalised import PersonalisedResult

        if isinstance(self.messages, str):
            raise ClockworkInputError(
                f"messages rendered to a string ({self.messages[:80]!r}), not a list of mappings: pass "
                "the list itself or an upstream task's output (XComArg), or render templates as "
                "native objects (render_template_as_native_obj=True on the DAG)."
            )
        hook = ClockworkHook(
            clockwork_conn_id=self.clockwork_conn_id, max_concurrent_requests=self.max_concurrent_requests
        )
        prepared = hook.prepare_messages(self.messages)
        by_id = {sms.client_id: sms for sms in prepared}
        sending = fingerprint([[sms.client_id, sms.to, sms.message.content] for sms in prepared])
        ledger = SendLedger.for_task(context, sending)
        result = PersonalisedResult(numbers={sms.client_id: sms.to for sms in prepared})
        try:
            send_with_ledger(
                log=self.log,
                context=context,
                ledger=ledger,
                keys=list(by_id),
                result=result,
                send=lambda pending, on_batch: hook.send_messages(
                    [by_id[client_id] for client_id in pending], on_batch=on_batch
                ),
                wording=MESSAGES,
                log_plan=lambda pending: self._log_plan([by_id[client_id] for client_id in pending]),
                label=result.label,
                ledger_key=lambda client_id: json.dumps([client_id, by_id[client_id].to]),
            )
        finally:
            hook.close()
        return {client_id: result.message_ids[client_id] for client_id in by_id}

    def _log_plan(self, messages: list[PersonalisedSms]) -> None:
        from airflow_provider_clockwork.operators._ledgered_send import Listing, sample
        from airflow_provider_clockwork.protocol.personalised import MAX_MESSAGES_PER_XML_REQUEST

        requests = -(-len(messages) // MAX_MESSAGES_PER_XML_REQUEST)
        unicode = sum(1 for sms in messages if sms.message.needs_unicode)
        altered = [sms.label for sms in messages if sms.message.arrives_as != sms.message.content]
        self.log.info(
            "Sending %d personalised message(s) to %d number(s) (%d in Unicode, %d altered by "
            "invalid_char_action) in %d request(s), about %d credit(s).",
            len(messages),
            len({sms.to for sms in messages}),
            unicode,
            len(altered),
            requests,
            sum(sms.message.measure.parts for sms in messages),
        )
        self.log.debug("Sending: %s", Listing(messages, lambda sms: sms.label))
        if altered:
            self.log.info("Characters outside GSM-7 replaced or removed in: %s.", sample(altered))
