"""Cutting an over-long text to fit one message (or three joined parts), for alerts.

An alert often carries an exception of any length; refusing it would tell nobody that
the pipeline broke. So the notifier keeps the beginning of the text and ends it with
``...``. The cut is measured as the handset counts the text *as it arrives*: GSM-7
extension characters count two, Unicode text counts UTF-16 units, and
``invalid_char_action`` has already removed or replaced what GSM-7 cannot carry. A text
whose beginning is GSM-7 may fit far more of it once the Unicode tail is cut away, so
the longest beginning that fits is found whichever encoding it then needs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from airflow_provider_clockwork.protocol.gsm import (
    GSM7_PART_LIMIT,
    GSM7_SINGLE_LIMIT,
    MAX_PARTS,
    UNICODE_PART_LIMIT,
    UNICODE_SINGLE_LIMIT,
    InvalidCharAction,
    gsm7_length,
    is_gsm7,
    measure,
    only_modifies_its_neighbour,
    utf16_length,
)

ELLIPSIS = "..."
"""Three full stops, not ``…``: that character is not GSM-7 and would force Unicode."""
_ZERO_WIDTH_JOINER = "\u200d"


@dataclass(frozen=True)
class Cut:
    """A text cut to fit: what is sent, and what was dropped."""

    text: str
    """The beginning kept, ending in ``...``."""
    dropped: int
    """Characters of the original left out."""
    length: int
    """The length of ``text`` as a handset counts it (septets, or UTF-16 units)."""
    encoding: str


def message_limits(long: bool) -> tuple[int, int]:
    """The most GSM-7 septets and UTF-16 units one message carries."""
    if long:
        return GSM7_PART_LIMIT * MAX_PARTS, UNICODE_PART_LIMIT * MAX_PARTS
    return GSM7_SINGLE_LIMIT, UNICODE_SINGLE_LIMIT


def _arriving(text: str, action: InvalidCharAction | None) -> str:
    """What the text becomes on the handset (``ERROR`` changes nothing)."""
    return text if action is None else "".join(action.apply(char) for char in text)


def _can_cut_before(text: str, index: int) -> bool:
    """A cut must not leave a combining mark, a skin tone or a joined emoji without its partner."""
    return not only_modifies_its_neighbour(text[index]) and text[index - 1] != _ZERO_WIDTH_JOINER


def _longest_fitting_prefix(text: str, long: bool, action: InvalidCharAction | None) -> int:
    """How many characters of ``text`` fit with the ellipsis after them; 0 when none do.

    Walks the text once, counting the prefix both ways: a prefix that is all GSM-7 must fit
    in septets, any other in UTF-16 units.
    """
    gsm_limit, unicode_limit = message_limits(long)
    room_gsm, room_unicode = gsm_limit - len(ELLIPSIS), unicode_limit - len(ELLIPSIS)
    septets = units = 0
    all_gsm = True
    best = 0
    for index, char in enumerate(text):
        fits = septets <= room_gsm if all_gsm else units <= room_unicode
        if index and fits and _can_cut_before(text, index):
            best = index
        arriving = _arriving(char, action)
        all_gsm = all_gsm and is_gsm7(arriving)
        septets += gsm7_length(arriving)
        units += utf16_length(arriving)
        if units > room_unicode and (not all_gsm or septets > room_gsm):
            break  # no longer prefix can fit
    return best


def cut_to_fit(text: str, long: bool = False, action: InvalidCharAction | None = None) -> Cut | None:
    """The longest beginning of ``text`` that fits, ending in ``...``; None when ``text`` fits as it is.

    None too when nothing can be cut to fit: a text refused for another reason (a
    character ``invalid_char_action="error"`` refuses, an empty one); the caller's checks
    then say what is wrong with it.
    """
    if action is InvalidCharAction.ERROR and not is_gsm7(text):
        return None
    if action is not None:
        text = unicodedata.normalize("NFC", text)  # as Clockwork's rule sees it: whole letters
    gsm_limit, unicode_limit = message_limits(long)
    whole = measure(_arriving(text, action))
    if whole.length <= (gsm_limit if whole.is_gsm7 else unicode_limit):
        return None
    kept = text[: _longest_fitting_prefix(text, long, action)].rstrip()
    if not _arriving(kept, action).strip():
        return None
    size = measure(_arriving(kept + ELLIPSIS, action))
    return Cut(
        text=kept + ELLIPSIS, dropped=len(text) - len(kept), length=size.length, encoding=size.encoding
    )
