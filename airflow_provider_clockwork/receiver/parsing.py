"""Turning one of Clockwork's callbacks (query, form or XML) into receipts or an inbound text.

Checks what the protocol parsers leave open because a receiver must refuse it before
storing anything: bodies over the size limit, XML with a DTD (entity expansion), an
unknown status, a batch of more than 100, an ID that cannot be Clockwork's, an inbound
text to something that is not a phone number (it names an asset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import parse_qsl

from airflow_provider_clockwork.protocol.delivery import (
    MAX_RECEIPTS_PER_XML_POST,
    DeliveryReceipt,
    DeliveryState,
    parse_form_receipt,
    parse_xml_receipts,
)
from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.inbound import InboundMessage, parse_form_inbound, parse_xml_inbound
from airflow_provider_clockwork.protocol.recipients import normalise_number
from airflow_provider_clockwork.receiver.records import MAX_MESSAGE_ID_LENGTH

MAX_BODY_BYTES = 256 * 1024
"""Room for a batch of 100 receipts with generous ``DlrContent``; anything bigger is not Clockwork."""
_KNOWN_STATES = ", ".join(state.status for state in DeliveryState if state is not DeliveryState.UNKNOWN)


class BodyTooLarge(InvalidInputError):
    """A body over :data:`MAX_BODY_BYTES`."""


def is_xml(content_type: str, body: bytes) -> bool:
    return "xml" in content_type.lower() or body.lstrip().startswith(b"<")


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"The body is not UTF-8 (byte {error.start}).") from None


def _xml(body: bytes) -> bytes:
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise InvalidInputError("XML with a DTD or entity declarations is refused.")
    return body


def form_fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(_text(body), keep_blank_values=True))


def _checked_id(message_id: str) -> str:
    if len(message_id) > MAX_MESSAGE_ID_LENGTH or not message_id.isprintable():
        raise InvalidInputError(
            f"Message ID {message_id[:40]!r} is not a Clockwork message ID "
            f"(printable, at most {MAX_MESSAGE_ID_LENGTH} characters)."
        )
    return message_id


def _checked_receipt(receipt: DeliveryReceipt) -> DeliveryReceipt:
    _checked_id(receipt.message_id)
    if receipt.state is DeliveryState.UNKNOWN:
        raise InvalidInputError(
            f"Receipt for {receipt.message_id!r} has status {receipt.status[:40]!r}, "
            f"not one of {_KNOWN_STATES}."
        )
    return receipt


def receipts_from_query(query: Mapping[str, str]) -> list[DeliveryReceipt]:
    """``DlrType`` 1: the receipt is the query string (less the receiver's token)."""
    return [_checked_receipt(parse_form_receipt(query))]


def receipts_from_body(content_type: str, body: bytes) -> list[DeliveryReceipt]:
    """``DlrType`` 2 (form) or 3 and 4 (XML, one receipt or a batch of up to 100)."""
    if not body.strip():
        raise InvalidInputError("The body is empty: a receipt POST carries the receipt.")
    if not is_xml(content_type, body):
        return [_checked_receipt(parse_form_receipt(form_fields(body)))]
    receipts = parse_xml_receipts(_xml(body))
    if not 1 <= len(receipts) <= MAX_RECEIPTS_PER_XML_POST:
        raise InvalidInputError(
            f"An XML receipt batch holds 1 to {MAX_RECEIPTS_PER_XML_POST} receipts, not {len(receipts)}."
        )
    return [_checked_receipt(receipt) for receipt in receipts]


def inbound_from_body(content_type: str, body: bytes) -> InboundMessage:
    """An inbound text (form or XML), its destination normalised: it names the asset of its events."""
    if not body.strip():
        raise InvalidInputError("The body is empty: an inbound POST carries the text.")
    if is_xml(content_type, body):
        message = parse_xml_inbound(_xml(body))
    else:
        message = parse_form_inbound(form_fields(body))
    _checked_id(message.message_id)
    try:
        to = normalise_number(message.to)
    except InvalidInputError:
        raise InvalidInputError(f"Inbound 'to' {message.to[:40]!r} is not a phone number.") from None
    return replace(message, to=to)


def allowed_sender(sender: str, allowed: frozenset[str]) -> bool:
    try:
        return normalise_number(sender) in allowed
    except InvalidInputError:
        return False
