"""Delivery receipts: what became of a message after Clockwork accepted it.

Clockwork calls the URL given as ``DlrUrl`` when a message's state changes. A form
receipt (``DlrType`` 1 = GET, 2 = POST) carries ``msg_id``, ``to``, ``status``,
``detail`` and ``err_code``, e.g. ``?msg_id=AB_12345&status=DELIVRD&err_code=0&to=441234567890``.
The final states are confirmed; the spelling of the interim ones is not, so any
other status is kept as ``UNKNOWN`` with its raw text rather than refused.

``DlrContent`` "adds your own values to the callback": it is read here as a query
string (``order=42&shop=north``) whose pairs travel as extra fields beside
Clockwork's own, and come back in :attr:`DeliveryReceipt.extra`. XML receipts
(``DlrType`` 3 = one receipt, 4 = up to 100 in one POST) have no documented element
names; the ones chosen here are listed in ``docs/emulator.md``. Both directions live
here: the emulator formats receipts, a user's receiver parses them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import parse_qsl, urlencode, urlsplit

from airflow_provider_clockwork.protocol.errors import (
    InvalidInputError,
    enum_choice,
    excerpt,
    refuse_unknown_keys,
)
from airflow_provider_clockwork.protocol.xml_document import serialise

RECEIPT_FIELDS = ("msg_id", "to", "status", "detail", "err_code")
"""Clockwork's own fields of a form receipt; ``DlrContent`` cannot replace them."""

MAX_RECEIPTS_PER_XML_POST = 100
XML_RECEIPT = "Receipt"
XML_RECEIPTS = "Receipts"
# The XML receipt's elements, in the order written, by the form field each carries.
_XML_ELEMENTS = {
    "msg_id": "MessageID",
    "to": "To",
    "status": "Status",
    "detail": "Detail",
    "err_code": "ErrCode",
}
XML_EXTRA = "DlrContent"


class DeliveryState(Enum):
    """A message's delivery state, by Clockwork's status code."""

    DELIVERED = ("DELIVRD", "Delivered to the handset", True)
    UNDELIVERABLE = ("UNDELIV", "Could not be delivered", True)
    EXPIRED = ("EXPIRED", "Not delivered before it expired", True)
    REJECTED = ("REJECTD", "Rejected by the network", True)
    ENROUTE = ("ENROUTE", "On its way to the handset", False)
    ACCEPTED = ("ACCEPTD", "Accepted by the network", False)
    UNKNOWN = ("UNKNOWN", "Not a state this provider knows", False)

    def __init__(self, status: str, description: str, is_final: bool) -> None:
        self.status = status
        self.description = description
        self.is_final = is_final

    @classmethod
    def from_status(cls, status: str) -> DeliveryState:
        wanted = status.strip().upper()
        return next((state for state in cls if state.status == wanted), cls.UNKNOWN)


@dataclass(frozen=True)
class DeliveryReceipt:
    """One receipt: which message, to which number, its state and any error code."""

    message_id: str
    to: str
    state: DeliveryState
    status: str
    detail: str | None = None
    error_code: int | None = None
    extra: dict[str, str] = field(default_factory=dict, hash=False)
    """The sender's own values (``DlrContent``): every field besides Clockwork's five."""

    @property
    def delivered(self) -> bool:
        return self.state is DeliveryState.DELIVERED


def parse_dlr_content(text: str | None) -> dict[str, str]:
    """The values a ``DlrContent`` adds, read as a query string; Clockwork's own field names are dropped.

    A value without ``=`` becomes a field with an empty value (``"ref42"`` → ``{"ref42": ""}``).
    """
    pairs = parse_qsl(text or "", keep_blank_values=True)
    return {name: value for name, value in pairs if name.strip() and name.lower() not in RECEIPT_FIELDS}


def receipt_fields(receipt: DeliveryReceipt) -> dict[str, str]:
    """A receipt as form fields: Clockwork's five, then the ``extra`` ones (which cannot replace them)."""
    fields = {
        "msg_id": receipt.message_id,
        "to": receipt.to,
        "status": receipt.status,
        "detail": receipt.detail or "",
        "err_code": "" if receipt.error_code is None else str(receipt.error_code),
    }
    for name, value in receipt.extra.items():
        if name.lower() not in RECEIPT_FIELDS:
            fields[name] = value
    return fields


