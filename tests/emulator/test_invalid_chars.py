"""The emulator's ``InvalidCharAction``: what becomes of characters GSM-7 cannot carry in a TEXT message."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from airflow_provider_clockwork.emulator import ClockworkEmulator

from .helpers import send_xml, xml_document

NUMBER = "447700900123"
TEXT = "Zoë\u2019s load \u2014 done \U0001f680"


def send_one(emulator: ClockworkEmulator, content: str, *elements: str) -> ET.Element:
    body = f"<To>{NUMBER}</To><Content>{content}</Content>" + "".join(elements)
    reply = send_xml(emulator, xml_document(body))
    reply.raise_for_status()
    sms_resp = ET.fromstring(reply.content).find("SMS_Resp")
    assert sms_resp is not None
    return sms_resp


@pytest.mark.parametrize(
    ("elements", "arrives_as"),
    [
        pytest.param((), "Zo??s load ? done ?", id="absent-default-question-marks"),
        pytest.param(("<InvalidCharAction>2</InvalidCharAction>",), "Zos load  done ", id="2-remove"),
        pytest.param(("<InvalidCharAction>3</InvalidCharAction>",), "Zoe's load - done ?", id="3-replace"),
        pytest.param(
            ("<InvalidCharAction>9</InvalidCharAction>",), "Zo??s load ? done ?", id="unknown-is-default"
        ),
        pytest.param(
            ("<InvalidCharAction>3</InvalidCharAction>", "<MsgType>UCS2</MsgType>"), TEXT, id="ucs2-is-intact"
        ),
    ],
)
def test_text_message_characters_are_handled_as_the_action_says(
    clockwork_emulator: ClockworkEmulator, elements: tuple[str, ...], arrives_as: str
) -> None:
    reply = send_one(clockwork_emulator, TEXT, *elements)

    [message] = clockwork_emulator.messages()
    assert message["content"] == arrives_as
    assert reply.findtext("MessageID") == message["id"]


@pytest.mark.parametrize(
    ("content", "action", "code"),
    [
        pytest.param(TEXT, "1", "39", id="error-refuses-non-gsm7"),
        pytest.param("\U0001f680\U0001f680", "2", "7", id="nothing-left-after-remove"),
        pytest.param("a" * 158 + "\u2026", "3", "12", id="replacement-pushes-past-160"),
    ],
)
def test_action_that_leaves_no_sendable_text_is_a_per_message_error(
    clockwork_emulator: ClockworkEmulator, content: str, action: str, code: str
) -> None:
    reply = send_one(clockwork_emulator, content, f"<InvalidCharAction>{action}</InvalidCharAction>")

    assert reply.findtext("ErrNo") == code
    assert clockwork_emulator.messages() == []


def test_error_action_passes_gsm7_text_unchanged(clockwork_emulator: ClockworkEmulator) -> None:
    send_one(clockwork_emulator, "All GSM {ok} €5", "<InvalidCharAction>1</InvalidCharAction>")

    [message] = clockwork_emulator.messages()
    assert message["content"] == "All GSM {ok} €5"
