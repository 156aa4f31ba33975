"""One try of a send with the retry ledger, shared by the provider's sending operators.

Both operators do the same around the hook: skip what an earlier try of the task
instance already sent (the ledger's IDs, whatever the text renders to now), record
the IDs as they arrive (:class:`Recorder`), push the IDs obtained to XCom under ``message_ids``
when the try fails, and fail with ``AirflowFailException`` when no retry can help
(see :mod:`airflow_provider_clockwork.protocol.codes`). Only what they send differs:
numbers for :class:`~airflow_provider_clockwork.operators.sms.ClockworkSendSmsOperator`,
messages for
:class:`~airflow_provider_clockwork.operators.personalised.ClockworkSendPersonalisedSmsOperator`.

The ledger is removed by a success callback (:func:`with_ledger_cleanup`), never here:
what a try sent must stay known until Airflow has recorded the success.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_clockwork.exceptions import (
    AirflowFailException,
    ClockworkRequestError,
    ClockworkSendError,
)
from airflow_provider_clockwork.ledger import MAX_CHUNK_ENTRIES, SendLedger, forget_sent_ids
from airflow_provider_clockwork.protocol.results import SendResult

PARTIAL_XCOM_KEY = "message_ids"
"""The XCom key of the IDs a failed try obtained (both sending operators use it)."""
WRITE_AFTER_SECONDS = 0.5
"""The ledger is written at least this often while answers come in (see :class:`Recorder`)."""
LISTED_AT_INFO = 10
"""Numbers named in an INFO line at most; the full list goes to DEBUG (phone numbers are personal data)."""

BatchCallback = Callable[[SendResult], None]
Send = Callable[[list[str], BatchCallback], SendResult]
"""Sends to the pending keys, calling the callback with each wave of answers (the hook's ``on_batch``)."""


@dataclass(frozen=True)
class Wording:
    """How log lines and failures name what is sent."""

    noun: str
    """``number`` or ``message``: what the keys of the result name."""
    retry_scope: str
    """What a retry sends, as a sentence."""


NUMBERS = Wording(noun="number", retry_scope="A retry sends only to the numbers without a message ID.")
MESSAGES = Wording(noun="message", retry_scope="A retry sends only the messages without a message ID.")


def with_ledger_cleanup(callbacks: Any) -> list[Any]:
    """The ledger's cleanup, then the user's success callbacks (run once Airflow recorded success)."""
    if callbacks is None:
        existing = []
    elif callable(callbacks):
        existing = [callbacks]
    else:
        existing = list(callbacks)
    return [forget_sent_ids, *(callback for callback in existing if callback is not forget_sent_ids)]


def sample(keys: Sequence[str], label: Callable[[str], str] = str) -> str:
    """At most ``LISTED_AT_INFO`` keys, then how many more: ``a, b, c and 19,990 more``."""
    shown = ", ".join(label(key) for key in keys[:LISTED_AT_INFO])
    rest = len(keys) - LISTED_AT_INFO
    return f"{shown} and {rest:,} more" if rest > 0 else shown


class Listing:
    """Every key, for a DEBUG line: joined only when that line is written, which it seldom is."""

    def __init__(self, keys: Iterable[Any], label: Callable[[Any], str] = str) -> None:
        self.keys = keys
        self.label = label

    def __str__(self) -> str:
        return ", ".join(map(self.label, self.keys))


def push_partial(context: Mapping[str, Any], keys: Sequence[str], result: SendResult) -> None:
    """The IDs obtained so far, under ``message_ids``, in the order of ``keys``."""
    ti = context.get("ti")
    if ti is not None:
        ti.xcom_push(
            key=PARTIAL_XCOM_KEY, value={k: result.message_ids[k] for k in keys if k in result.message_ids}
        )


def skip_earlier(
    log: logging.Logger | Any,
    ledger: SendLedger | None,
    keys: Sequence[str],
    result: SendResult,
    wording: Wording,
    label: Callable[[str], str],
    ledger_key: Callable[[str], str],
) -> list[str]:
    """Put earlier tries' IDs in ``result``; returns the keys still to send, in order."""
    if ledger is None:
        return list(keys)
    earlier = ledger.load()
    wanted = {ledger_key(key) for key in keys}
    for key in keys:
        if ledger_key(key) in earlier.ids:
            result.message_ids[key] = earlier.ids[ledger_key(key)]
    skipped = [key for key in keys if key in result.message_ids]
    if skipped:
        log.info(
            "%d %s(s) got a message ID in an earlier try and are skipped: %s.",
            len(skipped),
            wording.noun,
            sample(skipped, label),
        )
        log.debug("Skipped, sent in an earlier try: %s", Listing(skipped, label))
    if earlier.fingerprints - {ledger.sending}:
        log.info(
            "The text renders differently from the one an earlier try sent (e.g. a template naming the "
            "try or a time): each %s that got the earlier text is still skipped, never texted twice.",
            wording.noun,
        )
    again = [key for key in keys if key not in result.message_ids and ledger_key(key) in earlier.in_doubt]
    if again:
        log.warning(
            "%d %s(s) may have been texted by an earlier try (its request may have reached Clockwork, "
            "but no answer came back) and are sent again, so they may get the text twice: %s.",
            len(again),
            wording.noun,
            sample(again, label),
        )
    others = len(set(earlier.ids) - wanted)
    if others:
        log.info("%d %s(s) sent by an earlier try are not among this try's recipients.", others, wording.noun)
    return [key for key in keys if key not in result.message_ids]


def send_with_ledger(
    *,
    log: logging.Logger | Any,
    context: Mapping[str, Any],
    ledger: SendLedger | None,
    keys: Sequence[str],
    result: SendResult,
    send: Send,
    wording: Wording,
    log_plan: Callable[[list[str]], None],
    label: Callable[[str], str] = str,
    ledger_key: Callable[[str], str] = str,
) -> SendResult:
    """
    One try: send to the ``keys`` without an ID in ``ledger``, recording the IDs as they arrive.

    ``result`` starts empty (it may carry extra data, e.g. a personalised send's
    numbers) and is returned holding every ID, earlier tries' included. ``log_plan``
    logs what this try will send (the keys still pending). ``label`` names a key in
    messages (a personalised send shows ``client_id (number)``); ``ledger_key`` is what the
    ledger keeps a key's ID under (a personalised message's client ID *and* number).

    :raises AirflowFailException: when no retry can help (a permanent whole-request
        error, or every refusal permanent).
    :raises AirflowException: for refusals a retry may cure.
    :raises ClockworkSendError: for a request that failed otherwise (retryable), with a
        note of any IDs the ledger could not record.
    """
    pending = skip_earlier(log, ledger, keys, result, wording, label, ledger_key)
    if not pending:
        log.info("Nothing left to send: every %s got a message ID in an earlier try.", wording.noun)
        return result
    log_plan(pending)
    labels = {ledger_key(key): label(key) for key in keys}
    recorder = Recorder(log, ledger, wording, labels, ledger_key)
    try:
        try:
            result.update(send(pending, recorder.on_batch))
        finally:
            recorder.flush()  # whatever ends the send, what it obtained is recorded first
    except ClockworkSendError as error:
        result.update(error.result)
        push_partial(context, keys, result)
        recorder.note_in_doubt(error.unknown)
        error.reason += recorder.unrecorded_note()
        if isinstance(error, ClockworkRequestError) and error.permanent:
            # Every try would send the same request and get the same answer.
            raise AirflowFailException(
                f"{error} Not retried: Clockwork's Error {error.code} is permanent."
            ) from error
        raise
    log_accepted(log, result, earlier=len(keys) - len(pending), wording=wording)
    if result.errors:
        push_partial(context, keys, result)
        refused = (
            f"Clockwork refused {len(result.errors)} of {len(keys)} {wording.noun}(s): "
            f"{result.describe_errors()}. The other {len(result.message_ids)} were sent."
        )
        if all(error.permanent for error in result.errors.values()):
            raise AirflowFailException(
                f"{refused} Not retried: every refusal is permanent (a retry would get the same answer)."
                + recorder.unrecorded_note()
            )
        raise AirflowException(
            f"{refused} {wording.retry_scope}" + permanent_note(result, label) + recorder.unrecorded_note()
        )
    return result


class Recorder:
    """
    Writes the IDs of a send to the ledger as they arrive, a chunk at a time.

    IDs are held until ``MAX_CHUNK_ENTRIES`` have come or ``WRITE_AFTER_SECONDS`` have
    passed since the last write, and whatever is held is written when the send ends,
    however it ends. Inside a task each write is a call to Airflow's API; one per wave of
    answers would cost a 20,000-number send 50 calls, where this costs 20. What a lost
    worker can leave unrecorded is bounded the same way (a chunk, or half a second of
    answers), next to the requests in flight that no ledger can cover. A failed write is
    logged, its IDs stay held, and the next write takes them along.
    """

    def __init__(
        self,
        log: logging.Logger | Any,
        ledger: SendLedger | None,
        wording: Wording,
        labels: dict[str, str],
        ledger_key: Callable[[str], str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.ledger = ledger
        self.wording = wording
        self.ledger_key = ledger_key
        self.labels = labels
        """How failures name each ledger key."""
        self.clock = clock
        self._last_write = clock()

    def on_batch(self, answer: SendResult) -> None:
        if self.ledger is None or not answer.message_ids:
            return
        self.ledger.hold({self.ledger_key(key): id_ for key, id_ in answer.message_ids.items()})
        if self.clock() - self._last_write >= WRITE_AFTER_SECONDS:
            self._write()
        elif self.ledger.held >= MAX_CHUNK_ENTRIES:
            self._write(whole_chunks_only=True)

    def flush(self) -> None:
        """Write everything held (the send ended)."""
        if self.ledger is not None and self.ledger.held:
            self._write()

    def _write(self, whole_chunks_only: bool = False) -> None:
        assert self.ledger is not None
        self._last_write = self.clock()
        try:
            self.ledger.write(whole_chunks_only=whole_chunks_only)
        except Exception as error:
            # Sending goes on; a failure below names these, as a retry would send them again.
            unwritten = self.unwritten_labels()
            self.log.warning(
                "Could not write the retry ledger of %s (%s): a retry would text these %d %s(s) again "
                "unless a later write succeeds: %s",
                self.ledger.scope,
                error,
                len(unwritten),
                self.wording.noun,
                sample(unwritten),
            )

    def note_in_doubt(self, labels: Sequence[str]) -> None:
        """Record what a failed send left in doubt (named by label), for the retry to warn of."""
        if self.ledger is None or not labels:
            return
        keys_by_label = {label: key for key, label in self.labels.items()}
        try:
            self.ledger.note_in_doubt([keys_by_label.get(label, label) for label in labels])
        except Exception as error:  # the send's own failure matters more; the retry only warns less
            self.log.warning("Could not record in the retry ledger which numbers are in doubt: %s", error)

    def unwritten_labels(self) -> list[str]:
        unwritten = self.ledger.unwritten if self.ledger is not None else {}
        return [self.labels.get(key, key) for key in unwritten]

    def unrecorded_note(self) -> str:
        unwritten = self.unwritten_labels()
        if not unwritten:
            return ""
        return (
            " Texted in this try but not recorded for retries (the retry ledger could not be "
            f"written), so a retry texts them again: {', '.join(unwritten)}."
        )


def log_accepted(log: logging.Logger | Any, result: SendResult, earlier: int, wording: Wording) -> None:
    """What this try got accepted; after a retry, also how many have an ID across the tries."""
    accepted = len(result.message_ids) - earlier
    if earlier:
        log.info(
            "Clockwork accepted %d %s(s) in this try; %d have a message ID, %d of them from earlier tries.",
            accepted,
            wording.noun,
            len(result.message_ids),
            earlier,
        )
    else:
        log.info("Clockwork accepted %d %s(s).", accepted, wording.noun)


def permanent_note(result: SendResult, label: Callable[[str], str]) -> str:
    """For a retryable failure: the refusals a retry cannot cure, so the user knows what to fix."""
    permanent = [key for key, error in result.errors.items() if error.permanent]
    if not permanent:
        return ""
    return f" Refused permanently (a retry gets the same answer): {', '.join(label(k) for k in permanent)}."