def format_form_receipt(receipt: DeliveryReceipt) -> str:
    """The receipt URL-encoded: the query string of a ``DlrType`` 1 GET, the body of a 2 POST."""
    return urlencode(receipt_fields(receipt))


def _receipt(fields: Mapping[str, str], extra: dict[str, str]) -> DeliveryReceipt:
    """A receipt from Clockwork's five fields (lower-case names), checked as a receiver must."""
    message_id = fields.get("msg_id", "").strip()
    status = fields.get("status", "").strip()
    if not message_id or not status:
        raise InvalidInputError(
            f"Not a Clockwork delivery receipt: msg_id and status are required, got {sorted(fields)}."
        )
    raw_code = fields.get("err_code", "").strip()
    try:
        error_code = int(raw_code) if raw_code else None
    except ValueError:
        raise InvalidInputError(f"Delivery receipt err_code {raw_code!r} is not a number.") from None
    return DeliveryReceipt(
        message_id=message_id,
        to=fields.get("to", "").strip(),
        state=DeliveryState.from_status(status),
        status=status,
        detail=fields.get("detail") or None,
        error_code=error_code,
        extra=extra,
    )


def parse_form_receipt(params: Mapping[str, str]) -> DeliveryReceipt:
    """A receipt from the query or form fields of Clockwork's callback (names case-insensitive).

    Fields other than Clockwork's five (the ``DlrContent`` values) go to ``extra``, as sent.
    """
    fields = {name.lower(): value for name, value in params.items()}
    extra = {name: value for name, value in params.items() if name.lower() not in RECEIPT_FIELDS}
    return _receipt(fields, extra)


# XML receipts (DlrType 3 and 4).


def _receipt_element(parent: ET.Element | None, receipt: DeliveryReceipt) -> ET.Element:
    fields = receipt_fields(receipt)
    element = ET.Element(XML_RECEIPT) if parent is None else ET.SubElement(parent, XML_RECEIPT)
    for name, tag in _XML_ELEMENTS.items():
        ET.SubElement(element, tag).text = fields.pop(name)
    if fields:
        ET.SubElement(element, XML_EXTRA).text = urlencode(fields)
    return element


def format_xml_receipt(receipt: DeliveryReceipt) -> bytes:
    """``DlrType`` 3: one ``<Receipt>`` as the whole document."""
    return serialise(_receipt_element(None, receipt))


def format_xml_receipts(receipts: Iterable[DeliveryReceipt]) -> bytes:
    """``DlrType`` 4: ``<Receipts>`` holding one to 100 ``<Receipt>``."""
    batch = list(receipts)
    if not 1 <= len(batch) <= MAX_RECEIPTS_PER_XML_POST:
        raise ValueError(
            f"an XML receipt batch holds 1 to {MAX_RECEIPTS_PER_XML_POST} receipts, not {len(batch)}"
        )
    root = ET.Element(XML_RECEIPTS)
    for receipt in batch:
        _receipt_element(root, receipt)
    return serialise(root)


def _from_element(element: ET.Element) -> DeliveryReceipt:
    fields = {name: element.findtext(tag) or "" for name, tag in _XML_ELEMENTS.items()}
    return _receipt(fields, parse_dlr_content(element.findtext(XML_EXTRA)))


def parse_xml_receipts(body: bytes | str) -> list[DeliveryReceipt]:
    """Every receipt of an XML callback: a ``<Receipt>`` document (type 3) or ``<Receipts>`` (type 4)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise InvalidInputError(f"Not an XML delivery receipt: {excerpt(text)}") from None
    if root.tag == XML_RECEIPT:
        return [_from_element(root)]
    if root.tag == XML_RECEIPTS:
        return [_from_element(element) for element in root.findall(XML_RECEIPT)]
    raise InvalidInputError(
        f"Not an XML delivery receipt: root element <{root.tag}>, not <{XML_RECEIPT}> or <{XML_RECEIPTS}>."
    )


# The sending side: asking Clockwork for receipts (the XML send's DlrType, DlrUrl, DlrContent).


class ReceiptType(Enum):
    """How Clockwork calls the ``DlrUrl`` (its ``DlrType``)."""

    GET = 1
    """A GET with the receipt's fields in the query string."""
    POST = 2
    """A form POST of the receipt's fields."""
    XML = 3
    """An XML POST of one receipt."""
    XML_BATCH = 4
    """An XML POST of up to 100 receipts."""


