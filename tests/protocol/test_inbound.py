"""Inbound messages as the emulator forwards them, and as a user's receiver reads them."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.inbound import (
    InboundMessage,
    check_inbound_content,
    format_form_inbound,
    format_xml_inbound,
    parse_form_inbound,
    parse_xml_inbound,
)

CONTENTS = [
    pytest.param("STOP", id="keyword"),
    pytest.param("Oui, à 10h 👍", id="unicode-emoji"),
    pytest.param("line one\r\nline two\n", id="line-breaks"),
    pytest.param("a&b=c <tag> ]]> %20 +", id="markup-and-encoding-characters"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("content", CONTENTS)
def test_a_form_inbound_message_round_trips(content) -> None:
    message = InboundMessage("IN_00001", "447700900555", "447700900000", content)

    fields = dict(parse_qsl(format_form_inbound(message), keep_blank_values=True))

    assert list(fields) == ["msg_id", "from", "to", "content"]
    assert parse_form_inbound(fields) == message


@pytest.mark.parametrize("content", CONTENTS)
def test_an_xml_inbound_message_round_trips(content) -> None:
    message = InboundMessage("IN_00001", "447700900555", "447700900000", content)

    body = format_xml_inbound(message)

    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Inbound><MessageID>IN_00001</MessageID>')
    assert parse_xml_inbound(body) == message


def test_form_field_names_are_case_insensitive() -> None:
    message = parse_form_inbound(
        {"MSG_ID": "X_1", "From": "447700900555", "TO": "447700900000", "Content": "hi"}
    )

    assert message == InboundMessage("X_1", "447700900555", "447700900000", "hi")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        pytest.param({"from": "447700900555", "to": "447700900000", "content": "x"}, "msg_id", id="no-id"),
        pytest.param({"msg_id": "X_1", "to": "447700900000", "content": "x"}, "from", id="no-sender"),
        pytest.param({"msg_id": "X_1", "from": "447700900555", "content": "x"}, "to", id="no-destination"),
        pytest.param({"msg_id": " ", "from": "447700900555", "to": "447700900000"}, "msg_id", id="blank-id"),
        pytest.param({}, "msg_id, from, to", id="nothing"),
    ],
)
def test_malformed_form_messages_are_refused(params, named) -> None:
    with pytest.raises(InvalidInputError, match=named):
        parse_form_inbound(params)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param(b"", "Not an XML inbound message", id="empty"),
        pytest.param(b"<Inbound><MessageID>X</MessageID>", "Not an XML inbound message", id="truncated"),
        pytest.param(b"<Receipt><MessageID>X</MessageID></Receipt>", "<Receipt>", id="wrong-root"),
        pytest.param(b"<Inbound><From>447700900555</From><To>1</To></Inbound>", "msg_id", id="no-id"),
        pytest.param(b"msg_id=X&from=1&to=2", "Not an XML inbound message", id="form-body"),
    ],
)
def test_malformed_xml_messages_are_refused(body, named) -> None:
    with pytest.raises(InvalidInputError, match=named):
        parse_xml_inbound(body)


@pytest.mark.parametrize(
    "content",
    ["STOP", "line one\nline two\r\n\tend", "Привет 👋", "€ {x}"],
)
def test_inbound_content_a_phone_can_send(content: str) -> None:
    assert check_inbound_content(content) == content


@pytest.mark.parametrize(
    ("content", "named"),
    [
        pytest.param("", "''", id="empty"),
        pytest.param(" \n ", "' \\n '", id="blank"),
        pytest.param("a\x00b", "'\\x00'", id="nul"),
        pytest.param("a\x1bb", "'\\x1b'", id="escape"),
        pytest.param("a\ud800b", "'\\ud800'", id="lone-surrogate"),
        pytest.param("a\ufffeb", "'\\ufffe'", id="not-a-character"),
        pytest.param(None, "None", id="none"),
        pytest.param(42, "42", id="number"),
    ],
)
def test_inbound_content_refused_naming_it(content: object, named: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_inbound_content(content)
    assert named in str(raised.value)
