"""How the emulator judges a message's text: what arrives, in which encoding, at what length.

The provider decides GSM-7 or Unicode with :mod:`airflow_provider_clockwork.protocol.gsm`.
If the emulator asked the same module, it would agree with any mistake in it, and a test
over HTTP could never show one. So the emulator encodes text with the ``gsm0338`` codec, an
independent implementation of GSM 03.38 (3GPP TS 23.038): a character the provider wrongly
takes for GSM-7 arrives here as ``?``, as it would on a handset, and is counted as a handset
counts it (an extension character takes an escape and its code: two septets).
"""

from __future__ import annotations

import unicodedata

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction, TextMeasure
from airflow_provider_clockwork.protocol.message import unsendable_character
from airflow_provider_clockwork.protocol.results import SmsError

CODEC = "gsm03.38"
ESCAPE = "\x1b"
"""Position 0x1B of the alphabet: the escape to the extension table, not a character of text."""
UNKNOWN_CHARACTER = "?"

MISSING_CONTENT = SmsError.of(ClockworkErrorCode.MISSING_CONTENT)
MESSAGE_TOO_LONG = SmsError.of(ClockworkErrorCode.MESSAGE_TOO_LONG)
INVALID_CONTENT = SmsError.of(ClockworkErrorCode.INVALID_CONTENT)


def septets(text: str) -> int | None:
    """The text's length in GSM-7 septets, or None when GSM-7 cannot carry it."""
    if ESCAPE in text:
        return None
    try:
        return len(text.encode(CODEC))
    except UnicodeEncodeError:
        return None


def is_gsm7(text: str) -> bool:
    return septets(text) is not None


def gsm7_only(text: str) -> str:
    """Text as the HTTP send delivers it.

    That interface has no Unicode switch; the emulator's reading of Clockwork's
    (unconfirmed) invalid-character handling is that each other character becomes ``?``.
    """
    return "".join(char if is_gsm7(char) else UNKNOWN_CHARACTER for char in text)


def as_gsm7(content: str, action: InvalidCharAction | None) -> str | SmsError:
    """A ``TEXT`` message's content as delivered under its ``InvalidCharAction`` (None: Clockwork's default).

    ``REPLACE`` uses the provider's table of close equivalents (Clockwork's own is not
    published), but what is GSM-7 is judged here.
    """
    if action is None:
        return gsm7_only(content)
    if action is InvalidCharAction.ERROR:
        return content if is_gsm7(content) else INVALID_CONTENT
    if action is InvalidCharAction.REMOVE:
        return "".join(char for char in unicodedata.normalize("NFC", content) if is_gsm7(char))
    return gsm7_only(action.apply(content))


def measure(content: str, unicode: bool) -> TextMeasure:
    """GSM-7 septets, or UTF-16 code units for a ``UCS2`` message or text GSM-7 cannot carry."""
    length = None if unicode else septets(content)
    if length is not None:
        return TextMeasure.of(True, length)
    return TextMeasure.of(False, len(content.encode("utf-16-le")) // 2)


def checked_size(content: str, long: bool, unicode: bool = False) -> TextMeasure | SmsError:
    """The content's measure, or the error Clockwork gives for empty, unsendable or over-long text."""
    if not content.strip():
        return MISSING_CONTENT
    if unsendable_character(content) is not None:
        return INVALID_CONTENT
    size = measure(content, unicode)
    if size.length > (size.long_limit if long else size.single_limit):
        return MESSAGE_TOO_LONG
    return size
