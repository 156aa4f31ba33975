"""Personalised sends: a different text for each number, in one XML request of up to 500.

The HTTP send carries one text to many numbers. Clockwork's XML send carries one
``<SMS>`` per message, each with its own ``To``, ``Content``, ``From`` and ``Long``,
so a text per customer costs one request per 500 messages instead of one per
customer. Each message has a ``client_id``: the caller's name for it, which keys
the results (the same number may get two different texts in one send, so the
number cannot).

The items come from users (a DAG's literal list, or an upstream task's XCom), so
every one is checked before any request, and an error names the item's index and
the value at fault.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from airflow_provider_clockwork.protocol.errors import InvalidInputError, refuse_unknown_keys
from airflow_provider_clockwork.protocol.message import (
    NOT_IN_XML,
    Message,
    check_fits_xml,
    check_sender,
    prepare_message,
)
from airflow_provider_clockwork.protocol.recipients import is_international_number, normalise_number
from airflow_provider_clockwork.protocol.results import SendResult

MAX_MESSAGES_PER_XML_REQUEST = 500
"""Our batch limit for one XML send request (Clockwork's own limit is unconfirmed)."""

REQUIRED_KEYS = ("to", "content")
OPTIONAL_KEYS = ("sender", "long", "client_id", "invalid_char_action", "delivery_receipt")
_SHOWN_LENGTH = 80


def _shown(value: object) -> str:
    """A value as an error message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def check_client_id(value: object) -> str:
    """A client ID as it travels in ``<ClientID>``: non-empty text (or an integer), nothing invisible."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInputError(
            f"client_id {_shown(value)} is a {type(value).__name__}; give a string or an integer."
        )
    text = str(value)
    if not text.strip():
        raise InvalidInputError(f"client_id {text!r} is empty.")
    if text != text.strip():
        raise InvalidInputError(f"client_id {text!r} has spaces around it.")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs") or char in NOT_IN_XML:
            raise InvalidInputError(f"client_id {_shown(text)} holds the character {char!r}.")
    return text


@dataclass(frozen=True)
class PersonalisedSms:
    """One checked message of a personalised send: one number, its own text, the caller's ID for it."""

    to: str
    message: Message
    client_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.to, str) or not is_international_number(self.to):
            raise InvalidInputError(
                f"PersonalisedSms.to {_shown(self.to)} is not one normalised number "
                "(prepare_personalised makes one)."
            )
        if not isinstance(self.message, Message):
            raise InvalidInputError(
                f"PersonalisedSms.message {_shown(self.message)} is not a checked Message "
                "(prepare_message makes one)."
            )
        check_client_id(self.client_id)

    @property
    def label(self) -> str:
        """How errors name the message: ``client_id (number)``."""
        return f"{self.client_id} ({self.to})"


@dataclass
class PersonalisedResult(SendResult):
    """What Clockwork said about each message of a personalised send, keyed by client ID.

    ``message_ids`` and ``errors`` are keyed by ``client_id`` (not by number: one
    number may get several messages); ``numbers`` gives each client ID's number.
    """

    numbers: dict[str, str] = field(default_factory=dict)
    noun: ClassVar[str] = "message"

    def label(self, client_id: str) -> str:
        number = self.numbers.get(client_id)
        return f"{client_id} ({number})" if number else client_id

    def update(self, other: SendResult) -> None:
        super().update(other)
        if isinstance(other, PersonalisedResult):
            self.numbers.update(other.numbers)

    def describe_errors(self) -> str:
        return "; ".join(f"{self.label(client_id)}: {error}" for client_id, error in self.errors.items())


def _one_number(to: object) -> str:
    if isinstance(to, (list, tuple, set)):
        raise InvalidInputError(
            f"'to' is a {type(to).__name__} ({_shown(to)}); each message goes to exactly one number."
        )
    if isinstance(to, str) and "," in to:
        raise InvalidInputError(
            f"'to' {to!r} holds several numbers; each message goes to exactly one number."
        )
    return normalise_number(to)


def _long(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidInputError(f"'long' {_shown(value)} must be True or False.")
    return value


def _prepare_item(index: int, item: object, default_sender: str | None) -> PersonalisedSms:
    if isinstance(item, PersonalisedSms):  # already checked: only the default sender to apply
        if item.message.sender is not None or default_sender is None:
            return item
        return replace(item, message=replace(item.message, sender=check_sender(default_sender)))
    if not isinstance(item, Mapping):
        raise InvalidInputError(
            f"is a {type(item).__name__}; each message must be a mapping with 'to' and 'content'."
        )
    refuse_unknown_keys(item, REQUIRED_KEYS + OPTIONAL_KEYS, "the message")
    missing = [key for key in REQUIRED_KEYS if key not in item]
    if missing:
        raise InvalidInputError(f"has no {' and no '.join(map(repr, missing))}.")
    to = _one_number(item["to"])
    sender = item.get("sender")
    message = prepare_message(
        item["content"],
        default_sender if sender is None else sender,
        _long(item.get("long")),
        item.get("invalid_char_action"),
        item.get("delivery_receipt"),
    )
    check_fits_xml(message)  # every personalised message travels in an XML document
    client_id = item.get("client_id")
    return PersonalisedSms(
        to=to, message=message, client_id=check_client_id(str(index) if client_id is None else client_id)
    )


def prepare_personalised(items: object, default_sender: str | None = None) -> list[PersonalisedSms]:
    """
    Every message checked, in the order given, or ``InvalidInputError`` naming the item.

    :param items: an iterable of mappings
        ``{"to", "content", "sender"?, "long"?, "client_id"?, "invalid_char_action"?,
        "delivery_receipt"?}``
        (or of :class:`PersonalisedSms` already checked, which only get the default sender).
        ``to`` is one number (in any form ``normalise_number`` takes); ``sender`` defaults to
        ``default_sender``; ``long`` is a bool (default False); ``client_id`` defaults to the
        item's index, as a string (client IDs must be unique); ``invalid_char_action`` and
        ``delivery_receipt`` are as for :func:`.message.prepare_message`.
    """
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidInputError(
            f"Messages {_shown(items)} must be a list of mappings such as "
            f"{{'to': '447700900123', 'content': 'Hi'}}, not a {type(items).__name__}."
        )
    prepared: list[PersonalisedSms] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        try:
            sms = _prepare_item(index, item, default_sender)
        except InvalidInputError as error:
            raise InvalidInputError(f"messages[{index}] {_shown(item)}: {error}") from None
        if sms.client_id in first_index:
            raise InvalidInputError(
                f"messages[{index}] {_shown(item)}: client_id {sms.client_id!r} is already used by "
                f"messages[{first_index[sms.client_id]}]; client IDs must be unique."
            )
        first_index[sms.client_id] = index
        prepared.append(sms)
    if not prepared:
        raise InvalidInputError(f"No messages: {_shown(items)} holds no message to send.")
    return prepared
