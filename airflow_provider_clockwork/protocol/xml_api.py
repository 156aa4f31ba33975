"""Clockwork's XML interface: Unicode text, personalised sends, credit and balance.

The plain HTTP send has no Unicode switch, so Clockwork would strip or replace
characters outside GSM-7; the XML send takes ``<MsgType>UCS2</MsgType>`` and
delivers the text intact. It also carries a different text per ``<SMS>``, which
personalised sends use (their replies are matched back by ``WrapperID``). As in
:mod:`.http_api`, both directions live here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from airflow_provider_clockwork.protocol.errors import UnreadableReplyError, excerpt
from airflow_provider_clockwork.protocol.message import Message
from airflow_provider_clockwork.protocol.personalised import PersonalisedResult, PersonalisedSms
from airflow_provider_clockwork.protocol.results import SendResult, SmsError
from airflow_provider_clockwork.protocol.xml_document import serialise

SEND_PATH = "/xml/send.aspx"
CREDIT_PATH = "/xml/credit.aspx"
BALANCE_PATH = "/xml/balance.aspx"
CONTENT_TYPE = "text/xml; charset=utf-8"


def _child(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _add_sms(
    root: ET.Element, to: str, message: Message, wrapper_id: int, client_id: str | None = None
) -> None:
    """One ``<SMS>``: the number, the message's own text and settings, and the references echoed back."""
    sms = ET.SubElement(root, "SMS")
    _child(sms, "To", to)
    _child(sms, "Content", message.content)
    if message.sender:
        _child(sms, "From", message.sender)
    _child(sms, "MsgType", "TEXT" if message.measure.is_gsm7 else "UCS2")
    if message.invalid_char_action is not None:
        _child(sms, "InvalidCharAction", str(message.invalid_char_action.value))
    if message.receipt is not None:
        _child(sms, "DlrType", str(message.receipt.type.value))
        _child(sms, "DlrUrl", message.receipt.url)
        if message.receipt.content:
            _child(sms, "DlrContent", message.receipt.content)
    if message.long:
        _child(sms, "Long", "1")
    if client_id is not None:
        _child(sms, "ClientID", client_id)
    _child(sms, "WrapperID", str(wrapper_id))


def send_document(key: str, numbers: Iterable[str], message: Message) -> bytes:
    """One ``<SMS>`` per number, each tagged with its position as ``WrapperID``."""
    root = ET.Element("Message")
    _child(root, "Key", key)
    for index, number in enumerate(numbers):
        _add_sms(root, number, message, index)
    return serialise(root)


def personalised_document(key: str, messages: Iterable[PersonalisedSms]) -> bytes:
    """One ``<SMS>`` per message, each with its own text and ``ClientID``, its position as ``WrapperID``.

    ``MsgType`` is ``UCS2`` only for the messages whose text needs Unicode.
    """
    root = ET.Element("Message")
    _child(root, "Key", key)
    for index, sms in enumerate(messages):
        _add_sms(root, sms.to, sms.message, index, sms.client_id)
    return serialise(root)


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


@dataclass(frozen=True)
class _SmsResponse:
    """One ``<SMS_Resp>`` of a send reply: the number, the echoed references and the outcome, if any."""

    to: str
    wrapper_id: str | None
    client_id: str | None
    outcome: str | SmsError | None


def _optional_text(element: ET.Element, tag: str) -> str | None:
    text = element.findtext(tag)
    return None if text is None else text.strip()


def _send_responses(body: bytes | str, secrets: tuple[str, ...]) -> list[_SmsResponse] | SmsError:
    """Each ``<SMS_Resp>`` of a send reply, or the whole-request error."""
    root = _parse(body, secrets, "XML send reply")
    if root.tag != "Message_Resp":
        raise UnreadableReplyError(f"not a Clockwork XML send reply: root element <{root.tag}>")
    whole = _error_in(root)
    if whole is not None:
        return whole
    responses = []
    for item in root.findall("SMS_Resp"):
        message_id = (item.findtext("MessageID") or "").strip()
        responses.append(
            _SmsResponse(
                to=(item.findtext("To") or "").strip(),
                wrapper_id=_optional_text(item, "WrapperID"),
                client_id=_optional_text(item, "ClientID"),
                outcome=message_id or _error_in(item),
            )
        )
    return responses


