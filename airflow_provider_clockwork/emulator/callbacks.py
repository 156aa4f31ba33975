"""The emulator's calls out: delivery receipts to a message's ``DlrUrl``, inbound texts to the inbound URL.

Clockwork calls its users back, so the emulator does too, over real HTTP. Every call
goes through one background thread with a queue, never from a request handler: a
slow or dead receiver must not hold up a send's reply. Each call has a short timeout
and at most :data:`MAX_TRIES` tries, and :meth:`CallbackWorker.stop` cuts a call in
flight short, so a receiver that hangs can neither hang a test nor outlive the
emulator. Standard library only (``http.client``), like the rest of the emulator.
"""

from __future__ import annotations

import http.client
import logging
import queue
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_clockwork.emulator.state import DeliveryPlan, EmulatorState, ReceiptRecord
from airflow_provider_clockwork.protocol import delivery, inbound
from airflow_provider_clockwork.protocol.delivery import DeliveryReceipt, DeliveryState
from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.recipients import normalise_number
from airflow_provider_clockwork.protocol.xml_api import CONTENT_TYPE as XML_TEXT
from airflow_provider_clockwork.protocol.xml_api import XmlSms

logger = logging.getLogger("airflow_provider_clockwork.emulator")

CALLBACK_TIMEOUT_SECONDS = 5.0
MAX_TRIES = 3
RETRY_PAUSE_SECONDS = 0.2
USER_AGENT = "ClockworkEmulator/1.0"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
INBOUND_FORMATS = ("form", "xml")
DEFAULT_INBOUND_NUMBER = "447700900000"
"""The account's own number that emulated inbound texts are sent to, unless a test names another."""

_Attempt = Callable[[int, int | None, str | None], None]
"""Told of each try: its number (1, 2, ...), then the HTTP status or the error."""


def check_callback_url(url: str) -> str:
    """The URL, if it is one the emulator will call: ``http`` or ``https`` with a host (never ``file:``).

    The same rule the provider applies to the ``DlrUrl`` it sends.
    """
    return delivery.check_receipt_url(url)


@dataclass(frozen=True)
class Callback:
    """One HTTP request to make, and who to tell how each try went."""

    method: str
    url: str
    body: bytes | None
    content_type: str | None
    on_attempt: _Attempt
    what: str
    """For the log line, e.g. ``receipt DELIVRD for AB_00001``."""


def _worth_retrying(http_status: int | None) -> bool:
    """No answer, or a server error: the receiver may do better next time. A 4xx will not change."""
    return http_status is None or http_status >= 500


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s"
    return f"{type(error).__name__}: {error}"


