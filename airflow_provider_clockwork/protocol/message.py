"""Content and sender rules: what one message may hold before it goes out.

Checked before any request so that a task never texts half its recipients and
then discovers that the message itself was never valid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from airflow_provider_clockwork.protocol.delivery import ReceiptRequest, prepare_receipt_request
from airflow_provider_clockwork.protocol.errors import (
    InvalidInputError,
    enum_choice,
    missing_value_error,
    rendered_from_missing,
)
from airflow_provider_clockwork.protocol.gsm import (
    GSM7_BASIC,
    InvalidCharAction,
    TextMeasure,
    is_gsm7,
    measure,
    non_gsm7_characters,
)

MAX_TEXT_SENDER = 11
MAX_NUMERIC_SENDER = 12
# Line breaks, tabs and form feed are text; other control characters are almost
# always a templating accident and no handset shows them.
_TEXT_CONTROLS = frozenset("\n\r\t\f")
_DIGITS = re.compile(r"[0-9]+")
# Some messages travel in an XML document (see Message.needs_xml), and XML 1.0 cannot
# carry these at all.
NOT_IN_XML = frozenset("\f\ufffe\uffff")


@dataclass(frozen=True)
class Message:
    """A checked message: the same for every recipient of one send."""

    content: str
    sender: str | None
    long: bool
    measure: TextMeasure
    """Encoding, length and parts of the text as it arrives (after ``invalid_char_action``)."""
    invalid_char_action: InvalidCharAction | None = None
    """Keep to GSM-7 by removing or replacing other characters; None sends such text as Unicode."""
    receipt: ReceiptRequest | None = None
    """Where Clockwork reports each message's delivery; None asks for no receipts."""

    @property
    def needs_unicode(self) -> bool:
        return not self.measure.is_gsm7

    @property
    def arrives_as(self) -> str:
        """The text a handset shows: the content, or what ``invalid_char_action`` makes of it."""
        if self.invalid_char_action is None:
            return self.content
        return self.invalid_char_action.apply(self.content)

    @property
    def needs_xml(self) -> bool:
        """True when the plain HTTP send cannot carry it: Unicode, characters Clockwork must remove or
        replace, or a receipt request (only the XML send takes ``InvalidCharAction`` and ``DlrUrl``)."""
        return self.needs_unicode or self.content != self.arrives_as or self.receipt is not None


def unsendable_character(text: str) -> str | None:
    """The first character no message may hold: a stray control character or half a UTF-16 pair."""
    return _stray_control(text) or _lone_surrogate(text)


def _stray_control(text: str) -> str | None:
    for char in text:
        if char not in _TEXT_CONTROLS and unicodedata.category(char) == "Cc":
            return char
    return None


def _lone_surrogate(text: str) -> str | None:
    """A character no request can carry: half of a UTF-16 pair, which UTF-8 cannot encode."""
    return next((char for char in text if unicodedata.category(char) == "Cs"), None)


def check_fits_xml(message: Message) -> Message:
    """The message, if an XML document can carry its text; raised before any request otherwise."""
    unfit = next((char for char in message.content if char in NOT_IN_XML), None)
    if unfit is not None:
        raise InvalidInputError(
            f"Content holds {unfit!r}, which this message cannot carry: it goes through Clockwork's "
            f"XML interface (Unicode text, invalid_char_action, delivery_receipt or a personalised "
            f"send), and XML has no way to write it: {message.content[:40]!r}."
        )
    return message


_ACTION_NAMES = ", ".join(repr(action.name.lower()) for action in InvalidCharAction)


def check_invalid_char_action(value: object) -> InvalidCharAction | None:
    """``"error"``, ``"remove"`` or ``"replace"`` (any case), Clockwork's 1, 2 or 3, a member, or None."""
    if value is None:
        return None
    chosen = enum_choice(InvalidCharAction, value)
    if chosen is not None:
        return chosen
    raise InvalidInputError(
        f"invalid_char_action {value!r} is not one of {_ACTION_NAMES} (or None to send such text as Unicode)."
    )


def _setting(action: InvalidCharAction) -> str:
    return f"invalid_char_action={action.name.lower()!r}"


def _apply_action(text: str, action: InvalidCharAction | None) -> str:
    """The text as it will arrive; ``ERROR`` refuses here, before any request, what Clockwork would refuse."""
    if action is None or is_gsm7(text):
        return text
    if action is InvalidCharAction.ERROR:
        shown = "".join(non_gsm7_characters(text))
        raise InvalidInputError(
            f"Content holds {shown!r}, which GSM-7 cannot carry, and invalid_char_action='error' "
            f"refuses it; use 'replace' or 'remove', or leave invalid_char_action unset to send "
            f"Unicode: {text[:40]!r}."
        )
    arriving = action.apply(text)
    if not arriving.strip():
        raise InvalidInputError(
            f"Content {text[:40]!r} is empty once {_setting(action)} removes the "
            f"characters GSM-7 cannot carry."
        )
    return arriving


