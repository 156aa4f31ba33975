"""The GSM 03.38 default alphabet and its extension table, copied from the standard.

Written out from 3GPP TS 23.038 (§6.2.1, "GSM 7 bit default alphabet", and §6.2.1.1, the
default extension table), not from ``protocol/gsm.py``: the tests hold the provider and the
emulator to this, so a character added to or missing from either shows. ``test_gsm_golden``
also checks this copy against the ``gsm0338`` codec, a second reading of the standard.
"""

from __future__ import annotations

ESCAPE_CODE = 0x1B
"""The escape to the extension table: a code of the alphabet, but not a character of text."""

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F (0x1B: escape)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)
"""The 128 codes in order: ``BASIC[code]`` is the character of ``code``."""

EXTENSION = {
    0x0A: "\f",  # form feed (page break)
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
"""Escape + code: each costs two septets."""

TEXT_CHARACTERS = [char for code, char in enumerate(BASIC) if code != ESCAPE_CODE]
EXTENSION_CHARACTERS = list(EXTENSION.values())
GSM7 = frozenset(TEXT_CHARACTERS) | frozenset(EXTENSION_CHARACTERS)

LOOK_ALIKES = (
    # Accented letters whose neighbours are in the alphabet (é, è, ù, ì, ò, à, Ç, É, Ä ...).
    "áíóúâêîôûãõëïÿçÁÀÂÃÈÊËÌÍÎÏÒÓÔÕÙÚÛÝýŸČčĆćŁłŃńŚśŹźŻżŽžŠšŐőŰűĖėẞ"
    # Greek and Cyrillic capitals that look like Latin ones, lower-case Greek, and signs that
    # look like the Greek capitals of the alphabet (increment, ohm, n-ary sum and product).
    "ΑΒΕΗΙΚΜΝΟΡΤΥΧΖАВЕКМНОРСТХаеорсхφψωδλπσθξ\u2206\u2126\u2211\u220f\u03f4"
    # Symbols that look like ones in the alphabet: Angstrom sign, empty set, micro, broken bar,
    # lira, full-width $ @ ¥, acute accent, typographic quotes and dashes, ellipsis, middle dot.
    "\u212b\u2205\u00b5\u00a6\u20a4\uff04\uff20\uffe5\u00b4`\u2018\u2019\u201a\u201c\u201d\u201e"
    "\u2013\u2014\u2010\u2212\u2026\u00b7\u00aa\u00ba"
    # Spaces and breaks that look like a space or a line break: no-break space, thin space,
    # tab, vertical tab, next line, line and paragraph separators.
    "\u00a0\u2009\t\x0b\x85\u2028\u2029"
)
"""Characters a user may take for GSM-7 that are not: each must make a text Unicode."""
