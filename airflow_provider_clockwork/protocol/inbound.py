"""Inbound messages: texts sent *to* a Clockwork number, which Clockwork forwards to a URL.

Clockwork documents that the callback carries "the sender's number, the destination
number, the content and a message ID", as a form or as XML, but not the field names.
The names chosen here (form ``msg_id``, ``from``, ``to``, ``content``; XML ``<Inbound>``
holding ``<MessageID>``, ``<From>``, ``<To>``, ``<Content>``) are assumptions listed in
``docs/emulator.md``. The emulator formats these; a user's receiver parses them.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from airflow_provider_clockwork.protocol.errors import InvalidInputError, excerpt
from airflow_provider_clockwork.protocol.message import NOT_IN_XML
from airflow_provider_clockwork.protocol.xml_document import serialise

XML_INBOUND = "Inbound"
# Form field -> XML element, in the order written.
_XML_ELEMENTS = {"msg_id": "MessageID", "from": "From", "to": "To", "content": "Content"}
REQUIRED_FIELDS = ("msg_id", "from", "to")


@dataclass(frozen=True)
class InboundMessage:
    """One text a handset sent to the account's number."""

    message_id: str
    sender: str
    """The handset's number."""
    to: str
    """The account's number it was sent to."""
    content: str


_HANDSET_CONTROLS = frozenset("\n\r\t")


def check_inbound_content(content: object) -> str:
    """Text a handset can have sent, which both the form and the XML callback can carry."""
    if not isinstance(content, str) or not content.strip():
        raise InvalidInputError(f"Inbound content {content!r} is empty: a phone sends some text.")
    for char in content:
        unwritable = unicodedata.category(char) in ("Cc", "Cs") and char not in _HANDSET_CONTROLS
        if unwritable or char in NOT_IN_XML:
            raise InvalidInputError(f"Inbound content {content[:40]!r} holds {char!r}, which no phone sends.")
    return content


def inbound_fields(message: InboundMessage) -> dict[str, str]:
    return {
        "msg_id": message.message_id,
        "from": message.sender,
        "to": message.to,
        "content": message.content,
    }


def format_form_inbound(message: InboundMessage) -> str:
    """The message URL-encoded, as the body of a form POST."""
    return urlencode(inbound_fields(message))


def _inbound(fields: Mapping[str, str]) -> InboundMessage:
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name, "").strip()]
    if missing:
        raise InvalidInputError(
            f"Not a Clockwork inbound message: {', '.join(missing)} missing, got {sorted(fields)}."
        )
    return InboundMessage(
        message_id=fields["msg_id"].strip(),
        sender=fields["from"].strip(),
        to=fields["to"].strip(),
        content=fields.get("content", ""),
    )


def parse_form_inbound(params: Mapping[str, str]) -> InboundMessage:
    """An inbound message from the form fields of the callback (names case-insensitive).

    ``msg_id``, ``from`` and ``to`` are required; the content is kept exactly as sent (it may be empty).
    """
    return _inbound({name.lower(): value for name, value in params.items()})


def format_xml_inbound(message: InboundMessage) -> bytes:
    root = ET.Element(XML_INBOUND)
    for name, value in inbound_fields(message).items():
        ET.SubElement(root, _XML_ELEMENTS[name]).text = value
    return serialise(root)


def parse_xml_inbound(body: bytes | str) -> InboundMessage:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise InvalidInputError(f"Not an XML inbound message: {excerpt(text)}") from None
    if root.tag != XML_INBOUND:
        raise InvalidInputError(
            f"Not an XML inbound message: root element <{root.tag}>, not <{XML_INBOUND}>."
        )
    fields = {name: root.findtext(tag) for name, tag in _XML_ELEMENTS.items()}
    return _inbound({name: value for name, value in fields.items() if value is not None})
