"""Content and sender rules: what one message may hold before it goes out.

Checked before any request so that a task never texts half its recipients and
then discovers that the message itself was never valid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.gsm import GSM7_BASIC, TextMeasure, is_gsm7, measure

MAX_TEXT_SENDER = 11
MAX_NUMERIC_SENDER = 12
# Line breaks, tabs and form feed are text; other control characters are almost
# always a templating accident and no handset shows them.
_TEXT_CONTROLS = frozenset("\n\r\t\f")
_DIGITS = re.compile(r"[0-9]+")
# Unicode text travels in an XML document, and XML 1.0 cannot carry these at all.
_NOT_IN_XML = frozenset("\f\ufffe\uffff")


@dataclass(frozen=True)
class Message:
    """A checked message: the same for every recipient of one send."""

    content: str
    sender: str | None
    long: bool
    measure: TextMeasure

    @property
    def needs_unicode(self) -> bool:
        return not self.measure.is_gsm7


def _stray_control(text: str) -> str | None:
    for char in text:
        if char not in _TEXT_CONTROLS and unicodedata.category(char) == "Cc":
            return char
    return None


def _unsendable(text: str) -> str | None:
    """A character no request can carry: a lone surrogate, or one XML forbids in Unicode text."""
    unicode_text = not is_gsm7(text)
    for char in text:
        if unicodedata.category(char) == "Cs" or (unicode_text and char in _NOT_IN_XML):
            return char
    return None


def check_content(content: object, long: bool) -> tuple[str, TextMeasure]:
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
    unsendable = _unsendable(text)
    if unsendable is not None:
        raise InvalidInputError(
            f"Content holds {unsendable!r}, which cannot be sent in this message: {text[:40]!r}."
        )
    size = measure(text)
    if not long and size.length > size.single_limit:
        raise InvalidInputError(
            f"Content is {size.length} {size.encoding} characters, over the {size.single_limit} "
            f"of one message; use long=True to join up to {size.long_limit}: {text[:40]!r}…"
        )
    if size.length > size.long_limit:
        raise InvalidInputError(
            f"Content is {size.length} {size.encoding} characters, over the {size.long_limit} "
            f"that a long message ({size.parts} parts; at most 3) can carry: {text[:40]!r}…"
        )
    return text, size


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


# What a Jinja template renders for a missing value (``{{ ti.xcom_pull(...) }}`` that found
# nothing): never meant as a message or a sender. Clockwork would take it, so the
# emulator does too; only the provider refuses it, before sending.
RENDERED_NONE = "None"


def prepare_message(content: object, sender: object = None, long: bool = False) -> Message:
    """The message as the provider sends it: Clockwork's rules, and no text rendered from None."""
    text, size = check_content(content, long)
    checked_sender = check_sender(sender)
    if text.strip() == RENDERED_NONE:
        raise InvalidInputError(
            f"Content {text!r} is what a template renders for a missing value (Python's None), "
            f"not a message; check the template that produced it."
        )
    if checked_sender is not None and checked_sender.strip() == RENDERED_NONE:
        raise InvalidInputError(
            f"Sender {checked_sender!r} is what a template renders for a missing value (Python's None); "
            f"leave sender unset (None) to use the connection's default."
        )
    return Message(content=text, sender=checked_sender, long=bool(long), measure=size)