@dataclass(frozen=True)
class ReceiptRequest:
    """Where and how Clockwork reports what became of each message, and the values to add to it."""

    url: str
    type: ReceiptType = ReceiptType.POST
    content: str | None = None
    """``DlrContent``: a query string (``run_id=...&task=...``), back in ``DeliveryReceipt.extra``."""


RECEIPT_KEYS = ("url", "type", "content")
_TYPE_NAMES = ", ".join(repr(kind.name.lower()) for kind in ReceiptType)


def check_receipt_url(url: object) -> str:
    """A URL Clockwork (or the emulator) can call back: ``http`` or ``https`` with a host."""
    text = str(url).strip() if isinstance(url, str) else ""
    if any(char.isspace() or not char.isprintable() for char in text):
        raise InvalidInputError(
            f"Receipt URL {url!r} is not an http:// or https:// URL: it holds a space or a control "
            f"character (percent-encode them)."
        )
    parts = urlsplit(text)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise InvalidInputError(f"Receipt URL {url!r} is not an http:// or https:// URL with a host.")
    return text


def _receipt_type(value: object) -> ReceiptType:
    chosen = enum_choice(ReceiptType, value)
    if chosen is None:
        raise InvalidInputError(
            f"Receipt type {value!r} is not one of {_TYPE_NAMES} (or Clockwork's 1 to 4)."
        )
    return chosen


def _receipt_content(value: object) -> str | None:
    """``DlrContent`` as sent: a query string as given, or a mapping of values encoded as one."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        names = [str(name) for name in value]
        text = urlencode({str(name): "" if item is None else str(item) for name, item in value.items()})
    elif isinstance(value, str):
        if any(not char.isprintable() for char in value):
            raise InvalidInputError(f"Receipt content {value!r} holds a control character; URL-encode it.")
        names = [name for name, _ in parse_qsl(value, keep_blank_values=True)]
        text = value
    else:
        raise InvalidInputError(
            f"Receipt content {value!r} is a {type(value).__name__}; give a query string or a mapping."
        )
    clashing = sorted({name for name in names if name.strip().lower() in RECEIPT_FIELDS})
    if clashing:
        raise InvalidInputError(
            f"Receipt content names {', '.join(map(repr, clashing))}, which are Clockwork's own "
            f"receipt fields ({', '.join(RECEIPT_FIELDS)}); choose other names."
        )
    return text


def prepare_receipt_request(value: object) -> ReceiptRequest | None:
    """
    A receipt request from what a user gives, or ``InvalidInputError`` naming the value.

    :param value: None (no receipts); a URL (receipts by form POST); or a mapping
        ``{"url", "type"?, "content"?}`` where ``type`` is ``"get"``, ``"post"`` (default),
        ``"xml"`` or ``"xml_batch"`` and ``content`` a query string or a mapping of your own
        values (e.g. ``{"run_id": "..."}``), which come back in each receipt's ``extra``.
    """
    if value is None or isinstance(value, ReceiptRequest):
        return value
    if isinstance(value, str):
        return ReceiptRequest(url=check_receipt_url(value))
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"delivery_receipt {value!r} is a {type(value).__name__}; give a URL or a mapping "
            f"{{'url': ..., 'type': ..., 'content': ...}}."
        )
    refuse_unknown_keys(value, RECEIPT_KEYS, "delivery_receipt")
    if "url" not in value:
        raise InvalidInputError(f"delivery_receipt {value!r} has no 'url'.")
    return ReceiptRequest(
        url=check_receipt_url(value["url"]),
        type=_receipt_type(value.get("type", ReceiptType.POST)),
        content=_receipt_content(value.get("content")),
    )
