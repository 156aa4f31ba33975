"""Every character of GSM 03.38, and its neighbours, against the standard written out in the tests.

The provider (``protocol.gsm``, and the message rules a user meets through
``prepare_message``) and the emulator's independent judge (``emulator.text``) must both
agree with ``tests/golden/gsm0338.py``: in the alphabet, a character is GSM-7 and counts one
(two from the extension table); one code point either side of it, or a look-alike, makes the
text Unicode. ``invalid_char_action`` must leave the alphabet alone and turn everything else
into characters of it.
"""

from __future__ import annotations

import re
import unicodedata

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import pytest

from airflow_provider_clockwork.emulator import text as emulator_text
from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction, is_gsm7, measure
from airflow_provider_clockwork.protocol.message import prepare_message
from tests.golden.gsm0338 import (
    BASIC,
    ESCAPE_CODE,
    EXTENSION,
    EXTENSION_CHARACTERS,
    GSM7,
    LOOK_ALIKES,
    TEXT_CHARACTERS,
)


def _code_point_neighbours() -> list[str]:
    around = {chr(ord(char) + step) for char in GSM7 for step in (-1, 1)}
    return sorted(around - GSM7)


NOT_GSM7 = sorted(set(_code_point_neighbours()) | set(LOOK_ALIKES) | {chr(ESCAPE_CODE)})
CONTROLS = [char for char in NOT_GSM7 if unicodedata.category(char) == "Cc"]
PRINTABLE_NOT_GSM7 = [char for char in NOT_GSM7 if char not in CONTROLS]
WHOLE_ALPHABET = "".join(TEXT_CHARACTERS) + "".join(EXTENSION_CHARACTERS)


def label(char: str) -> str:
    return f"U+{ord(char):04X}"


def test_the_golden_copy_is_the_standard_as_the_gsm0338_codec_reads_it() -> None:
    assert len(BASIC) == 128
    assert len(EXTENSION) == 10
    codes = [code for code in range(128) if code != ESCAPE_CODE]
    assert [bytes([code]).decode("gsm03.38") for code in codes] == TEXT_CHARACTERS
    assert {code: bytes([ESCAPE_CODE, code]).decode("gsm03.38") for code in EXTENSION} == EXTENSION
    assert len(GSM7) == 127 + 10


ALPHABET_COSTS = [
    pytest.param(char, cost, id=label(char))
    for characters, cost in ((TEXT_CHARACTERS, 1), (EXTENSION_CHARACTERS, 2))
    for char in characters
]


@pytest.mark.parametrize(("char", "cost"), ALPHABET_COSTS)
def test_each_character_of_the_alphabet_is_gsm7_and_costs_one_septet_or_two_from_the_extension(
    char: str, cost: int
) -> None:
    assert is_gsm7(char)
    size = measure("a" + char)
    assert (size.encoding, size.length) == ("GSM-7", 1 + cost)
    assert emulator_text.septets("a" + char) == 1 + cost

    repeats = 159 // cost
    fits = prepare_message("a" * (160 - cost * repeats) + char * repeats)
    assert (fits.measure.length, fits.needs_unicode, fits.needs_xml) == (160, False, False)
    with pytest.raises(InvalidInputError, match="Content is 161 GSM-7 characters, over the 160"):
        prepare_message("a" + char * (160 // cost))


@pytest.mark.parametrize("char", NOT_GSM7, ids=label)
def test_each_neighbour_and_look_alike_makes_the_text_unicode(char: str) -> None:
    assert not is_gsm7(char)
    size = measure("a" + char)
    assert (size.encoding, size.length) == ("Unicode", 1 + len(char.encode("utf-16-le")) // 2)
    assert emulator_text.septets("a" + char) is None


@pytest.mark.parametrize("char", PRINTABLE_NOT_GSM7, ids=label)
def test_a_message_holding_a_neighbour_or_look_alike_goes_as_unicode(char: str) -> None:
    message = prepare_message(f"ok {char} ok")

    assert (message.needs_unicode, message.needs_xml) == (True, True)
    assert message.measure.single_limit == 70


def test_control_characters_next_to_the_alphabet_are_refused_or_sent_as_unicode() -> None:
    refused = [char for char in CONTROLS if char != "\t"]
    assert refused == ["\x0b", "\x0e", "\x1b", "\x1f", "\x7f", "\x85"]
    for char in refused:
        with pytest.raises(InvalidInputError, match=re.escape(f"control character {char!r}")):
            prepare_message(f"ok {char} ok")
    assert prepare_message("ok\tok").needs_unicode


def test_the_whole_alphabet_fits_one_message() -> None:
    message = prepare_message(WHOLE_ALPHABET)

    assert (message.measure.length, message.measure.parts, message.needs_xml) == (127 + 2 * 10, 1, False)
    assert emulator_text.septets(WHOLE_ALPHABET) == 147


@pytest.mark.parametrize("action", [InvalidCharAction.REPLACE, InvalidCharAction.REMOVE], ids=str)
def test_invalid_char_action_leaves_the_alphabet_alone(action: InvalidCharAction) -> None:
    assert action.apply(WHOLE_ALPHABET) == WHOLE_ALPHABET


@pytest.mark.parametrize("char", NOT_GSM7, ids=label)
def test_invalid_char_action_keeps_only_characters_of_the_alphabet(char: str) -> None:
    replaced = InvalidCharAction.REPLACE.apply(f"x{char}y")
    removed = InvalidCharAction.REMOVE.apply(f"x{char}y")

    assert set(replaced) <= GSM7, replaced
    assert set(removed) <= GSM7, removed
    assert removed.startswith("x") and removed.endswith("y")
    assert len(removed) <= 3


# Close equivalents REPLACE gives, written out: an accent dropped, a plain typographic form,
# a compatibility form, the composed letter of an Angstrom sign; "?" where nothing is close.
REPLACEMENTS = {
    **dict(zip("áíóúâêîôûãõëïÿç", "aiouaeiouaoeiyc", strict=True)),
    **dict(zip("ÁÀÂÃÈÊËÌÍÎÏÒÓÔÕÙÚÛÝ", "AAAAEEEIIIIOOOOUUUY", strict=True)),
    **dict(zip("ČčĆćŁłŃńŚśŹźŻżŽžŠšŐőŰűĖė", "CcCcLlNnSsZzZzZzSsOoUuEe", strict=True)),
    **dict.fromkeys("\u00b4`\u2018\u2019\u201a", "'"),
    **dict.fromkeys("\u201c\u201d\u201e", '"'),
    **dict.fromkeys("\u2013\u2014\u2010\u2212", "-"),
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\t": " ",
    "\uff04": "$",
    "\uff20": "@",
    "\uffe5": "¥",
    "\u2126": "Ω",
    "\u212b": "Å",
    "\u03f4": "Θ",
    **dict.fromkeys("ΑΒΕΗΙΚΜΝΟΡΤΥΧΖАВЕКМНОРСТХаеорсх", "?"),
    **dict.fromkeys("φψωδλπσθξ\u2206\u2211\u220f\u2205\u00b5\u00a6\u20a4\u00b7", "?"),
}


@pytest.mark.parametrize(
    ("char", "replacement"), [pytest.param(*item, id=label(item[0])) for item in REPLACEMENTS.items()]
)
def test_replace_gives_the_close_gsm7_form(char: str, replacement: str) -> None:
    assert InvalidCharAction.REPLACE.apply(f"<{char}>") == f"<{replacement}>"
