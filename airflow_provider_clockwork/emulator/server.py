"""A local Clockwork: the HTTP server, the send rules it applies, and :class:`ClockworkEmulator`.

Every reply is formatted by :mod:`airflow_provider_clockwork.protocol`, the same
module the hook parses replies with, and every number and content rule comes
from there too; this module only decides which outcome each request gets. Where
Clockwork's behaviour is unconfirmed the choice made here is listed in
``docs/emulator.md``.

Only the standard library and the protocol package are imported: the pytest
plugin loads this module in every test run, before Airflow is configured.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import struct
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import Any, ClassVar, Protocol
from urllib.parse import SplitResult, parse_qsl, urlsplit

from airflow_provider_clockwork.emulator.callbacks import (
    DEFAULT_INBOUND_NUMBER,
    Callbacks,
    CallbackWorker,
    check_callback_url,
    check_inbound_format,
)
from airflow_provider_clockwork.emulator.faults import (
    DELAY,
    DRIP,
    GARBAGE,
    MAX_FAULT_SECONDS,
    RESET_AFTER,
    RESET_BEFORE,
    STATUS,
    STATUS_AFTER,
    TRUNCATE,
    Fault,
    as_fault,
    fault_from_dict,
)
from airflow_provider_clockwork.emulator.state import (
    DEFAULT_PRICE_PER_CREDIT,
    EmulatorState,
    MessageRecord,
    delivery_plan,
)
from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode
from airflow_provider_clockwork.protocol.delivery import DeliveryState
from airflow_provider_clockwork.protocol.errors import InvalidInputError, UnreadableReplyError, enum_choice
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction, TextMeasure, is_gsm7, measure
from airflow_provider_clockwork.protocol.message import check_content
from airflow_provider_clockwork.protocol.personalised import MAX_MESSAGES_PER_XML_REQUEST
from airflow_provider_clockwork.protocol.recipients import MAX_RECIPIENTS_PER_REQUEST, is_international_number
from airflow_provider_clockwork.protocol.results import SmsError

logger = logging.getLogger("airflow_provider_clockwork.emulator")

PLAIN_TEXT = "text/plain; charset=utf-8"
XML_TEXT = xml_api.CONTENT_TYPE
HTML_TEXT = "text/html; charset=utf-8"
JSON_TEXT = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"

INSPECTION_PREFIX = "/_emulator/"
CREDIT_PATH = http_api.CREDIT_PATH
MAX_XML_MESSAGES_PER_REQUEST = MAX_MESSAGES_PER_XML_REQUEST
MAX_BODY_BYTES = 4 * 1024 * 1024
IDLE_CONNECTION_SECONDS = 30.0
POLL_SECONDS = 0.02
STOP_TIMEOUT_SECONDS = 3.0
WAIT_FOR_CALLBACKS_SECONDS = 10.0
DRIP_BYTES = 4
MAX_DRIP_PIECES = 40
MSG_TYPES = frozenset({"TEXT", "UCS2"})

# Clockwork's numbered errors as the emulator gives them, with the texts of
# protocol.codes (the one place they are written). Codes 2 and 10 and their texts are
# on Clockwork's send page; codes 7, 12 and 39 are the ones Clockwork's own Ruby
# wrapper tests expect (their texts are unconfirmed); the rest are the emulator's
# choice. docs/emulator.md lists them all.
INVALID_KEY = SmsError.of(ClockworkErrorCode.INVALID_KEY)
INSUFFICIENT_CREDIT = SmsError.of(ClockworkErrorCode.INSUFFICIENT_CREDIT)
INVALID_MSG_TYPE = SmsError.of(ClockworkErrorCode.INVALID_MSG_TYPE)
MISSING_TO = SmsError.of(ClockworkErrorCode.MISSING_TO)
MISSING_CONTENT = SmsError.of(ClockworkErrorCode.MISSING_CONTENT)
INVALID_TO = SmsError.of(ClockworkErrorCode.INVALID_TO)
TOO_MANY_NUMBERS = INVALID_TO
MESSAGE_TOO_LONG = SmsError.of(ClockworkErrorCode.MESSAGE_TOO_LONG)
INVALID_CONTENT = SmsError.of(ClockworkErrorCode.INVALID_CONTENT)
INVALID_XML = SmsError.of(ClockworkErrorCode.INVALID_XML)


# ---------------------------------------------------------------------------
# The send rules: which outcome each number gets.


@dataclass(frozen=True)
class _Draft:
    """One message as it will be recorded if its number passes."""

    content: str
    sender: str | None
    long: bool
    msg_type: str
    interface: str
    size: TextMeasure


def gsm7_only(text: str) -> str:
    """Text as the HTTP send delivers it.

    That interface has no Unicode switch; the emulator's reading of Clockwork's
    (unconfirmed) invalid-character handling is that each other character becomes ``?``.
    """
    return "".join(char if is_gsm7(char) else "?" for char in text)


def _invalid_char_action(written: str | None) -> InvalidCharAction | None:
    """The ``<InvalidCharAction>`` of an ``<SMS>``; absent or not 1-3, Clockwork's default applies."""
    if written is None or not written.isdecimal():  # isdigit would let "²" through to int()
        return None
    return enum_choice(InvalidCharAction, int(written))


