"""The emulator's send rules: which outcome each number of a send request gets.

:class:`SendDesk` judges a send read off the wire (HTTP form or XML document) against the
emulator's state: the key, the numbers, the content, chosen refusals and the credit. It
records each accepted message and answers with Clockwork's reply, built by
:mod:`airflow_provider_clockwork.protocol`. What text arrives, in which encoding and at what
length, :mod:`.text` judges independently of the provider. Nothing here knows about HTTP
connections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from airflow_provider_clockwork.emulator.state import EmulatorState, MessageRecord
from airflow_provider_clockwork.emulator.text import as_gsm7, checked_size, gsm7_only
from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode
from airflow_provider_clockwork.protocol.errors import enum_choice
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction, TextMeasure
from airflow_provider_clockwork.protocol.personalised import MAX_MESSAGES_PER_XML_REQUEST
from airflow_provider_clockwork.protocol.recipients import MAX_RECIPIENTS_PER_REQUEST, is_international_number
from airflow_provider_clockwork.protocol.results import SmsError

MAX_XML_MESSAGES_PER_REQUEST = MAX_MESSAGES_PER_XML_REQUEST
MSG_TYPES = frozenset({"TEXT", "UCS2"})

# Clockwork's numbered errors as the emulator gives them, with the texts of
# protocol.codes (the one place they are written). Codes 2 and 10 and their texts are
# on Clockwork's send page; codes 7, 12 and 39 are the ones Clockwork's own Ruby
# wrapper tests expect (their texts are unconfirmed); the rest are the emulator's
# choice. docs/emulator.md lists them all. The content errors (7, 12, 39) are in emulator.text.
INVALID_KEY = SmsError.of(ClockworkErrorCode.INVALID_KEY)
INSUFFICIENT_CREDIT = SmsError.of(ClockworkErrorCode.INSUFFICIENT_CREDIT)
INVALID_MSG_TYPE = SmsError.of(ClockworkErrorCode.INVALID_MSG_TYPE)
MISSING_TO = SmsError.of(ClockworkErrorCode.MISSING_TO)
INVALID_TO = SmsError.of(ClockworkErrorCode.INVALID_TO)
TOO_MANY_NUMBERS = INVALID_TO
INVALID_XML = SmsError.of(ClockworkErrorCode.INVALID_XML)


@dataclass(frozen=True)
class _Draft:
    """One message as it will be recorded if its number passes."""

    content: str
    sender: str | None
    long: bool
    msg_type: str
    interface: str
    size: TextMeasure


def _invalid_char_action(written: str | None) -> InvalidCharAction | None:
    """The ``<InvalidCharAction>`` of an ``<SMS>``; absent or not 1-3, Clockwork's default applies."""
    if written is None or not written.isdecimal():  # isdigit would let "²" through to int()
        return None
    return enum_choice(InvalidCharAction, int(written))


def to_entries(to: str) -> list[str]:
    """The ``To`` list as Clockwork reads it: comma-separated, blanks around entries ignored."""
    return [entry.strip() for entry in to.split(",") if entry.strip()]


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def describe_acceptance(record: MessageRecord, size: TextMeasure) -> str:
    """The one log line per accepted message, e.g. for watching a demo DAG run."""
    parts = f"{record.parts} part{'' if record.parts == 1 else 's'}"
    content = _one_line(record.content)
    return f"emulator: accepted {record.id} to {record.to} ({size.encoding}, {parts}): {content}"


OweReceipts = Callable[[Sequence[tuple[xml_api.XmlSms, str]]], None]
"""Told of each XML send request's accepted messages, with their IDs, so that receipts follow."""


class SendDesk:
    """Judges send requests against the state: key, numbers, content, refusals and credit."""

    def __init__(
        self, state: EmulatorState, announce: Callable[[str], None], owe_receipts: OweReceipts
    ) -> None:
        self._state = state
        self._announce = announce
        self._owe_receipts = owe_receipts

    def answer_http(self, params: dict[str, str], request_index: int) -> str:
        if not self._state.knows_key(params.get("key", "")):
            return http_api.format_request_error(INVALID_KEY)
        numbers = to_entries(params.get("to", ""))
        if not numbers:
            return http_api.format_request_error(MISSING_TO)
        if len(numbers) > MAX_RECIPIENTS_PER_REQUEST:
            return http_api.format_request_error(TOO_MANY_NUMBERS)
        long = params.get("long", "").strip() == "1"
        content = gsm7_only(params.get("content", ""))
        size = checked_size(content, long)
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
            content = as_gsm7(sms.content, _invalid_char_action(sms.invalid_char_action))
        if isinstance(content, SmsError):
            return content
        size = checked_size(content, sms.long, unicode=sms.msg_type == "UCS2")
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