def parse_send_reply(body: bytes | str, secrets: tuple[str, ...] = ()) -> SendResult | SmsError:
    """Outcomes by number: for a send of one message to many numbers (``send_document``)."""
    responses = _send_responses(body, secrets)
    if isinstance(responses, SmsError):
        return responses
    result = SendResult()
    for response in responses:
        if not response.to:
            continue
        if isinstance(response.outcome, str):
            result.message_ids[response.to] = response.outcome
        elif response.outcome is not None:
            result.errors[response.to] = response.outcome
    if not result.answered():
        raise UnreadableReplyError("Clockwork's XML send reply holds no <SMS_Resp> with a number")
    return result


def _position(wrapper_id: str | None, count: int) -> int | None:
    """The request position a ``WrapperID`` names, or None when it names none of ours."""
    if wrapper_id is None or not wrapper_id.isdigit():
        return None
    position = int(wrapper_id)
    return position if position < count else None


def parse_personalised_reply(
    body: bytes | str, messages: Sequence[PersonalisedSms], secrets: tuple[str, ...] = ()
) -> PersonalisedResult | SmsError:
    """
    Outcomes by client ID, for the request ``personalised_document(key, messages)`` sent.

    Each ``<SMS_Resp>`` is matched to its message by ``WrapperID`` (the position in the
    request), never by number: one number may get two different texts. An answer whose
    ``To`` (or echoed ``ClientID``) is not that message's, or a position answered twice
    in contradiction, is not trusted and leaves the message unanswered: the caller
    then treats its outcome as unknown. ``numbers`` holds every message's number.
    """
    responses = _send_responses(body, secrets)
    if isinstance(responses, SmsError):
        return responses
    outcomes: dict[int, str | SmsError] = {}
    contradicted: set[int] = set()
    matched = False
    for response in responses:
        position = _position(response.wrapper_id, len(messages))
        if position is None:
            continue
        matched = True
        sms = messages[position]
        if response.outcome is None or response.to != sms.to:
            continue
        if response.client_id is not None and response.client_id != sms.client_id:
            continue
        if outcomes.setdefault(position, response.outcome) != response.outcome:
            contradicted.add(position)
    if not matched:
        raise UnreadableReplyError(
            "Clockwork's XML send reply holds no <SMS_Resp> with a WrapperID of this request"
        )
    result = PersonalisedResult(numbers={sms.client_id: sms.to for sms in messages})
    for position, sms in enumerate(messages):
        outcome = outcomes.get(position)
        if outcome is None or position in contradicted:
            continue
        if isinstance(outcome, str):
            result.message_ids[sms.client_id] = outcome
        else:
            result.errors[sms.client_id] = outcome
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
    return serialise(root)


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
    return serialise(root)


def format_balance_reply(balance: Balance) -> bytes:
    root = ET.Element("Balance_Resp")
    _child(root, "Balance", f"{balance.amount:.2f}")
    currency = ET.SubElement(root, "Currency")
    _child(currency, "Symbol", balance.currency_symbol)
    _child(currency, "Code", balance.currency_code)
    return serialise(root)


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
    invalid_char_action: str | None = None
    """The ``<InvalidCharAction>`` as written (Clockwork's 1, 2 or 3), or None when absent."""
    dlr_type: int | None = None
    """``<DlrType>``: 1 GET, 2 form POST, 3 XML, 4 XML batch; None when absent or not 1-4."""
    dlr_url: str | None = None
    """``<DlrUrl>``: where receipts go; None if absent or blank."""
    dlr_content: str | None = None
    """``<DlrContent>``: the sender's own values for the receipt, as written."""


DLR_TYPES = range(1, 5)


def _dlr_type(text: str | None) -> int | None:
    """A ``DlrType`` Clockwork documents (1-4), else None: the emulator then sends no receipt."""
    value = (text or "").strip()
    return int(value) if value.isascii() and value.isdigit() and int(value) in DLR_TYPES else None


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
            invalid_char_action=_optional_text(sms, "InvalidCharAction"),
            dlr_type=_dlr_type(sms.findtext("DlrType")),
            dlr_url=_optional_text(sms, "DlrUrl") or None,
            dlr_content=sms.findtext("DlrContent"),
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
    return serialise(root)


def format_request_error(error: SmsError, root_tag: str = "Message_Resp") -> bytes:
    root = ET.Element(root_tag)
    _child(root, "ErrNo", str(error.code))
    _child(root, "ErrDesc", error.description)
    return serialise(root)
