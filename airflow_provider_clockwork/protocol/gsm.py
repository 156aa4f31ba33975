"""The GSM 03.38 alphabet and how a handset counts a text.

Networks carry text in the 7-bit GSM alphabet; anything outside it forces the
whole message into UCS-2 (Unicode), which cuts a message from 160 to 70
characters. Knowing which applies before sending is what lets us refuse an
over-long text with a useful error instead of letting Clockwork truncate it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    length = gsm7_length(text) if gsm else utf16_length(text)
    single, part = (GSM7_SINGLE_LIMIT, GSM7_PART_LIMIT) if gsm else (UNICODE_SINGLE_LIMIT, UNICODE_PART_LIMIT)
    parts = 1 if length <= single else math.ceil(length / part)
    return TextMeasure(is_gsm7=gsm, length=length, parts=parts)
