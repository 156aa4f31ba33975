"""Recipient numbers: the forms users write them in and the one Clockwork accepts.

Clockwork wants international numbers without ``+`` or leading zeros. Users paste
numbers as ``+44 7700 900-123`` or ``0044 (7700) 900123``; we accept those, and refuse
before any request what would be refused later (or, worse, texted to a wrong
number), naming the entry exactly as the user wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from airflow_provider_clockwork.protocol.errors import (
    InvalidInputError,
    missing_value_error,
    rendered_from_missing,
)

MAX_RECIPIENTS_PER_REQUEST = 50
MIN_DIGITS = 7
MAX_DIGITS = 15

# "+44 (0)7700 ..." is UK print style: dialled from abroad the 0 is dropped, and
# merely removing the brackets would text a different, wrong number.
_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")
_DECORATION = re.compile(r"[\s\-.()\[\]]")
_INTERNATIONAL = re.compile(rf"[1-9][0-9]{{{MIN_DIGITS - 1},{MAX_DIGITS - 1}}}")

T = TypeVar("T")


def is_international_number(text: str) -> bool:
    """True for 7 to 15 ASCII digits not starting with 0: the only form Clockwork takes."""
    return _INTERNATIONAL.fullmatch(text) is not None


def normalise_number(entry: object) -> str:
    """The number in Clockwork's form, or :class:`InvalidInputError` naming ``entry``."""
    if type(entry) is str and is_international_number(entry):
        return entry  # already in Clockwork's form: the common case, 20,000 times in a big send
    if isinstance(entry, bool) or not isinstance(entry, (str, int)):
        raise InvalidInputError(
            f"Recipient {entry!r} is a {type(entry).__name__}; give numbers as strings or integers."
        )
    if isinstance(entry, int) and entry < 0:
        raise InvalidInputError(f"Recipient {entry!r} is a negative number.")
    text = str(entry)
    # Named as written, less the spaces around it that a "a, b" list puts there.
    shown = text.strip() if isinstance(entry, str) else entry
    if _TRUNK_ZERO.search(text):
        raise InvalidInputError(
            f"Recipient {shown!r} holds a '(0)' trunk prefix: after the country code the 0 must go "
            f"(e.g. +44 (0)7700 900123 is 447700900123), so the number is ambiguous."
        )
    if not text.strip():
        raise InvalidInputError(f"Recipient list has an empty entry ({entry!r}).")
    if rendered_from_missing(text):
        raise missing_value_error(
            f"Recipient {shown!r}", "not a phone number; check the template that produced it."
        )
    number = _DECORATION.sub("", text)
    if number.startswith("+"):
        number = number[1:]
    elif number.startswith("00"):
        number = number[2:]
    if not is_international_number(number):
        raise InvalidInputError(
            f"Recipient {shown!r} is not a valid international number: after removing spaces, "
            f"dashes, dots, brackets and a leading '+' or '00' it must be {MIN_DIGITS} to "
            f"{MAX_DIGITS} digits with a country code and no leading 0 (e.g. 447700900123)."
        )
    return number


def _entries(to: object) -> Sequence[object]:
    if isinstance(to, str):
        return to.split(",")
    if isinstance(to, int) and not isinstance(to, bool):
        return [to]
    if isinstance(to, (list, tuple)):
        return to
    raise InvalidInputError(
        f"Recipients {to!r} must be a comma-separated string or a list of numbers, not a {type(to).__name__}."
    )


def normalise_recipients(to: object) -> list[str]:
    """Every recipient normalised, duplicates dropped, in the order first given."""
    entries = _entries(to)
    numbers = dict.fromkeys(normalise_number(entry) for entry in entries)
    if not numbers:
        raise InvalidInputError(f"No recipients: {to!r} holds no phone number.")
    return list(numbers)


def batches(items: Iterable[T], size: int = MAX_RECIPIENTS_PER_REQUEST) -> list[list[T]]:
    """Consecutive groups of at most ``size`` numbers (or messages): one request each."""
    pending = list(items)
    return [pending[start : start + size] for start in range(0, len(pending), size)]