def _as_gsm7(content: str, action: InvalidCharAction | None) -> str | SmsError:
    """A ``TEXT`` message's content as delivered, by the same rule the provider measures it with."""
    if action is None:
        return gsm7_only(content)
    if action is InvalidCharAction.ERROR and not is_gsm7(content):
        return INVALID_CONTENT
    return action.apply(content)


def _checked_size(content: str, long: bool) -> TextMeasure | SmsError:
    """The content's measure if the protocol's content rules accept it, else the error Clockwork gives."""
    try:
        return check_content(content, long)[1]
    except InvalidInputError:
        return _content_error(content, long)


def _content_error(content: str, long: bool) -> SmsError:
    if not content.strip():
        return MISSING_CONTENT
    size = measure(content)
    limit = size.long_limit if long else size.single_limit
    return MESSAGE_TOO_LONG if size.length > limit else INVALID_CONTENT


def _to_entries(to: str) -> list[str]:
    """The ``To`` list as Clockwork reads it: comma-separated, blanks around entries ignored."""
    return [entry.strip() for entry in to.split(",") if entry.strip()]


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def describe_acceptance(record: MessageRecord, size: TextMeasure) -> str:
    """The one log line per accepted message, e.g. for watching a demo DAG run."""
    parts = f"{record.parts} part{'' if record.parts == 1 else 's'}"
    content = _one_line(record.content)
    return f"emulator: accepted {record.id} to {record.to} ({size.encoding}, {parts}): {content}"


_OweReceipts = Callable[[Sequence[tuple[xml_api.XmlSms, str]]], None]
"""Told of each XML send request's accepted messages, with their IDs, so that receipts follow."""


class _SendDesk:
    """Judges send requests against the state: key, numbers, content, refusals and credit."""

    def __init__(
        self, state: EmulatorState, announce: Callable[[str], None], owe_receipts: _OweReceipts
    ) -> None:
        self._state = state
        self._announce = announce
        self._owe_receipts = owe_receipts

    def answer_http(self, params: dict[str, str], request_index: int) -> str:
        if not self._state.knows_key(params.get("key", "")):
            return http_api.format_request_error(INVALID_KEY)
        numbers = _to_entries(params.get("to", ""))
        if not numbers:
            return http_api.format_request_error(MISSING_TO)
        if len(numbers) > MAX_RECIPIENTS_PER_REQUEST:
            return http_api.format_request_error(TOO_MANY_NUMBERS)
        long = params.get("long", "").strip() == "1"
        content = gsm7_only(params.get("content", ""))
        size = _checked_size(content, long)
        if isinstance(size, SmsError):
            return http_api.format_request_error(size)
        draft = _Draft(content, params.get("from") or None, long, "TEXT", "http", size)
        outcomes = [(number, self._judge(number, draft, request_index)) for number in numbers]
        return http_api.format_send_reply(outcomes)

    def answer_xml(self, key: str, messages: list[xml_api.XmlSms], request_index: int) -> bytes:
        if not self._state.knows_key(key):
            return xml_api.format_request_error(INVALID_KEY)
        if not messages:
            return xml_api.format_request_error(MISSING_TO)
        if len(messages) > MAX_XML_MESSAGES_PER_REQUEST:
            return xml_api.format_request_error(TOO_MANY_NUMBERS)
        outcomes = [(sms, self._judge_xml_sms(sms, request_index)) for sms in messages]
        # Only the XML send documents receipt settings (DlrType, DlrUrl, DlrContent).
        self._owe_receipts([(sms, outcome) for sms, outcome in outcomes if isinstance(outcome, str)])
        return xml_api.format_send_reply(outcomes)

    def _judge_xml_sms(self, sms: xml_api.XmlSms, request_index: int) -> str | SmsError:
        if sms.msg_type not in MSG_TYPES:
            return INVALID_MSG_TYPE
        if sms.msg_type == "UCS2":
            content: str | SmsError = sms.content
        else:
            content = _as_gsm7(sms.content, _invalid_char_action(sms.invalid_char_action))
        if isinstance(content, SmsError):
            return content
        size = _checked_size(content, sms.long)
        if isinstance(size, SmsError):
            return size
        draft = _Draft(content, sms.sender or None, sms.long, sms.msg_type, "xml", size)
        return self._judge(sms.to, draft, request_index, sms.client_id)

    def _judge(
        self, number: str, draft: _Draft, request_index: int, client_id: str | None = None
    ) -> str | SmsError:
        """A message ID for the number, or the per-number error it gets."""
        if not is_international_number(number):
            return INVALID_TO
        refusal = self._state.refusal_for(number)
        if refusal is not None:
            return refusal
        if not self._state.try_charge(draft.size.parts):
            return INSUFFICIENT_CREDIT
        record = self._state.record_message(
            to=number,
            content=draft.content,
            sender=draft.sender,
            long=draft.long,
            msg_type=draft.msg_type,
            interface=draft.interface,
            parts=draft.size.parts,
            request=request_index,
            client_id=client_id,
        )
        self._announce(describe_acceptance(record, draft.size))
        return record.id


