"""Clockwork's error codes: which a retry can fix, and the same texts the emulator gives."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.emulator import send_rules, text
from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode, is_permanent
from airflow_provider_clockwork.protocol.results import SmsError

KNOWN = [
    # member, code, Clockwork's text, permanent, confirmed by Clockwork's pages
    (ClockworkErrorCode.INVALID_KEY, 2, "Invalid Username Or Password", True, True),
    (ClockworkErrorCode.INSUFFICIENT_CREDIT, 3, "Insufficient Credits Available", False, False),
    (ClockworkErrorCode.INVALID_MSG_TYPE, 5, "Invalid 'MsgType' Parameter", True, False),
    (ClockworkErrorCode.MISSING_TO, 6, "'To' Parameter Not Specified", True, False),
    (ClockworkErrorCode.MISSING_CONTENT, 7, "'Content' Parameter Not Specified", True, False),
    (ClockworkErrorCode.INVALID_TO, 10, "Invalid 'To' Parameter", True, True),
    (ClockworkErrorCode.MESSAGE_TOO_LONG, 12, "Message Too Long", True, False),
    (ClockworkErrorCode.INVALID_CONTENT, 39, "Invalid Character In Content", True, False),
    (ClockworkErrorCode.INVALID_XML, 99, "Invalid XML Document", False, False),
]
known_codes = pytest.mark.parametrize(
    ("member", "code", "description", "permanent", "confirmed"),
    [pytest.param(*row, id=row[0].name) for row in KNOWN],
)
unknown_codes = pytest.mark.parametrize(
    "code",
    [
        pytest.param(0, id="zero"),
        pytest.param(26, id="unknown"),
        pytest.param(-1, id="negative"),
        pytest.param(100_000, id="huge"),
    ],
)


def test_the_enum_holds_exactly_the_known_codes() -> None:
    assert [member.code for member in ClockworkErrorCode] == [row[1] for row in KNOWN]


@known_codes
def test_a_known_code_is_looked_up_with_its_text_and_permanence(
    member: ClockworkErrorCode, code: int, description: str, permanent: bool, confirmed: bool
) -> None:
    assert ClockworkErrorCode.from_code(code) is member
    assert (member.value, member.code, member.description) == (code, code, description)
    assert (member.permanent, member.confirmed) == (permanent, confirmed)
    assert is_permanent(code) is permanent


@known_codes
def test_an_error_with_a_known_code_reads_as_that_member(
    member: ClockworkErrorCode, code: int, description: str, permanent: bool, confirmed: bool
) -> None:
    error = SmsError(code, description)

    assert error.known_code is member
    assert error.permanent is permanent
    assert SmsError.of(member) == error
    assert str(error) == f"Error {code}: {description}"


@unknown_codes
def test_an_unknown_code_is_not_looked_up_and_is_transient(code: int) -> None:
    assert ClockworkErrorCode.from_code(code) is None
    assert is_permanent(code) is False


@unknown_codes
def test_an_error_with_an_unknown_code_keeps_clockworks_code_and_text(code: int) -> None:
    error = SmsError(code, "Something new")

    assert error.known_code is None
    assert error.permanent is False
    assert (error.code, error.description) == (code, "Something new")
    assert str(error) == f"Error {code}: Something new"


def test_the_typed_view_follows_the_code_not_the_text() -> None:
    # Clockwork's texts are unconfirmed: a different text for a known code is kept as received.
    error = SmsError(10, "Bad number")

    assert error.known_code is ClockworkErrorCode.INVALID_TO
    assert error.permanent is True
    assert str(error) == "Error 10: Bad number"


def test_only_wrong_key_and_invalid_number_are_confirmed() -> None:
    assert {member for member in ClockworkErrorCode if member.confirmed} == {
        ClockworkErrorCode.INVALID_KEY,
        ClockworkErrorCode.INVALID_TO,
    }


def test_the_emulator_gives_every_known_code_with_the_enums_text() -> None:
    constants = {**vars(send_rules), **vars(text)}
    given = [value for value in constants.values() if isinstance(value, SmsError)]

    assert {error.code: error.description for error in given} == {
        member.code: member.description for member in ClockworkErrorCode
    }


@known_codes
def test_the_emulators_constant_of_the_same_name_is_the_members_error(
    member: ClockworkErrorCode, code: int, description: str, permanent: bool, confirmed: bool
) -> None:
    assert getattr(send_rules, member.name, getattr(text, member.name, None)) == SmsError(code, description)
