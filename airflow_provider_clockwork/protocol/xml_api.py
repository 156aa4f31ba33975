"""Clockwork's XML interface, which we use for text that needs Unicode.

The plain HTTP send has no Unicode switch, so Clockwork would strip or replace
characters outside GSM-7; the XML send takes ``<MsgType>UCS2</MsgType>`` and
delivers the text intact. As in :mod:`.http_api`, both directions live here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from airflow_provider_clockwork.protocol.errors import UnreadableReplyError, excerpt
from airflow_provider_clockwork.protocol.message import Message
from airflow_provider_clockwork.protocol.results import SendResult, SmsError

SEND_PATH = "/xml/send.aspx"
CREDIT_PATH = "/xml/credit.aspx"
BALANCE_PATH = "/xml/balance.aspx"
CONTENT_TYPE = "text/xml; charset=utf-8"


def _serialise(root: ET.Element) -> bytes:
    # XML parsers turn a literal CR into LF; a character reference keeps it.
    text = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode("utf-8")


def _child(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def send_document(key: str, numbers: Iterable[str], message: Message) -> bytes:
    """One ``<SMS>`` per number, each tagged with its position as ``WrapperID``."""
    root = ET.Element("Message")
    _child(root, "Key", key)
    for index, number in enumerate(numbers):
        sms = ET.SubElement(root, "SMS")
        _child(sms, "To", number)
        _child(sms, "Content", message.content)
        if message.sender:
            _child(sms, "From", message.sender)
        _child(sms, "MsgType", "TEXT" if message.measure.is_gsm7 else "UCS2")
        if message.long:
            _child(sms, "Long", "1")
        _child(sms, "WrapperID", str(index))
    return _serialise(root)


def _parse(body: bytes | str, secrets: tuple[str, ...], what: str) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise UnreadableReplyError(f"not a Clockwork {what}: {excerpt(text, secrets)}") from None


def _error_in(element: ET.Element) -> SmsError | None:
    code = element.findtext("ErrNo")
    if code is None:
        return None
    try:
        return SmsError(int(code.strip()), (element.findtext("ErrDesc") or "").strip())
    except ValueError:
        return None


def parse_send_reply(body: bytes | str, secrets: tuple[str, ...] = ()) -> SendResult | SmsError:
    root = _parse(body, secrets, "XML send reply")
    if root.tag != "Message_Resp":
        raise UnreadableReplyError(f"not a Clockwork XML send reply: root element <{root.tag}>")
    whole = _error_in(root)
    if whole is not None:
        return whole
    result = SendResult()
    for item in root.findall("SMS_Resp"):
        number = (item.findtext("To") or "").strip()
        message_id = (item.findtext("MessageID") or "").strip()
        error = _error_in(item)
        if number and message_id:
            result.message_ids[number] = message_id
        elif number and error is not None:
            result.errors[number] = error
    if not result.answered():
        raise UnreadableReplyError("Clockwork's XML send reply holds no <SMS_Resp> with a number")
    return result


@dataclass(frozen=True)
class Balance:
    """The account's money balance (``/xml/balance.aspx``), e.g. 12.34 GBP."""

    amount: Decimal
    currency_code: str
    currency_symbol: str

    def __str__(self) -> str:
        return f"{self.currency_symbol}{self.amount} ({self.currency_code})"


def key_document(root_tag: str, key: str) -> bytes:
    """``<Credit><Key>…</Key></Credit>`` and its kin: a request that carries only the key."""
    root = ET.Element(root_tag)
    _child(root, "Key", key)
    return _serialise(root)


def parse_credit_reply(body: bytes | str, secrets: tuple[str, ...] = ()) -> int | SmsError:
    root = _parse(body, secrets, "XML credit reply")
    whole = _error_in(root)
    if whole is not None:
        return whole
    credit = (root.findtext("Credit") or "").strip()
    if root.tag != "Credit_Resp" or not credit.lstrip("-").isdigit():
        raise UnreadableReplyError(f"not a Clockwork XML credit reply: <{root.tag}> with credit {credit!r}")
    return int(credit)