def check_content(
    content: object, long: bool, invalid_char_action: InvalidCharAction | None = None
) -> tuple[str, TextMeasure]:
    """The text and its measure as it will arrive, or ``InvalidInputError`` naming what is wrong."""
    if content is None:
        raise InvalidInputError("Content is None: the message text is empty.")
    if isinstance(content, bool) or not isinstance(content, (str, int, float)):
        raise InvalidInputError(
            f"Content {content!r} is a {type(content).__name__}; the message text must be a string."
        )
    text = str(content)
    if not text.strip():
        raise InvalidInputError(f"Content {text!r} is empty: there is no text to send.")
    stray = _stray_control(text)
    if stray is not None:
        raise InvalidInputError(
            f"Content holds the control character {stray!r}, which no phone can show: {text[:40]!r}."
        )
    unsendable = _lone_surrogate(text)
    if unsendable is not None:
        raise InvalidInputError(
            f"Content holds {unsendable!r}, which cannot be sent in this message: {text[:40]!r}."
        )
    arriving = _apply_action(text, invalid_char_action)
    size = measure(arriving)
    as_sent = (
        ""
        if invalid_char_action is None or arriving == text
        else f" once {_setting(invalid_char_action)} applies"
    )
    counted = _how_counted(size, arriving)
    if not long and size.length > size.single_limit:
        raise InvalidInputError(
            f"Content is {size.length} {size.encoding} characters{as_sent}, over the {size.single_limit} "
            f"of one message{counted}; use long=True to join up to {size.long_limit}: {text[:40]!r}…"
        )
    if size.length > size.long_limit:
        raise InvalidInputError(
            f"Content is {size.length} {size.encoding} characters{as_sent}, over the {size.long_limit} "
            f"that a long message ({size.parts} parts; at most 3) can carry{counted}: {text[:40]!r}…"
        )
    return text, size


def _how_counted(size: TextMeasure, text: str) -> str:
    """Why the length is not the number of characters the user sees, when it is not."""
    if size.length == len(text):
        return ""
    if size.is_gsm7:
        return " (as a phone counts them: each of { } [ ] ~ | ^ € \\ counts as two)"
    return (
        " (as a phone counts them: an emoji, or another character outside the "
        "Basic Multilingual Plane, counts as two)"
    )


def check_sender(sender: object) -> str | None:
    """The sender as Clockwork takes it: up to 11 characters, or up to 12 digits."""
    if sender is None:
        return None
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        raise InvalidInputError(f"Sender {sender!r} must be a string, not a {type(sender).__name__}.")
    text = str(sender)
    if not text.strip():
        raise InvalidInputError(
            f"Sender {text!r} is empty; leave sender unset (None) to use the connection's default."
        )
    if _DIGITS.fullmatch(text):
        if len(text) > MAX_NUMERIC_SENDER:
            raise InvalidInputError(
                f"Sender {text!r} is {len(text)} digits; a numeric sender has at most {MAX_NUMERIC_SENDER}."
            )
        return text
    if len(text) > MAX_TEXT_SENDER:
        raise InvalidInputError(
            f"Sender {text!r} is {len(text)} characters; a text sender has at most {MAX_TEXT_SENDER}."
        )
    unfit = [char for char in text if char not in GSM7_BASIC or char in "\r\n"]
    if unfit:
        raise InvalidInputError(
            f"Sender {text!r} holds {unfit[0]!r}; a text sender takes GSM letters, digits, spaces "
            f"and punctuation only."
        )
    return text


def prepare_message(
    content: object,
    sender: object = None,
    long: bool = False,
    invalid_char_action: object = None,
    delivery_receipt: object = None,
) -> Message:
    """The message as the provider sends it: Clockwork's rules, and no text rendered from None.

    :param invalid_char_action: None sends text outside GSM-7 as Unicode, intact; ``"error"``,
        ``"remove"`` or ``"replace"`` keeps it to GSM-7 (see :class:`.gsm.InvalidCharAction`).
    :param delivery_receipt: None, a URL, or ``{"url", "type"?, "content"?}`` (see
        :func:`.delivery.prepare_receipt_request`).
    """
    action = check_invalid_char_action(invalid_char_action)
    receipt = prepare_receipt_request(delivery_receipt)
    text, size = check_content(content, long, action)
    checked_sender = check_sender(sender)
    if rendered_from_missing(text):
        raise missing_value_error(f"Content {text!r}", "not a message; check the template that produced it.")
    if checked_sender is not None and rendered_from_missing(checked_sender):
        raise missing_value_error(
            f"Sender {checked_sender!r}",
            "not a sender; leave sender unset (None) to use the connection's default.",
        )
    message = Message(
        content=text,
        sender=checked_sender,
        long=bool(long),
        measure=size,
        invalid_char_action=action,
        receipt=receipt,
    )
    return check_fits_xml(message) if message.needs_xml else message
