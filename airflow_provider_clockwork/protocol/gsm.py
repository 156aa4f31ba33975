"""The GSM 03.38 alphabet and how a handset counts a text.

Networks carry text in the 7-bit GSM alphabet; anything outside it forces the
whole message into UCS-2 (Unicode), which cuts a message from 160 to 70
characters. Knowing which applies before sending is what lets us refuse an
over-long text with a useful error instead of letting Clockwork truncate it.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from enum import Enum

# Escape (0x1B) is left out: it introduces extension characters, it is not text.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these is sent as escape + code, so it costs two characters.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE_LIMIT = 160
GSM7_PART_LIMIT = 153
UNICODE_SINGLE_LIMIT = 70
UNICODE_PART_LIMIT = 67
MAX_PARTS = 3


@dataclass(frozen=True)
class TextMeasure:
    """How a text travels: its encoding, its length as a handset counts it, its parts."""

    is_gsm7: bool
    length: int
    parts: int

    @classmethod
    def of(cls, is_gsm7: bool, length: int) -> TextMeasure:
        """The measure of a text of ``length`` (septets for GSM-7, UTF-16 units for Unicode)."""
        single, part = (
            (GSM7_SINGLE_LIMIT, GSM7_PART_LIMIT) if is_gsm7 else (UNICODE_SINGLE_LIMIT, UNICODE_PART_LIMIT)
        )
        parts = 1 if length <= single else math.ceil(length / part)
        return cls(is_gsm7=is_gsm7, length=length, parts=parts)

    @property
    def encoding(self) -> str:
        return "GSM-7" if self.is_gsm7 else "Unicode"

    @property
    def single_limit(self) -> int:
        return GSM7_SINGLE_LIMIT if self.is_gsm7 else UNICODE_SINGLE_LIMIT

    @property
    def long_limit(self) -> int:
        part = GSM7_PART_LIMIT if self.is_gsm7 else UNICODE_PART_LIMIT
        return part * MAX_PARTS


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def gsm7_length(text: str) -> int:
    """Length in GSM-7 septets: extension characters count two."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: characters beyond the BMP (most emoji) count two."""
    return len(text.encode("utf-16-le")) // 2


def measure(text: str) -> TextMeasure:
    gsm = is_gsm7(text)
    return TextMeasure.of(gsm, gsm7_length(text) if gsm else utf16_length(text))


class InvalidCharAction(Enum):
    """What Clockwork does with characters GSM-7 cannot carry (the XML send's ``InvalidCharAction``).

    For users who would rather keep 160 characters a message than send Unicode (70):
    ``ERROR`` refuses such text, ``REMOVE`` drops the characters, ``REPLACE`` puts a
    close GSM-7 equivalent in their place. The provider applies the same rule before
    sending, so that it measures (and refuses) the text as it will arrive.
    """

    ERROR = 1
    REMOVE = 2
    REPLACE = 3

    def apply(self, text: str) -> str:
        """The text as Clockwork delivers it under this action (``ERROR`` changes nothing)."""
        if self is InvalidCharAction.ERROR:
            return text
        # Composed first, so that an accent typed as a separate mark (macOS does) joins its letter.
        composed = unicodedata.normalize("NFC", text)
        if self is InvalidCharAction.REMOVE:
            return "".join(char for char in composed if is_gsm7(char))
        return "".join(gsm7_equivalent(char) for char in composed)


# Typography, and Latin letters that are not accented forms of another letter, which NFKD
# leaves alone; each has an obvious plain form.
_CLOSE_EQUIVALENTS = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict(zip("ŁłĐđðĦħıŧŦ", "LlDddHhitT", strict=True)),
    "Œ": "OE",
    "œ": "oe",
    "Þ": "Th",
    "þ": "th",
    "\u2026": "...",
    "\u2022": "*",
    "\t": " ",
}
_SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")
NO_EQUIVALENT = "?"
"""What ``REPLACE`` puts in place of a character with no close GSM-7 form (an emoji, a CJK sign)."""


def only_modifies_its_neighbour(char: str) -> bool:
    """A combining mark, a variation selector, a zero-width joiner or space, an emoji skin tone:
    invisible on its own, so it goes with the character it modifies rather than becoming ``?``."""
    return unicodedata.category(char) in ("Mn", "Me", "Cf") or _SKIN_TONES[0] <= char <= _SKIN_TONES[1]


def gsm7_equivalent(char: str) -> str:
    """A close GSM-7 form of one character: itself, a plain typographic form, its letter without
    accents (``á`` → ``a``), its compatibility form (``ﬁ`` → ``fi``, a no-break space → a space),
    nothing for an invisible modifier, or ``?``."""
    if is_gsm7(char):
        return char
    if only_modifies_its_neighbour(char):
        return ""
    if char in _CLOSE_EQUIVALENTS:
        return _CLOSE_EQUIVALENTS[char]
    decomposed = "".join(
        part for part in unicodedata.normalize("NFKD", char) if unicodedata.category(part) != "Mn"
    )
    return decomposed if decomposed and is_gsm7(decomposed) else NO_EQUIVALENT


def non_gsm7_characters(text: str) -> list[str]:
    """Each character of ``text`` that GSM-7 cannot carry, once, in order of appearance."""
    return list(dict.fromkeys(char for char in text if not is_gsm7(char)))
