"""ClockworkHook's ``invalid_char_action``: keeping text to GSM-7 at 160 characters, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.exceptions import ClockworkInputError
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

A, B = "447700900123", "447700900456"
# One accented name makes a 160-character text Unicode, which only fits 70 to a message.
ACCENTED_160 = "Ágnes: " + "x" * 153


@pytest.fixture
def hook(clockwork_connection) -> ClockworkHook:
    return ClockworkHook()


@pytest.mark.parametrize(
    ("action", "arrives_as"),
    [
        pytest.param("replace", "Agnes: " + "x" * 153, id="replace"),
        pytest.param("remove", "gnes: " + "x" * 153, id="remove"),
    ],
)
def test_text_outside_gsm7_goes_as_one_gsm7_message_per_number(
    hook, clockwork_emulator, action: str, arrives_as: str
) -> None:
    credit = clockwork_emulator.credit

    result = hook.send_sms([A, B], ACCENTED_160, invalid_char_action=action)

    messages = clockwork_emulator.messages()
    assert [(m["to"], m["content"], m["msg_type"], m["parts"]) for m in messages] == [
        (A, arrives_as, "TEXT", 1),
        (B, arrives_as, "TEXT", 1),
    ]
    assert result.message_ids == {m["to"]: m["id"] for m in messages}
    assert clockwork_emulator.credit == credit - 2
    [request] = clockwork_emulator.requests()
    assert request["path"] == "/xml/send.aspx"
    assert "InvalidCharAction" in request["param_names"]


def test_without_an_action_the_same_text_is_unicode_and_needs_long(hook, clockwork_emulator) -> None:
    with pytest.raises(ClockworkInputError, match="160 Unicode characters, over the 70"):
        hook.send_sms(A, ACCENTED_160)

    hook.send_sms(A, ACCENTED_160, long=True)
    [message] = clockwork_emulator.messages()
    assert (message["content"], message["msg_type"], message["parts"]) == (ACCENTED_160, "UCS2", 3)


def test_error_action_refuses_before_any_request(hook, clockwork_emulator) -> None:
    with pytest.raises(ClockworkInputError, match="'Á'") as raised:
        hook.send_sms([A, B], ACCENTED_160, invalid_char_action="error")

    assert "invalid_char_action='error'" in str(raised.value)
    assert clockwork_emulator.requests() == []


def test_gsm7_text_keeps_the_plain_http_send(hook, clockwork_emulator) -> None:
    hook.send_sms(A, "Load done {42 rows} €0", invalid_char_action="replace")

    [request] = clockwork_emulator.requests()
    assert request["path"] == "/http/send.aspx"
    assert "InvalidCharAction" not in request["param_names"]


def test_unknown_action_fails_before_any_request_naming_it(hook, clockwork_emulator) -> None:
    with pytest.raises(ClockworkInputError, match="invalid_char_action 'strip'"):
        hook.send_sms(A, "Hi", invalid_char_action="strip")

    assert clockwork_emulator.requests() == []


def test_personalised_messages_each_take_their_own_action(hook, clockwork_emulator) -> None:
    result = hook.send_messages(
        [
            {
                "to": A,
                "content": "Bonjour Zoë \U0001f44b",
                "invalid_char_action": "replace",
                "client_id": "zoe",
            },
            {"to": B, "content": "Bonjour Zoë \U0001f44b", "client_id": "unicode"},
        ]
    )

    contents = {m["client_id"]: (m["content"], m["msg_type"]) for m in clockwork_emulator.messages()}
    assert contents == {"zoe": ("Bonjour Zoe ?", "TEXT"), "unicode": ("Bonjour Zoë \U0001f44b", "UCS2")}
    assert set(result.message_ids) == {"zoe", "unicode"}


def test_personalised_message_with_a_bad_action_is_named_by_index(hook, clockwork_emulator) -> None:
    with pytest.raises(ClockworkInputError, match=r"messages\[1\].*invalid_char_action 'sometimes'"):
        hook.send_messages(
            [{"to": A, "content": "ok"}, {"to": B, "content": "ok", "invalid_char_action": "sometimes"}]
        )

    assert clockwork_emulator.requests() == []
