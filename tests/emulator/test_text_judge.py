"""The emulator judges GSM-7 by itself, so a mistake in the provider's table shows over HTTP.

The provider decides which interface carries a text (the HTTP form for GSM-7, XML with
``UCS2`` for Unicode) from its own table; the emulator decides what arrives, and what it
costs, with an independent GSM 03.38 codec.
"""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.protocol import gsm
from tests.golden.gsm0338 import EXTENSION_CHARACTERS, TEXT_CHARACTERS

NUMBER = "447700900123"
WHOLE_ALPHABET = "".join(TEXT_CHARACTERS) + "".join(EXTENSION_CHARACTERS)


@pytest.fixture
def hook(clockwork_connection) -> ClockworkHook:
    return ClockworkHook()


def delivered(emulator) -> tuple[str, str, str, int]:
    (message,) = emulator.messages()
    return message["content"], message["interface"], message["msg_type"], message["parts"]


def test_the_whole_alphabet_arrives_intact_as_one_gsm7_message(hook, clockwork_emulator) -> None:
    hook.send_sms(NUMBER, WHOLE_ALPHABET)

    assert delivered(clockwork_emulator) == (WHOLE_ALPHABET, "http", "TEXT", 1)


def test_look_alikes_arrive_intact_as_unicode(hook, clockwork_emulator) -> None:
    text = "Menú: café ΑΒΓ ∆Ω µ ＄5 “ok” – done…"

    hook.send_sms(NUMBER, text)

    assert delivered(clockwork_emulator) == (text, "xml", "UCS2", 1)


def test_a_character_wrongly_in_the_providers_table_arrives_as_a_question_mark(
    hook, clockwork_emulator, monkeypatch
) -> None:
    monkeypatch.setattr(gsm, "GSM7_BASIC", gsm.GSM7_BASIC | {"ú"})

    hook.send_sms(NUMBER, "Menú listo")

    assert delivered(clockwork_emulator) == ("Men? listo", "http", "TEXT", 1)


def test_extension_characters_cost_two_septets_at_the_emulator(hook, clockwork_emulator) -> None:
    # 81 euro signs are 162 septets: over one message, so two parts are charged.
    before = clockwork_emulator.credit

    hook.send_sms(NUMBER, "€" * 81, long=True)

    assert delivered(clockwork_emulator)[3] == 2
    assert before - clockwork_emulator.credit == 2