# ---------------------------------------------------------------------------
# Reading requests off the wire.


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == FORM_TYPE


def _form_pairs(method: str, query: str, content_type: str | None, body: bytes) -> list[tuple[str, str]]:
    """Query parameters, then (for a form POST) body parameters, which win on a clash as in ASP.NET."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if method == "POST" and _is_form(content_type):
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return pairs


def _element_names(body: bytes) -> list[str]:
    try:
        return _unique(element.tag for element in ET.fromstring(body).iter())
    except ET.ParseError:
        return []


class _SendRequest(Protocol):
    """A send request as read off the wire, before any judgement."""

    content_type: ClassVar[str]
    param_names: list[str]
    numbers: list[str]

    def answer(self, desk: _SendDesk, request_index: int) -> bytes: ...

    def format_error(self, error: SmsError) -> bytes: ...


_SendReader = Callable[[str, str, str | None, bytes], _SendRequest]
"""Reads a send request from its method, query string, content type and body."""


class _HttpSend:
    content_type: ClassVar[str] = PLAIN_TEXT

    def __init__(self, method: str, query: str, content_type: str | None, body: bytes) -> None:
        pairs = _form_pairs(method, query, content_type, body)
        self.param_names = _unique(name for name, _ in pairs)
        self._params = http_api.lower_keys(dict(pairs))
        self.numbers = _to_entries(self._params.get("to", ""))

    def answer(self, desk: _SendDesk, request_index: int) -> bytes:
        return desk.answer_http(self._params, request_index).encode("utf-8")

    def format_error(self, error: SmsError) -> bytes:
        return http_api.format_request_error(error).encode("utf-8")


class _XmlSend:
    content_type: ClassVar[str] = XML_TEXT

    def __init__(self, method: str, query: str, content_type: str | None, body: bytes) -> None:
        self.param_names = _element_names(body)
        try:
            self._key, self._messages = xml_api.read_send_document(body)
            self._readable = True
        except UnreadableReplyError:
            self._key, self._messages, self._readable = "", [], False
        self.numbers = [sms.to for sms in self._messages]

    def answer(self, desk: _SendDesk, request_index: int) -> bytes:
        if not self._readable:
            return self.format_error(INVALID_XML)
        return desk.answer_xml(self._key, self._messages, request_index)

    def format_error(self, error: SmsError) -> bytes:
        return xml_api.format_request_error(error)


# ---------------------------------------------------------------------------
# The HTTP side.


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str


def _json_reply(payload: Any, status: int = 200) -> _Reply:
    return _Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), JSON_TEXT)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the body is not JSON: {error}") from None


def _post_faults(state: EmulatorState, body: bytes) -> Any:
    payload = _json_body(body)
    faults = [fault_from_dict(spec) for spec in (payload if isinstance(payload, list) else [payload])]
    state.queue_faults(faults)
    return {"queued": len(faults), "pending": state.pending_faults()}


def _post_refusals(state: EmulatorState, body: bytes) -> Any:
    payload = _json_body(body)
    if not isinstance(payload, dict):
        raise ValueError('refusals must be an object {"number": {"code": 10, "description": "..."}}')
    for number, spec in payload.items():
        settings = spec or {}
        if not isinstance(settings, dict):
            raise ValueError(f"the refusal of {number} must be an object, not {spec!r}")
        code = int(settings.get("code", INVALID_TO.code))
        error = SmsError(code, str(settings.get("description", INVALID_TO.description)))
        times = settings.get("times")
        state.refuse(str(number), error, None if times is None else int(times))
    return {"refusals": state.refusals()}


def _json_object(payload: Any, what: str, fields: Iterable[str]) -> dict[str, Any]:
    """``payload`` if it is a JSON object holding only the given fields (a typo is refused, not ignored)."""
    if not isinstance(payload, dict):
        raise ValueError(f"{what} must be a JSON object with the fields {', '.join(fields)}, not {payload!r}")
    unknown = set(payload) - set(fields)
    if unknown:
        raise ValueError(f"{what} takes no {', '.join(sorted(unknown))} (it takes: {', '.join(fields)})")
    return payload


_DELIVERY_FIELDS = ("status", "err_code", "detail", "interim", "times")


def _post_deliveries(state: EmulatorState, body: bytes) -> Any:
    payload = _json_body(body)
    if not isinstance(payload, dict):
        raise ValueError('deliveries must be an object {"number": {"status": "UNDELIV", "err_code": 1, ...}}')
    for number, spec in payload.items():
        given = _json_object(spec or {}, f"the delivery of {number}", _DELIVERY_FIELDS)
        settings = {name: value for name, value in given.items() if value is not None}  # null: the default
        times = settings.pop("times", None)
        state.plan_delivery(str(number), delivery_plan(**settings), None if times is None else int(times))
    return {"deliveries": state.deliveries()}


def _post_inbound(callbacks: Callbacks, body: bytes) -> Any:
    payload = _json_object(_json_body(body), "an inbound text", ("from", "content", "to"))
    if "from" not in payload or "content" not in payload:
        raise ValueError('an inbound text needs "from" and "content" (and may name "to")')
    return callbacks.receive_sms(
        payload["from"], payload["content"], payload.get("to", DEFAULT_INBOUND_NUMBER)
    )


def _post_wait(callbacks: Callbacks, body: bytes) -> Any:
    payload = _json_object(_json_body(body or b"{}"), "a wait", ("timeout",))
    timeout = float(payload.get("timeout", WAIT_FOR_CALLBACKS_SECONDS))
    if not 0 <= timeout <= MAX_FAULT_SECONDS:
        raise ValueError(f"timeout must be between 0 and {MAX_FAULT_SECONDS:g} seconds, not {timeout!r}")
    return {"idle": callbacks.wait_idle(timeout)}


def _post_reset(state: EmulatorState, body: bytes) -> Any:
    state.reset()
    return {"reset": True}


def _post_credit(state: EmulatorState, body: bytes) -> Any:
    state.credit = int(_json_body(body)["credit"])
    return {"credit": state.credit}


def _post_latency(state: EmulatorState, body: bytes) -> Any:
    state.latency = float(_json_body(body)["seconds"])
    return {"latency": state.latency}


_INSPECTIONS: dict[tuple[str, str], Callable[[EmulatorState, bytes], Any]] = {
    ("GET", "messages"): lambda state, body: state.messages(),
    ("GET", "requests"): lambda state, body: state.requests(),
    ("GET", "credit"): lambda state, body: {"credit": state.credit},
    ("GET", "faults"): lambda state, body: state.pending_faults(),
    ("GET", "refusals"): lambda state, body: state.refusals(),
    ("GET", "latency"): lambda state, body: {"latency": state.latency},
    ("GET", "deliveries"): lambda state, body: state.deliveries(),
    ("GET", "receipts"): lambda state, body: state.receipts(),
    ("GET", "inbound"): lambda state, body: state.inbound_messages(),
    ("POST", "reset"): _post_reset,
    ("POST", "faults"): _post_faults,
    ("POST", "refusals"): _post_refusals,
    ("POST", "credit"): _post_credit,
    ("POST", "latency"): _post_latency,
    ("POST", "deliveries"): _post_deliveries,
}

# The ones that make or wait for callbacks, so need more than the state.
_CALLBACK_ACTIONS: dict[tuple[str, str], Callable[[Callbacks, bytes], Any]] = {
    ("POST", "inbound"): _post_inbound,
    ("POST", "wait"): _post_wait,
}


# The XML account checks: path -> (request root element, the reply for a known key).
_XML_ACCOUNT_ENDPOINTS: dict[str, tuple[str, Callable[[EmulatorState], bytes]]] = {
    xml_api.CREDIT_PATH: ("Credit", lambda state: xml_api.format_credit_reply(state.credit)),
    xml_api.BALANCE_PATH: ("Balance", lambda state: xml_api.format_balance_reply(state.balance())),
}


class _Handler(BaseHTTPRequestHandler):
    """One connection: HTTP/1.1 with Content-Length on every reply, so clients keep it alive."""

    protocol_version = "HTTP/1.1"
    server_version = "ClockworkEmulator/1.0"
    timeout = IDLE_CONNECTION_SECONDS
    server: _EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm holds a reply's body until the headers are acknowledged.
        with suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Access lines are noise in test output; keep them at debug level only."""
        logger.debug("emulator: %s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        target = urlsplit(self.path)
        path = target.path.lower()  # IIS, which serves Clockwork, ignores the case of paths
        if path.startswith(INSPECTION_PREFIX):
            self._serve_inspection(method, path[len(INSPECTION_PREFIX) :].strip("/"))
        elif path == http_api.SEND_PATH:
            self._serve_send(method, target, _HttpSend, ("GET", "POST"))
        elif path == xml_api.SEND_PATH:
            self._serve_send(method, target, _XmlSend, ("POST",))
        elif path == CREDIT_PATH:
            self._serve_credit(method, target)
        elif path in _XML_ACCOUNT_ENDPOINTS:
            self._serve_xml_account(method, target, *_XML_ACCOUNT_ENDPOINTS[path])
        else:
            self._serve_unknown(method, target)

    # -- Clockwork endpoints --

    def _serve_send(
        self, method: str, target: SplitResult, reader: _SendReader, methods: tuple[str, ...]
    ) -> None:
        if method not in methods:
            self._refuse_method(method, target, methods)
            return
        in_flight = self.server.state.begin_send()
        try:
            fault = self.server.state.take_fault()
            if fault is not None and fault.kind == RESET_BEFORE:
                self._log_request(method, target, fault=fault, in_flight=in_flight)
                self._reset_connection()
                return
            body = self._read_body()
            if body is None:
                return
            request = reader(method, target.query, self.headers.get("Content-Type"), body)
            index = self._log_request(method, target, request.param_names, request.numbers, fault, in_flight)
            self._deliver(self._reply_under(fault, request, index), fault)
        finally:
            self.server.state.end_send()

    def _reply_under(self, fault: Fault | None, request: _SendRequest, index: int) -> _Reply:
        """The reply a send gets, processed (and recorded) only when the fault lets it through."""
        if fault is None or fault.processes_request:
            body = request.answer(self.server.desk, index)
            if fault is not None and fault.kind == STATUS_AFTER:
                return _Reply(fault.status, fault.body.encode("utf-8"), HTML_TEXT)
            return _Reply(200, body, request.content_type)
        if fault.kind == STATUS:
            return _Reply(fault.status, fault.body.encode("utf-8"), HTML_TEXT)
        if fault.kind == GARBAGE:
            return _Reply(200, fault.body.encode("utf-8"), request.content_type)
        return _Reply(
            200, request.format_error(SmsError(fault.code, fault.description)), request.content_type
        )

    def _serve_credit(self, method: str, target: SplitResult) -> None:
        body = self._read_body()
        if body is None:
            return
        pairs = _form_pairs(method, target.query, self.headers.get("Content-Type"), body)
        self._log_request(method, target, _unique(name for name, _ in pairs))
        key = http_api.lower_keys(dict(pairs)).get("key", "")
        if self.server.state.knows_key(key):
            text = http_api.format_credit_reply(self.server.state.credit)
        else:
            text = http_api.format_request_error(INVALID_KEY)
        self._deliver(_Reply(200, text.encode("utf-8"), PLAIN_TEXT), None)

    def _serve_xml_account(
        self, method: str, target: SplitResult, root_tag: str, answer: Callable[[EmulatorState], bytes]
    ) -> None:
        """``/xml/credit.aspx`` and ``/xml/balance.aspx``: a key document in, the account's figure out."""
        if method != "POST":
            self._refuse_method(method, target, ("POST",))
            return
        body = self._read_body()
        if body is None:
            return
        self._log_request(method, target, _element_names(body))
        reply_root = f"{root_tag}_Resp"
        try:
            key = xml_api.read_key_document(body, root_tag)
        except UnreadableReplyError:
            reply = xml_api.format_request_error(INVALID_XML, reply_root)
        else:
            if self.server.state.knows_key(key):
                reply = answer(self.server.state)
            else:
                reply = xml_api.format_request_error(INVALID_KEY, reply_root)
        self._deliver(_Reply(200, reply, XML_TEXT), None)

    def _serve_unknown(self, method: str, target: SplitResult) -> None:
        if self._read_body() is None:
            return
        self._log_request(method, target)
        self._send(_Reply(404, f"No Clockwork endpoint at {target.path}".encode(), PLAIN_TEXT))

    def _refuse_method(self, method: str, target: SplitResult, allowed: tuple[str, ...]) -> None:
        if self._read_body() is None:
            return
        self._log_request(method, target)
        self._send(
            _Reply(405, f"{method} is not allowed here".encode(), PLAIN_TEXT), {"Allow": ", ".join(allowed)}
        )

    def _log_request(
        self,
        method: str,
        target: SplitResult,
        param_names: list[str] | None = None,
        numbers: list[str] | None = None,
        fault: Fault | None = None,
        in_flight: int | None = None,
    ) -> int:
        return self.server.state.log_request(
            method=method,
            path=target.path,
            query=target.query,
            param_names=param_names or [],
            content_type=self.headers.get("Content-Type"),
            numbers=numbers or [],
            client_port=self.client_address[1],
            fault=fault.to_dict() if fault is not None else None,
            in_flight=in_flight,
        )

    # -- the emulator's own endpoints --

    def _serve_inspection(self, method: str, action: str) -> None:
        body = self._read_body()
        if body is None:
            return
        inspect = self._inspection(method, action)
        if inspect is None:
            known = any(name == action for _, name in [*_INSPECTIONS, *_CALLBACK_ACTIONS])
            self._send(_json_reply({"error": f"no {method} /_emulator/{action}"}, 405 if known else 404))
            return
        try:
            self._send(_json_reply(inspect(body)))
        except (ValueError, TypeError, KeyError) as error:
            self._send(_json_reply({"error": str(error)}, 400))

    def _inspection(self, method: str, action: str) -> Callable[[bytes], Any] | None:
        on_state = _INSPECTIONS.get((method, action))
        if on_state is not None:
            return partial(on_state, self.server.state)
        on_callbacks = _CALLBACK_ACTIONS.get((method, action))
        if on_callbacks is not None:
            return partial(on_callbacks, self.server.callbacks)
        return None

    # -- reading and writing --

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` after refusing a body the emulator will not read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send_and_close(_Reply(411, b"Send a Content-Length", PLAIN_TEXT))
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0:
            self._send_and_close(_Reply(400, b"Bad Content-Length", PLAIN_TEXT))
            return None
        if length > MAX_BODY_BYTES:
            self._send_and_close(_Reply(413, b"Body too large", PLAIN_TEXT))
            return None
        return self.rfile.read(length)

    def _deliver(self, reply: _Reply, fault: Fault | None) -> None:
        """Send a Clockwork reply after the latency, spoiled in the way the fault asks."""
        hold = self.server.state.latency + (fault.seconds if fault is not None and fault.kind == DELAY else 0)
        if not self._pause(hold):
            self._reset_connection()
            return
        kind = fault.kind if fault is not None else None
        if kind == RESET_AFTER:
            self._reset_connection()
        elif kind == TRUNCATE:
            self._send_truncated(reply)
        elif kind == DRIP and fault is not None:
            self._send_dripping(reply, fault.seconds)
        else:
            self._send(reply)

    def _pause(self, seconds: float) -> bool:
        """Wait, unless the emulator is stopping; ``False`` means stop now."""
        return seconds <= 0 or not self.server.stopping.wait(seconds)

    def _send_head(self, reply: _Reply, extra_headers: dict[str, str] | None = None) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, reply: _Reply, extra_headers: dict[str, str] | None = None) -> None:
        self._send_head(reply, extra_headers)
        self.wfile.write(reply.body)

    def _send_and_close(self, reply: _Reply) -> None:
        self._send(reply, {"Connection": "close"})
        self.close_connection = True

    def _send_truncated(self, reply: _Reply) -> None:
        """Promise the whole body, deliver half, then close: a reply cut off in transit."""
        self._send_head(reply)
        self.wfile.write(reply.body[: len(reply.body) // 2])
        self.close_connection = True

    def _send_dripping(self, reply: _Reply, seconds: float) -> None:
        """The whole body, a few bytes at a time, spread over ``seconds``: a slow but sound reply."""
        pieces = max(1, min(MAX_DRIP_PIECES, math.ceil(len(reply.body) / DRIP_BYTES)))
        size = math.ceil(len(reply.body) / pieces) or 1
        gap = seconds / pieces
        self._send_head(reply)
        for start in range(0, len(reply.body), size):
            if not self._pause(gap):
                self._reset_connection()
                return
            self.wfile.write(reply.body[start : start + size])

    def _reset_connection(self) -> None:
        """Drop the connection with a TCP reset and no reply: the client cannot know what happened."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with suppress(OSError):
            self.rfile.close()
            self.connection.close()


class _EmulatorHTTPServer(ThreadingHTTPServer):
    """Threaded server that can drop every open connection, so that stop() never waits on a client."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], state: EmulatorState, desk: _SendDesk, callbacks: Callbacks
    ) -> None:
        self.state = state
        self.desk = desk
        self.callbacks = callbacks
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_changed = threading.Condition()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without a network.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_changed:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_changed:
            self._connections.discard(request)
            self._connections_changed.notify_all()
        super().shutdown_request(request)

    def drop_connections(self, timeout: float) -> None:
        """Close every open connection and wait (bounded) for their threads to finish."""
        with self._connections_changed:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self._connections_changed:
            self._connections_changed.wait_for(lambda: not self._connections, timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is not an error; anything else is an emulator bug worth a traceback."""
        error = sys.exc_info()[1]
        if self.stopping.is_set() or isinstance(error, (ConnectionError, TimeoutError)):
            return
        logger.error("emulator: error while answering %s", client_address, exc_info=True)


# ---------------------------------------------------------------------------
# The public face.


class ClockworkEmulator:
    """A Clockwork SMS API on a local port, for tests, demos and local DAG runs.

    ``with ClockworkEmulator() as emulator:`` serves on a free port of 127.0.0.1 until
    the block ends; point a connection's host at ``emulator.url`` and read what was
    "sent" with ``emulator.messages()``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        keys: Iterable[str] = ("test-key",),
        credit: int = 10_000,
        latency: float = 0.0,
        echo: bool = False,
        price_per_credit: Decimal | str | int = DEFAULT_PRICE_PER_CREDIT,
        inbound_url: str | None = None,
        inbound_format: str = "form",
    ) -> None:
        self._address = (host, port)
        self._state = EmulatorState((keys,) if isinstance(keys, str) else keys, credit, latency)
        self._state.price_per_credit = price_per_credit
        self.inbound_url = inbound_url
        self.inbound_format = inbound_format
        self._echo = echo
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._worker: CallbackWorker | None = None
        self._callbacks: Callbacks | None = None
        self._bound: tuple[str, int] | None = None

    # -- lifecycle --

    def start(self) -> ClockworkEmulator:
        """Serve in a daemon thread; with port 0 the system picks a free port (see :attr:`url`)."""
        if self._server is not None:
            return self
        worker = CallbackWorker(self._announce)
        callbacks = Callbacks(self._state, worker)
        desk = _SendDesk(self._state, self._announce, callbacks.owe_receipts)
        server = _EmulatorHTTPServer(self._address, self._state, desk, callbacks)
        worker.start()
        self._worker, self._callbacks = worker, callbacks
        self._bound = (str(server.server_address[0]), int(server.server_address[1]))
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=f"clockwork-emulator-{self._bound[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections, even ones held by a delayed reply.

        Callbacks stop first: one in flight is cut short (one still connecting ends within its
        timeout), queued ones are dropped.
        """
        server, thread, worker = self._server, self._thread, self._worker
        if server is None or thread is None or worker is None:
            return
        self._server = self._thread = self._worker = self._callbacks = None
        # The worker first: it releases a POST /_emulator/wait, whose connection then closes.
        worker.stop(STOP_TIMEOUT_SECONDS)
        server.stopping.set()
        server.shutdown()
        server.drop_connections(STOP_TIMEOUT_SECONDS)
        server.server_close()
        thread.join(STOP_TIMEOUT_SECONDS)

    def __enter__(self) -> ClockworkEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def host(self) -> str:
        return self._require_bound()[0]

    @property
    def port(self) -> int:
        return self._require_bound()[1]

    @property
    def url(self) -> str:
        """The base URL to use as the connection's host, e.g. ``http://127.0.0.1:50123``."""
        host, port = self._require_bound()
        return f"http://{host}:{port}"

    def _require_bound(self) -> tuple[str, int]:
        if self._bound is None:
            raise RuntimeError("the Clockwork emulator has not been started; call start() first")
        return self._bound

    # -- what happened --

    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages: id, to, content, sender, long, msg_type, interface, parts, request,
        client_id."""
        return self._state.messages()

    def requests(self) -> list[dict[str, Any]]:
        """Requests received (not the /_emulator/ ones), without the API key's value."""
        return self._state.requests()

    @property
    def credit(self) -> int:
        return self._state.credit

    @credit.setter
    def credit(self, value: int) -> None:
        self._state.credit = value

    @property
    def keys(self) -> tuple[str, ...]:
        return self._state.keys

    # -- what will happen --

    @property
    def latency(self) -> float:
        """Seconds every send and credit reply is held back."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = seconds

    def refuse(
        self,
        number: str,
        code: int = INVALID_TO.code,
        description: str = INVALID_TO.description,
        times: int | None = None,
    ) -> None:
        """From now on, ``number`` (as written in ``To``) gets this per-number error instead of an ID.

        With ``times`` the refusal covers only that many messages to the number, after
        which it is accepted again: a passing refusal, for testing retries.
        """
        self._state.refuse(str(number), SmsError(int(code), description), times)

    def inject(self, *faults: Fault | dict[str, Any]) -> None:
        """Queue faults for the next send requests, first in first out (see ``faults.py``)."""
        self._state.queue_faults([as_fault(fault) for fault in faults])

    def pending_faults(self) -> list[dict[str, Any]]:
        return self._state.pending_faults()

    def reset(self) -> None:
        """Forget messages, requests, faults, refusals, receipts and inbound texts; restore starting credit.

        Delivery settings go too; the inbound URL stays. IDs stay unique for the emulator's life,
        and a callback already queued is still made but no longer recorded.
        """
        self._state.reset()

    def connection_json(self, key: str | None = None) -> str:
        """The JSON form of an Airflow connection to this emulator, for ``AIRFLOW_CONN_...``."""
        password = key if key is not None else self._default_key()
        return json.dumps({"conn_type": "clockwork", "password": password, "host": self.url})

    def _default_key(self) -> str:
        if not self._state.keys:
            raise RuntimeError("the emulator was started without keys; pass connection_json(key=...)")
        return self._state.keys[0]

    def _announce(self, line: str) -> None:
        logger.info(line)
        if self._echo:
            print(line, flush=True)

    # -- the money balance (/xml/balance.aspx) --

    @property
    def price_per_credit(self) -> Decimal:
        """What one credit is worth in the balance reply (default £0.05); settable."""
        return self._state.price_per_credit

    @price_per_credit.setter
    def price_per_credit(self, value: Decimal | str | int) -> None:
        self._state.price_per_credit = value

    @property
    def balance(self) -> xml_api.Balance:
        """The balance ``/xml/balance.aspx`` reports: credit × price per credit, in GBP."""
        return self._state.balance()

    # -- delivery receipts (an XML <SMS> with DlrUrl) --

    def set_delivery(
        self,
        number: str,
        status: str = DeliveryState.DELIVERED.status,
        err_code: int = 0,
        detail: str | None = None,
        interim: str | None = None,
        times: int | None = None,
    ) -> None:
        """From now on, messages to ``number`` (as written in ``<To>``) end in ``status`` with this err_code.

        ``detail`` defaults to the state's description; ``interim`` (``ENROUTE`` or ``ACCEPTD``)
        sends that receipt first. With ``times`` the setting covers only that many messages
        to the number, after which they are delivered again. Without a setting a message
        gets one receipt: ``DELIVRD`` with err_code 0.
        """
        self._state.plan_delivery(str(number), delivery_plan(status, err_code, detail, interim), times)

    def deliveries(self) -> dict[str, dict[str, Any]]:
        """The delivery settings by number: status, err_code, detail, interim and times left."""
        return self._state.deliveries()

    def receipts(self) -> list[dict[str, Any]]:
        """Every try at calling a DlrUrl, oldest first, one record per receipt (see ``docs/emulator.md``)."""
        return self._state.receipts()

    def wait_for_callbacks(self, timeout: float = WAIT_FOR_CALLBACKS_SECONDS) -> bool:
        """Wait until every receipt and inbound text queued so far has been sent (every try made).

        True when none is left, False when ``timeout`` ran out first.
        """
        return self._worker.wait_idle(timeout) if self._worker is not None else True

    # -- inbound messages (a handset texting the account) --

    @property
    def inbound_url(self) -> str | None:
        """Where texts to the account are forwarded (``receive_sms``); settable, None for nowhere."""
        return self._state.inbound_url

    @inbound_url.setter
    def inbound_url(self, url: str | None) -> None:
        self._state.inbound_url = None if url is None else check_callback_url(url)

    @property
    def inbound_format(self) -> str:
        """``"form"`` (a form POST, the default) or ``"xml"``: how inbound texts are forwarded; settable."""
        return self._state.inbound_format

    @inbound_format.setter
    def inbound_format(self, name: str) -> None:
        self._state.inbound_format = check_inbound_format(name)

    def receive_sms(
        self, from_number: str | int, content: str, to_number: str | int = DEFAULT_INBOUND_NUMBER
    ) -> dict[str, Any]:
        """A handset at ``from_number`` texts ``content`` to the account's ``to_number``.

        The text gets an ID (``IN_00001``), is recorded, and is POSTed to :attr:`inbound_url`
        by the background worker; the record is returned at once (see :meth:`wait_for_callbacks`).
        Numbers are normalised as for sending; a bad number or empty content raises ``ValueError``.
        """
        if self._callbacks is None:
            raise RuntimeError("the Clockwork emulator has not been started; call start() first")
        return self._callbacks.receive_sms(from_number, content, to_number)

    def inbound_messages(self) -> list[dict[str, Any]]:
        """Texts "received" by the account, oldest first, each with its forwarding tries."""
        return self._state.inbound_messages()
