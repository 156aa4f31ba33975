"""Clockwork's error codes: which a retry can fix, and the same texts the emulator gives."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.emulator import server
from airflow_provider_clockwork.protocol.codes import KNOWN_CODES, describe, is_permanent


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        pytest.param(2, True, id="wrong-key"),
        pytest.param(5, True, id="invalid-msgtype"),
        pytest.param(6, True, id="no-to"),
        pytest.param(7, True, id="no-content"),
        pytest.param(10, True, id="invalid-number"),
        pytest.param(12, True, id="too-long"),
        pytest.param(39, True, id="invalid-character"),
        pytest.param(3, False, id="no-credit"),
        pytest.param(99, False, id="xml-unreadable"),
        pytest.param(0, False, id="zero"),
        pytest.param(26, False, id="unknown"),
        pytest.param(-1, False, id="negative"),
        pytest.param(100_000, False, id="huge"),
    ],
)
def test_permanence(code: int, permanent: bool) -> None:
    assert is_permanent(code) is permanent


def test_only_wrong_key_and_invalid_number_are_confirmed() -> None:
    assert {code for code, known in KNOWN_CODES.items() if known.confirmed} == {2, 10}


def test_descriptions_are_the_ones_the_emulator_gives() -> None:
    given = [value for value in vars(server).values() if isinstance(value, server.SmsError)]
    assert {error.code: error.description for error in given} == {
        code: known.description for code, known in KNOWN_CODES.items()
    }
    assert describe(10) == "Invalid 'To' Parameter"
    assert describe(26) is None
