"""Operator that texts a message to one or more numbers through Clockwork.

Importing this module (which every DAG file using the operator does at each
parse) loads neither ``requests`` nor the hook: they are imported in ``execute``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, BaseOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
    from airflow_provider_clockwork.ledger import SendLedger
    from airflow_provider_clockwork.protocol.message import Message
    from airflow_provider_clockwork.protocol.results import SendResult

PARTIAL_XCOM_KEY = "message_ids"


class ClockworkSendSmsOperator(BaseOperator):
    """
    Send one text message to every recipient through Clockwork.

    Recipients are normalised (spaces, dashes, dots, brackets and a leading ``+`` or
    ``00`` removed) and de-duplicated; they go out 50 per request. Everything is
    checked after templating and before the first request.

    On success the task returns ``{number: message_id}`` for every recipient. If
    Clockwork refuses some numbers, the others are still sent, their IDs are pushed
    to XCom under ``message_ids`` and the task fails listing each refused number with
    Clockwork's code and text. A retry of the task texts only the numbers that have
    no message ID yet (see :mod:`airflow_provider_clockwork.ledger`). When no retry
    can help (every refusal permanent, or a permanent whole-request error such as a
    wrong key; see :mod:`airflow_provider_clockwork.protocol.codes`) the task fails
    with ``AirflowFailException`` and Airflow does not retry it.

    :param to: comma-separated numbers, or a list of numbers (strings or integers). Templated.
    :param content: the message text. Templated.
    :param sender: the ``From`` shown on phones (11 characters, or 12 digits); defaults
        to the connection's ``sender`` extra. Templated.
    :param long: allow up to 3 joined parts (459 GSM-7 or 201 Unicode characters).
    :param clockwork_conn_id: the Clockwork connection.
    :param max_concurrent_requests: how many requests of 50 numbers are in flight at
        once; overrides the connection's ``max_concurrent_requests`` extra (default 4).
        1 sends them one after another. Checked when the task runs.
    """

    template_fields: Sequence[str] = ("to", "content", "sender")
    ui_color = "#f5c542"

    def __init__(
        self,
        *,
        to: str | int | Sequence[str | int],
        content: str,
        sender: str | None = None,
        long: bool = False,
        clockwork_conn_id: str = "clockwork_default",
        max_concurrent_requests: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.content = content
        self.sender = sender
        self.long = long
        self.clockwork_conn_id = clockwork_conn_id
        self.max_concurrent_requests = max_concurrent_requests

    def execute(self, context: Context) -> dict[str, str]:
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
        from airflow_provider_clockwork.ledger import SendLedger

        hook = ClockworkHook(
            clockwork_conn_id=self.clockwork_conn_id, max_concurrent_requests=self.max_concurrent_requests
        )
        numbers, message = hook.prepare(self.to, self.content, self.sender, self.long)
        self._log_plan(numbers, message)
        ledger = SendLedger.for_task(context, message)
        try:
            result = self._send(hook, numbers, message, ledger, context)
        finally:
            hook.close()
        if ledger is not None:
            try:
                ledger.clear()
            except Exception as error:  # everyone was texted: a leftover ledger only costs space
                self.log.warning("Could not delete the retry ledger %s: %s", ledger.key, error)
        return {number: result.message_ids[number] for number in numbers}

    def _log_plan(self, numbers: list[str], message: Message) -> None:
        self.log.info(
            "Texting %d number(s): %s, %d %s character(s) in %d part(s), about %d credit(s).",
            len(numbers),
            ", ".join(numbers),
            message.measure.length,
            message.measure.encoding,
            message.measure.parts,
            message.measure.parts * len(numbers),
        )

    def _send(
        self,
        hook: ClockworkHook,
        numbers: list[str],
        message: Message,
        ledger: SendLedger | None,
        context: Context,
    ) -> SendResult:
        from airflow_provider_clockwork.exceptions import (
            AirflowFailException,
            ClockworkRequestError,
            ClockworkSendError,
        )
        from airflow_provider_clockwork.protocol.codes import is_permanent
        from airflow_provider_clockwork.protocol.results import SendResult

        earlier = ledger.load() if ledger is not None else {}
        result = SendResult(message_ids={n: earlier[n] for n in numbers if n in earlier})
        pending = [number for number in numbers if number not in result.message_ids]
        if result.message_ids:
            self.log.info(
                "%d number(s) already got this message in an earlier try and are skipped: %s",
                len(result.message_ids),
                ", ".join(result.message_ids),
            )
        unrecorded: dict[str, str] = {}

        def on_batch(answer: SendResult) -> None:
            if ledger is None or not answer.message_ids:
                return
            try:
                ledger.record(answer.message_ids)
            except Exception as error:
                # Sending goes on; a failure below names these numbers, as a retry texts them again.
                unrecorded.update(answer.message_ids)
                self.log.warning(
                    "Could not write the retry ledger %s (%s): a retry would text these %d number(s) "
                    "again: %s",
                    ledger.key,
                    error,
                    len(answer.message_ids),
                    ", ".join(answer.message_ids),
                )
            else:
                unrecorded.clear()  # each write stores every ID so far

        def unrecorded_note() -> str:
            if not unrecorded:
                return ""
            return (
                " Texted in this try but not recorded for retries (the retry ledger could not be "
                f"written), so a retry texts them again: {', '.join(unrecorded)}."
            )

        try:
            result.update(hook.send_message(pending, message, on_batch=on_batch))
        except ClockworkSendError as error:
            result.update(error.result)
            self._push_partial(context, numbers, result)
            error.reason += unrecorded_note()
            if isinstance(error, ClockworkRequestError) and is_permanent(error.code):
                # Every try would send the same request and get the same answer.
                raise AirflowFailException(
                    f"{error} Not retried: Clockwork's Error {error.code} is permanent."
                ) from error
            raise
        self.log.info("Clockwork accepted %d number(s).", len(result.message_ids))
        if result.errors:
            self._push_partial(context, numbers, result)
            refused = (
                f"Clockwork refused {len(result.errors)} of {len(numbers)} number(s): "
                f"{result.describe_errors()}. The other {len(result.message_ids)} were sent."
            )
            if all(is_permanent(error.code) for error in result.errors.values()):
                raise AirflowFailException(
                    f"{refused} Not retried: every refusal is permanent (a retry would get the same answer)."
                    + unrecorded_note()
                )
            raise AirflowException(
                f"{refused} A retry sends only to the numbers without a message ID." + unrecorded_note()
            )
        return result

    def _push_partial(self, context: Context, numbers: list[str], result: SendResult) -> None:
        ti = context.get("ti")
        if ti is not None:
            sent = {n: result.message_ids[n] for n in numbers if n in result.message_ids}
            ti.xcom_push(key=PARTIAL_XCOM_KEY, value=sent)