class CallbackWorker:
    """One daemon thread making queued HTTP calls in order, each with bounded tries and timeouts."""

    def __init__(
        self,
        announce: Callable[[str], None],
        timeout: float = CALLBACK_TIMEOUT_SECONDS,
        tries: int = MAX_TRIES,
    ) -> None:
        self._announce = announce
        self._timeout = timeout
        self._tries = tries
        self._queue: queue.Queue[Callback | None] = queue.Queue()
        self._stopping = threading.Event()
        self._pending = 0
        self._idle = threading.Condition()
        self._current_lock = threading.Lock()
        self._current: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(target=self._run, name="clockwork-emulator-callbacks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, callback: Callback) -> bool:
        """Queue a call; False (and nothing queued) once the worker is stopping."""
        if self._stopping.is_set():
            return False
        with self._idle:
            self._pending += 1
        self._queue.put(callback)
        return True

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued callback has been made (all its tries); False if ``timeout`` ran
        out or the worker stopped first."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0 or self._stopping.is_set(), timeout)
            return self._pending == 0

    def stop(self, timeout: float) -> None:
        """Cut the call in flight short, drop what is still queued, and wait (bounded) for the thread.

        A call still connecting cannot be cut; it ends within the call timeout, after ``stop``
        has stopped waiting for it (the thread is a daemon).
        """
        self._stopping.set()
        with self._idle:
            self._idle.notify_all()  # a wait_idle in progress returns now
        with self._current_lock:
            connection = self._current
        if connection is not None and connection.sock is not None:
            with suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        self._queue.put(None)
        self._thread.join(timeout)
        while True:
            try:
                dropped = self._queue.get_nowait()
            except queue.Empty:
                break
            if dropped is not None:
                self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        while not self._stopping.is_set():
            callback = self._queue.get()
            if callback is None:
                return
            try:
                self._make(callback)
            except Exception:
                logger.error("emulator: callback %s to %s failed", callback.what, callback.url, exc_info=True)
            finally:
                self._done()

    def _make(self, callback: Callback) -> None:
        for attempt in range(1, self._tries + 1):
            http_status, error = self._call(callback)
            outcome = f"HTTP {http_status}" if http_status is not None else error
            where = _without_query(callback.url)
            self._announce(f"emulator: {callback.what} to {where} (try {attempt}): {outcome}")
            callback.on_attempt(attempt, http_status, error)
            if not _worth_retrying(http_status) or attempt == self._tries:
                return
            if self._stopping.wait(RETRY_PAUSE_SECONDS * attempt):
                return

    def _call(self, callback: Callback) -> tuple[int | None, str | None]:
        parts = urlsplit(callback.url)
        https = parts.scheme.lower() == "https"
        factory = http.client.HTTPSConnection if https else http.client.HTTPConnection
        connection = factory(parts.hostname or "", parts.port, timeout=self._timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": USER_AGENT}
        if callback.content_type is not None:
            headers["Content-Type"] = callback.content_type
        with self._current_lock:
            self._current = connection
        try:
            connection.request(callback.method, target, body=callback.body, headers=headers)
            # Only the status matters; the body is not read, so a receiver cannot stall us with it.
            return connection.getresponse().status, None
        except (OSError, http.client.HTTPException) as error:
            if self._stopping.is_set():
                return None, "cut short: the emulator stopped"
            return None, _describe(error, self._timeout)
        finally:
            with self._current_lock:
                self._current = None
            connection.close()


# ---------------------------------------------------------------------------
# What the emulator owes: receipts for accepted XML messages, inbound texts.


@dataclass(frozen=True)
class _Owed:
    """One receipt to send for one accepted message."""

    dlr_type: int
    url: str
    receipt: DeliveryReceipt


def _without_query(url: str) -> str:
    """The URL for a log line: its query may hold a receiver's secret token (``?token=...``)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment=""))


def _with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined, fragment=""))


def _receipt(
    message_id: str, to: str, status: str, err_code: int, detail: str, extra: dict[str, str]
) -> DeliveryReceipt:
    return DeliveryReceipt(
        message_id=message_id,
        to=to,
        state=DeliveryState.from_status(status),
        status=status,
        detail=detail,
        error_code=err_code,
        extra=extra,
    )


def _planned_receipts(
    message_id: str, sms: XmlSms, plan: DeliveryPlan
) -> tuple[DeliveryReceipt | None, DeliveryReceipt]:
    """The interim receipt (if the plan has one) and the final one, with the sender's ``DlrContent``."""
    extra = delivery.parse_dlr_content(sms.dlr_content)
    interim = None
    if plan.interim is not None:
        state = DeliveryState.from_status(plan.interim)
        interim = _receipt(message_id, sms.to, plan.interim, 0, state.description, extra)
    return interim, _receipt(message_id, sms.to, plan.status, plan.err_code, plan.final_detail, extra)


def _receipt_request(
    dlr_type: int, url: str, receipts: list[DeliveryReceipt]
) -> tuple[str, str, bytes | None, str | None]:
    """Method, URL, body and content type of the call carrying these receipts, by ``DlrType``."""
    if dlr_type == 1:
        return "GET", _with_query(url, delivery.format_form_receipt(receipts[0])), None, None
    if dlr_type == 2:
        return "POST", url, delivery.format_form_receipt(receipts[0]).encode("utf-8"), FORM_TYPE
    if dlr_type == 3:
        return "POST", url, delivery.format_xml_receipt(receipts[0]), XML_TEXT
    return "POST", url, delivery.format_xml_receipts(receipts), XML_TEXT


class Callbacks:
    """Turns accepted messages into receipts and handsets' texts into inbound calls; records each."""

    def __init__(self, state: EmulatorState, worker: CallbackWorker) -> None:
        self._state = state
        self._worker = worker
        self._held_lock = threading.Lock()
        self._held: list[tuple[int, list[_Owed]]] = []
        """Receipts of messages planned with ``hold``: (generation, [interim?, final]) per message."""

    def wait_idle(self, timeout: float) -> bool:
        return self._worker.wait_idle(timeout)

    # -- delivery receipts --

    def owe_receipts(self, accepted: Sequence[tuple[XmlSms, str]]) -> None:
        """Queue the receipts of one send request's accepted messages: interim ones first, then final ones."""
        generation = self._state.generation
        interim: list[_Owed] = []
        final: list[_Owed] = []
        for sms, message_id in accepted:
            if sms.dlr_url is None:
                continue
            if sms.dlr_type is None:
                reason = "not sent: the <SMS> has a DlrUrl but no DlrType of 1 to 4"
                self._record(generation, [_bare(message_id, sms)], sms.dlr_url, None, error=reason)
                continue
            try:
                check_callback_url(sms.dlr_url)
            except ValueError as error:
                self._record(
                    generation,
                    [_bare(message_id, sms)],
                    sms.dlr_url,
                    sms.dlr_type,
                    error=f"not sent: {error}",
                )
                continue
            plan = self._state.delivery_for(sms.to)
            first, last = _planned_receipts(message_id, sms, plan)
            owed = [_Owed(sms.dlr_type, sms.dlr_url, r) for r in (first, last) if r is not None]
            if plan.hold:
                with self._held_lock:
                    self._held.append((generation, owed))
                continue
            interim.extend(owed[:-1])
            final.append(owed[-1])
        for phase in (interim, final):
            self._queue_phase(phase, generation)

    def release_receipts(self) -> int:
        """Queue every receipt held back so far (interim ones first), as if the phones came on.

        Returns how many messages' receipts were released; held receipts of a state reset
        since are dropped.
        """
        with self._held_lock:
            held, self._held = self._held, []
        current = [owed for generation, owed in held if generation == self._state.generation]
        for phase in ([o for owed in current for o in owed[:-1]], [owed[-1] for owed in current]):
            self._queue_phase(phase, self._state.generation)
        return len(current)

    def _queue_phase(self, owed: list[_Owed], generation: int) -> None:
        """Types 1-3: one call per receipt. Type 4: one POST per URL, up to 100 receipts each."""
        batches: dict[str, list[DeliveryReceipt]] = {}
        for item in owed:
            if item.dlr_type == 4:
                batches.setdefault(item.url, []).append(item.receipt)
            else:
                self._send_receipts(generation, item.dlr_type, item.url, [item.receipt])
        size = delivery.MAX_RECEIPTS_PER_XML_POST
        for url, receipts in batches.items():
            for start in range(0, len(receipts), size):
                self._send_receipts(generation, 4, url, receipts[start : start + size])

    def _send_receipts(
        self, generation: int, dlr_type: int, url: str, receipts: list[DeliveryReceipt]
    ) -> None:
        number = self._state.next_callback_number()
        method, target, body, content_type = _receipt_request(dlr_type, url, receipts)

        def on_attempt(attempt: int, http_status: int | None, error: str | None) -> None:
            self._record(
                generation,
                receipts,
                url,
                dlr_type,
                callback=number,
                attempt=attempt,
                method=method,
                http_status=http_status,
                error=error,
            )

        first = receipts[0]
        single = f"receipt {first.status} for {first.message_id}"
        what = single if len(receipts) == 1 else f"{len(receipts)} receipts"
        self._worker.submit(Callback(method, target, body, content_type, on_attempt, what))

    def _record(
        self,
        generation: int,
        receipts: Iterable[DeliveryReceipt],
        url: str,
        dlr_type: int | None,
        *,
        callback: int | None = None,
        attempt: int = 0,
        method: str | None = None,
        http_status: int | None = None,
        error: str | None = None,
    ) -> None:
        """One record per receipt of a try (or of a receipt that could not be sent: attempt 0)."""
        self._state.record_receipts(
            generation,
            [
                ReceiptRecord(
                    callback=callback,
                    attempt=attempt,
                    message_id=receipt.message_id,
                    to=receipt.to,
                    url=url,
                    dlr_type=dlr_type,
                    method=method,
                    status=receipt.status or None,
                    err_code=receipt.error_code,
                    detail=receipt.detail,
                    extra=dict(receipt.extra),
                    http_status=http_status,
                    error=error,
                )
                for receipt in receipts
            ],
        )

    # -- inbound messages --

    def receive_sms(self, from_number: object, content: str, to_number: object) -> dict[str, Any]:
        """Record a text from a handset to the account and queue its forwarding to the inbound URL."""
        url = self._state.inbound_url
        if url is None:
            raise ValueError("no inbound URL is set: give inbound_url= (or --inbound-url) first")
        sender = _inbound_number("from_number", from_number)
        to = _inbound_number("to_number", to_number)
        inbound.check_inbound_content(content)  # an InvalidInputError is a ValueError
        form = self._state.inbound_format
        record = self._state.record_inbound(sender, to, content, url, form)
        message = inbound.InboundMessage(record["id"], sender, to, content)
        if form == "xml":
            body, content_type = inbound.format_xml_inbound(message), XML_TEXT
        else:
            body, content_type = inbound.format_form_inbound(message).encode("utf-8"), FORM_TYPE

        def on_attempt(attempt: int, http_status: int | None, error: str | None) -> None:
            self._state.record_inbound_attempt(
                message.message_id, {"attempt": attempt, "http_status": http_status, "error": error}
            )

        self._worker.submit(
            Callback("POST", url, body, content_type, on_attempt, f"inbound {message.message_id}")
        )
        return record


def _bare(message_id: str, sms: XmlSms) -> DeliveryReceipt:
    """The stand-in for a receipt never built, so that its record still names the message."""
    return DeliveryReceipt(message_id, sms.to, DeliveryState.UNKNOWN, "")


def _inbound_number(role: str, value: object) -> str:
    try:
        return normalise_number(value)
    except InvalidInputError:
        raise ValueError(
            f"{role} {value!r} is not an international number (7 to 15 digits with the country code, "
            f"e.g. 447700900123)"
        ) from None


def check_inbound_format(name: str) -> str:
    if name not in INBOUND_FORMATS:
        raise ValueError(f"inbound format {name!r} is not one of {', '.join(INBOUND_FORMATS)}")
    return name
