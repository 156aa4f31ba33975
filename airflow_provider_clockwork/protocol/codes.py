"""Clockwork's numbered errors, and which of them a retry cannot fix.

Clockwork answers a refused number (``To: 44... Error 10: Invalid 'To' Parameter``) or a
refused request (``Error 2: Invalid Username Or Password``) with a code and a text.
Some codes say the request itself is wrong (a bad key, a bad number, text too long):
sending the same thing again gets the same answer, so retrying only delays the
failure. Others may pass on a later try (the account is topped up, Clockwork recovers).

Only codes 2 and 10 and their texts are confirmed by Clockwork's "Send SMS via HTTP"
page; the others are the ones the emulator gives, as listed with their basis in
``docs/emulator.md`` ("Assumptions about Clockwork").

Rule: a code is *permanent* only when it is known here and names a fault in what was
sent (key, number, parameters, length, characters). Any other code, known or not, is
*transient*: a needless retry costs a few seconds, while treating an unknown code as
permanent could silence an alert that a retry would have delivered.
"""

from __future__ import annotations

from typing import NamedTuple


class KnownCode(NamedTuple):
    """What a code means, whether retrying can help, and where we have it from."""

    description: str
    permanent: bool
    confirmed: bool


KNOWN_CODES: dict[int, KnownCode] = {
    2: KnownCode("Invalid Username Or Password", permanent=True, confirmed=True),
    3: KnownCode("Insufficient Credits Available", permanent=False, confirmed=False),
    5: KnownCode("Invalid 'MsgType' Parameter", permanent=True, confirmed=False),
    6: KnownCode("'To' Parameter Not Specified", permanent=True, confirmed=False),
    7: KnownCode("'Content' Parameter Not Specified", permanent=True, confirmed=False),
    10: KnownCode("Invalid 'To' Parameter", permanent=True, confirmed=True),
    12: KnownCode("Message Too Long", permanent=True, confirmed=False),
    39: KnownCode("Invalid Character In Content", permanent=True, confirmed=False),
    # The provider only sends documents built by ElementTree, so "unreadable" means the
    # document was damaged on the way or misread at Clockwork's end: worth another try.
    99: KnownCode("Invalid XML Document", permanent=False, confirmed=False),
}
"""Codes 2 and 10 are confirmed; the rest are the emulator's documented assumptions."""


def describe(code: int) -> str | None:
    """Clockwork's text for a known code, or None."""
    known = KNOWN_CODES.get(code)
    return known.description if known is not None else None


def is_permanent(code: int) -> bool:
    """True when retrying the same request cannot succeed (wrong key, bad number, bad text).

    Insufficient credit, Clockwork's own trouble and every unknown code are transient.
    """
    known = KNOWN_CODES.get(code)
    return known is not None and known.permanent