def parse_balance_reply(body: bytes | str, secrets: tuple[str, ...] = ()) -> Balance | SmsError:
    root = _parse(body, secrets, "XML balance reply")
    whole = _error_in(root)
    if whole is not None:
        return whole
    text = (root.findtext("Balance") or "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UnreadableReplyError(f"not a Clockwork XML balance reply: balance {text!r}") from None
    if root.tag != "Balance_Resp" or not amount.is_finite():
        raise UnreadableReplyError(f"not a Clockwork XML balance reply: <{root.tag}>")
    return Balance(
        amount=amount,
        currency_code=(root.findtext("Currency/Code") or "").strip(),
        currency_symbol=(root.findtext("Currency/Symbol") or "").strip(),
    )


# The emulator's side of the same interface.


def read_key_document(body: bytes, root_tag: str) -> str:
    """The key of a credit or balance request (raises ``UnreadableReplyError`` if malformed)."""
    root = _parse(body, (), f"XML {root_tag} document")
    if root.tag != root_tag:
        raise UnreadableReplyError(f"root element is <{root.tag}>, not <{root_tag}>")
    return (root.findtext("Key") or "").strip()


def format_credit_reply(credit: int) -> bytes:
    root = ET.Element("Credit_Resp")
    _child(root, "Credit", str(credit))
    return _serialise(root)


def format_balance_reply(balance: Balance) -> bytes:
    root = ET.Element("Balance_Resp")
    _child(root, "Balance", f"{balance.amount:.2f}")
    currency = ET.SubElement(root, "Currency")
    _child(currency, "Symbol", balance.currency_symbol)
    _child(currency, "Code", balance.currency_code)
    return _serialise(root)


@dataclass(frozen=True)
class XmlSms:
    """One ``<SMS>`` of a send document, as the emulator reads it."""

    to: str
    content: str
    sender: str | None
    msg_type: str
    long: bool
    wrapper_id: str | None
    client_id: str | None


def read_send_document(body: bytes) -> tuple[str, list[XmlSms]]:
    """The key and the messages of a send document (raises ``UnreadableReplyError`` if malformed)."""
    root = _parse(body, (), "XML send document")
    if root.tag != "Message":
        raise UnreadableReplyError(f"root element is <{root.tag}>, not <Message>")
    messages = [
        XmlSms(
            to=(sms.findtext("To") or "").strip(),
            content=sms.findtext("Content") or "",
            sender=sms.findtext("From"),
            msg_type=(sms.findtext("MsgType") or "TEXT").strip().upper(),
            long=(sms.findtext("Long") or "0").strip() == "1",
            wrapper_id=sms.findtext("WrapperID"),
            client_id=sms.findtext("ClientID"),
        )
        for sms in root.findall("SMS")
    ]
    return (root.findtext("Key") or "").strip(), messages


def format_send_reply(outcomes: Iterable[tuple[XmlSms, str | SmsError]]) -> bytes:
    root = ET.Element("Message_Resp")
    for sms, outcome in outcomes:
        item = ET.SubElement(root, "SMS_Resp")
        _child(item, "To", sms.to)
        if isinstance(outcome, SmsError):
            _child(item, "ErrNo", str(outcome.code))
            _child(item, "ErrDesc", outcome.description)
        else:
            _child(item, "MessageID", outcome)
        if sms.client_id is not None:
            _child(item, "ClientID", sms.client_id)
        if sms.wrapper_id is not None:
            _child(item, "WrapperID", sms.wrapper_id)
    return _serialise(root)


def format_request_error(error: SmsError, root_tag: str = "Message_Resp") -> bytes:
    root = ET.Element(root_tag)
    _child(root, "ErrNo", str(error.code))
    _child(root, "ErrDesc", error.description)
    return _serialise(root)
