"""One try of a send with the retry ledger, shared by the provider's sending operators.

Both operators do the same around the hook: skip what an earlier try of the task
instance already sent (the ledger's IDs), record every batch's IDs as they arrive,
push the IDs obtained to XCom under ``message_ids`` when the try fails, and fail
with ``AirflowFailException`` when no retry can help (see
:mod:`airflow_provider_clockwork.protocol.codes`). Only what they send differs:
numbers for :class:`~airflow_provider_clockwork.operators.sms.ClockworkSendSmsOperator`,
client IDs for
:class:`~airflow_provider_clockwork.operators.personalised.ClockworkSendPersonalisedSmsOperator`.

Imported by the operators' ``execute`` only, so a DAG file's parse never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_clockwork.exceptions import (
    AirflowFailException,
    ClockworkRequestError,
    ClockworkSendError,
)
from airflow_provider_clockwork.ledger import SendLedger
from airflow_provider_clockwork.operators.sms import PARTIAL_XCOM_KEY
from airflow_provider_clockwork.protocol.results import SendResult

BatchCallback = Callable[[SendResult], None]
Send = Callable[[list[str], BatchCallback], SendResult]
"""Sends to the pending keys, calling the callback with each batch's answer (the hook's ``on_batch``)."""


@dataclass(frozen=True)
class Wording:
    """How log lines and failures name what is sent."""

    noun: str
    """``number`` or ``message``: what the keys of the result name."""
    skipped: str
    """Why keys with an ID are skipped, after "N {noun}(s) ..."."""
    retry_scope: str
    """What a retry sends, as a sentence."""


NUMBERS = Wording(
    noun="number",
    skipped="already got this message in an earlier try and are skipped",
    retry_scope="A retry sends only to the numbers without a message ID.",
)
MESSAGES = Wording(
    noun="message",
    skipped="already got a message ID in an earlier try and are skipped",
    retry_scope="A retry sends only the messages without a message ID.",
)


def push_partial(context: Mapping[str, Any], keys: Sequence[str], result: SendResult) -> None:
    """The IDs obtained so far, under ``message_ids``, in the order of ``keys``."""
    ti = context.get("ti")
    if ti is not None:
        ti.xcom_push(
            key=PARTIAL_XCOM_KEY, value={k: result.message_ids[k] for k in keys if k in result.message_ids}
        )


def send_with_ledger(
    *,
    log: logging.Logger | Any,
    context: Mapping[str, Any],
    ledger: SendLedger | None,
    keys: Sequence[str],
    result: SendResult,
    send: Send,
    wording: Wording,
    label: Callable[[str], str] = str,
) -> SendResult:
    """
    One try: send to the ``keys`` without an ID in ``ledger``, recording each batch's IDs.

    ``result`` starts empty (it may carry extra data, e.g. a personalised send's
    numbers) and is returned holding every ID, earlier tries' included. ``label``
    names a key in messages (a personalised send shows ``client_id (number)``).

    :raises AirflowFailException: when no retry can help (a permanent whole-request
        error, or every refusal permanent).
    :raises AirflowException: for refusals a retry may cure.
    :raises ClockworkSendError: for a request that failed otherwise (retryable), with a
        note of any IDs the ledger could not record.
    """
    earlier = ledger.load() if ledger is not None else {}
    result.message_ids.update({k: earlier[k] for k in keys if k in earlier})
    pending = [k for k in keys if k not in result.message_ids]
    if result.message_ids:
        log.info(
            "%d %s(s) %s: %s",
            len(result.message_ids),
            wording.noun,
            wording.skipped,
            ", ".join(label(k) for k in result.message_ids),
        )
    unrecorded: dict[str, str] = {}

    def on_batch(answer: SendResult) -> None:
        if ledger is None or not answer.message_ids:
            return
        try:
            ledger.record(answer.message_ids)
        except Exception as error:
            # Sending goes on; a failure below names these, as a retry sends them again.
            unrecorded.update(answer.message_ids)
            log.warning(
                "Could not write the retry ledger %s (%s): a retry would text these %d %s(s) again: %s",
                ledger.key,
                error,
                len(answer.message_ids),
                wording.noun,
                ", ".join(label(k) for k in answer.message_ids),
            )
        else:
            unrecorded.clear()  # each write stores every ID so far

    def unrecorded_note() -> str:
        if not unrecorded:
            return ""
        return (
            " Texted in this try but not recorded for retries (the retry ledger could not be "
            f"written), so a retry texts them again: {', '.join(label(k) for k in unrecorded)}."
        )

    try:
        result.update(send(pending, on_batch))
    except ClockworkSendError as error:
        result.update(error.result)
        push_partial(context, keys, result)
        error.reason += unrecorded_note()
        if isinstance(error, ClockworkRequestError) and error.permanent:
            # Every try would send the same request and get the same answer.
            raise AirflowFailException(
                f"{error} Not retried: Clockwork's Error {error.code} is permanent."
            ) from error
        raise
    log.info("Clockwork accepted %d %s(s).", len(result.message_ids), wording.noun)
    if result.errors:
        push_partial(context, keys, result)
        refused = (
            f"Clockwork refused {len(result.errors)} of {len(keys)} {wording.noun}(s): "
            f"{result.describe_errors()}. The other {len(result.message_ids)} were sent."
        )
        if all(error.permanent for error in result.errors.values()):
            raise AirflowFailException(
                f"{refused} Not retried: every refusal is permanent (a retry would get the same answer)."
                + unrecorded_note()
            )
        raise AirflowException(
            f"{refused} {wording.retry_scope}" + permanent_note(result, label) + unrecorded_note()
        )
    return result


def permanent_note(result: SendResult, label: Callable[[str], str]) -> str:
    """For a retryable failure: the refusals a retry cannot cure, so the user knows what to fix."""
    permanent = [key for key, error in result.errors.items() if error.permanent]
    if not permanent:
        return ""
    return f" Refused permanently (a retry gets the same answer): {', '.join(label(k) for k in permanent)}."


def clear_ledger(log: logging.Logger | Any, ledger: SendLedger | None) -> None:
    """After a successful send: the ledger is no longer needed."""
    if ledger is None:
        return
    try:
        ledger.clear()
    except Exception as error:  # everything was sent: a leftover ledger only costs space
        log.warning("Could not delete the retry ledger %s: %s", ledger.key, error)
