"""Clockwork's numbered errors, and which of them a retry cannot fix.

Clockwork answers a refused number (``To: 44... Error 10: Invalid 'To' Parameter``) or a
refused request (``Error 2: Invalid Username Or Password``) with a code and a text.
Some codes say the request itself is wrong (a bad key, a bad number, text too long):
sending the same thing again gets the same answer, so retrying only delays the
failure. Others may pass on a later try (the account is topped up, Clockwork recovers).

Only codes 2 and 10 and their texts are confirmed by Clockwork's "Send SMS via HTTP"
page; the others are the ones the emulator gives, as listed with their basis in
``docs/emulator.md`` ("Assumptions about Clockwork"). Since the full table is
unconfirmed, a code missing here is still carried and shown as Clockwork sent it
(:class:`~airflow_provider_clockwork.protocol.results.SmsError` keeps any integer);
:meth:`ClockworkErrorCode.from_code` simply returns None for it.

Rule: a code is *permanent* only when it is known here and names a fault in what was
sent (key, number, parameters, length, characters). Any other code, known or not, is
*transient*: a needless retry costs a few seconds, while treating an unknown code as
permanent could silence an alert that a retry would have delivered.
"""

from __future__ import annotations

from enum import Enum


class ClockworkErrorCode(Enum):
    """A code this provider knows: Clockwork's text, whether a retry can help, where we have it from.

    The value is Clockwork's number (``code``). Codes 2 and 10 are confirmed; the rest
    are the emulator's documented assumptions.
    """

    code: int
    description: str
    permanent: bool
    """True when retrying the same request cannot succeed (wrong key, bad number, bad text)."""
    confirmed: bool
    """True when Clockwork's own pages give this code and text."""

    INVALID_KEY = (2, "Invalid Username Or Password", True, True)
    INSUFFICIENT_CREDIT = (3, "Insufficient Credits Available", False, False)
    INVALID_MSG_TYPE = (5, "Invalid 'MsgType' Parameter", True, False)
    MISSING_TO = (6, "'To' Parameter Not Specified", True, False)
    MISSING_CONTENT = (7, "'Content' Parameter Not Specified", True, False)
    INVALID_TO = (10, "Invalid 'To' Parameter", True, True)
    MESSAGE_TOO_LONG = (12, "Message Too Long", True, False)
    INVALID_CONTENT = (39, "Invalid Character In Content", True, False)
    # The provider only sends documents built by ElementTree, so "unreadable" means the
    # document was damaged on the way or misread at Clockwork's end: worth another try.
    INVALID_XML = (99, "Invalid XML Document", False, False)

    def __new__(cls, code: int, description: str, permanent: bool, confirmed: bool) -> ClockworkErrorCode:
        member = object.__new__(cls)
        member._value_ = code
        member.code = code
        member.description = description
        member.permanent = permanent
        member.confirmed = confirmed
        return member

    @classmethod
    def from_code(cls, code: int) -> ClockworkErrorCode | None:
        """The member for a known code; None for any other, which is transient and kept as received."""
        return next((known for known in cls if known.code == code), None)


def is_permanent(code: int) -> bool:
    """True when retrying the same request cannot succeed (wrong key, bad number, bad text).

    Insufficient credit, Clockwork's own trouble and every unknown code are transient.
    """
    known = ClockworkErrorCode.from_code(code)
    return known is not None and known.permanent
