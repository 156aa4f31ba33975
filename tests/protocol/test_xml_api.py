"""The XML interface: the send document for Unicode text and how its replies are read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from airflow_provider_clockwork.protocol.errors import UnreadableReplyError
from airflow_provider_clockwork.protocol.message import prepare_message
from airflow_provider_clockwork.protocol.results import SendResult, SmsError
from airflow_provider_clockwork.protocol.xml_api import (
    XmlSms,
    format_request_error,
    format_send_reply,
    parse_send_reply,
    read_send_document,
    send_document,
)

KEY = "k3y-SECRET-9f2a"
A, B, C = "447700900123", "447700900124", "447700900125"
EMOJI = "\U0001f600"


def _document(numbers: list[str], content: str, sender: object = None, long: bool = False) -> ET.Element:
    body = send_document(KEY, numbers, prepare_message(content, sender=sender, long=long))
    assert isinstance(body, bytes)
    body.decode("utf-8")  # the document is UTF-8
    return ET.fromstring(body)


def test_document_shape() -> None:
    root = _document([A, B, C], "Привет")
    assert root.tag == "Message"
    assert root.findtext("Key") == KEY
    assert [child.tag for child in root] == ["Key", "SMS", "SMS", "SMS"]
    assert [sms.findtext("To") for sms in root.findall("SMS")] == [A, B, C]
    assert [sms.findtext("WrapperID") for sms in root.findall("SMS")] == ["0", "1", "2"]
    assert all(sms.findtext("Content") == "Привет" for sms in root.findall("SMS"))


def test_key_only_in_key_element() -> None:
    root = _document([A], "Привет")
    assert [element.tag for element in root.iter() if element.text == KEY] == ["Key"]


@pytest.mark.parametrize(
    ("content", "msg_type"),
    [
        pytest.param("Привет", "UCS2", id="cyrillic"),
        pytest.param("ok " + EMOJI, "UCS2", id="emoji"),
        pytest.param("ça va", "UCS2", id="lower-c-cedilla"),
        pytest.param("你好", "UCS2", id="cjk"),
        pytest.param("Hello €", "TEXT", id="gsm-text"),
    ],
)
def test_msg_type_follows_encoding(content: str, msg_type: str) -> None:
    for sms in _document([A, B], content).findall("SMS"):
        assert sms.findtext("MsgType") == msg_type


@pytest.mark.parametrize(
    ("sender", "long", "from_", "long_element"),
    [
        pytest.param(None, False, None, None, id="plain"),
        pytest.param("Acme", False, "Acme", None, id="sender"),
        pytest.param(None, True, None, "1", id="long"),
        pytest.param(447700900999, True, "447700900999", "1", id="sender-and-long"),
    ],
)
def test_optional_elements_only_when_set(
    sender: object, long: bool, from_: str | None, long_element: str | None
) -> None:
    for sms in _document([A, B], "Привет", sender=sender, long=long).findall("SMS"):
        assert sms.findtext("From") == from_
        assert sms.findtext("Long") == long_element


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("Привет", id="cyrillic"),
        pytest.param("line1\r\nline2\rline3\nend ж", id="cr-lf-kept"),
        pytest.param("\r\nж\r\n", id="leading-trailing-crlf"),
        pytest.param("  ж  ", id="leading-trailing-spaces"),
        pytest.param("ж\tcol", id="tab"),
        pytest.param("Tom & Jerry <b>ж</b> ]]> &amp;", id="markup-characters"),
        pytest.param("\"quoted\" and 'single' ж", id="quotes"),
        pytest.param(EMOJI * 3 + " \U0001f1ec\U0001f1e7 \U0001f468\u200d\U0001f469", id="emoji-flags-zwj"),
        pytest.param("ж" * 201, id="long-unicode-limit"),
    ],
)
def test_send_document_round_trip(content: str) -> None:
    long = len(content) > 70
    message = prepare_message(content, sender="Acme", long=long)
    key, messages = read_send_document(send_document(KEY, [A, B], message))
    assert key == KEY
    assert messages == [
        XmlSms(
            to=A, content=content, sender="Acme", msg_type="UCS2", long=long, wrapper_id="0", client_id=None
        ),
        XmlSms(
            to=B, content=content, sender="Acme", msg_type="UCS2", long=long, wrapper_id="1", client_id=None
        ),
    ]


def test_key_with_markup_characters_round_trips() -> None:
    key = "a&b<c>d\"e'"
    key_read, _ = read_send_document(send_document(key, [A], prepare_message("ж")))
    assert key_read == key


def test_one_sms_per_number_for_a_full_batch() -> None:
    numbers = [f"4477009{n:05d}" for n in range(50)]
    _, messages = read_send_document(send_document(KEY, numbers, prepare_message("ж")))
    assert [sms.to for sms in messages] == numbers
    assert [sms.wrapper_id for sms in messages] == [str(n) for n in range(50)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<Message><Key>K</Key><SMS><To>1</To>", id="truncated"),
        pytest.param(b"", id="empty"),
        pytest.param(b"Key=K&To=1", id="form-body"),
    ],
)
def test_read_send_document_malformed(body: bytes) -> None:
    with pytest.raises(
        UnreadableReplyError, match=re.escape(f"not a Clockwork XML send document: {body.decode()!r}")
    ):
        read_send_document(body)


def test_read_send_document_wrong_root() -> None:
    with pytest.raises(UnreadableReplyError, match="Credit"):
        read_send_document(b"<Credit><Key>K</Key></Credit>")


def _reply(inner: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><Message_Resp>{inner}</Message_Resp>'.encode()


@pytest.mark.parametrize(
    ("body", "ids", "errors"),
    [
        pytest.param(
            _reply(f"<SMS_Resp><To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID></SMS_Resp>"),
            {A: "AB_1"},
            {},
            id="one-id",
        ),
        pytest.param(
            _reply(
                f"<SMS_Resp><To>{A}</To><MessageID>AB_1</MessageID></SMS_Resp>"
                f"<SMS_Resp><To>{B}</To><MessageID>AB_2</MessageID></SMS_Resp>"
            ),
            {A: "AB_1", B: "AB_2"},
            {},
            id="two-ids",
        ),
        pytest.param(
            _reply(
                f"<SMS_Resp><To>{A}</To><MessageID>AB_1</MessageID></SMS_Resp>"
                "<SMS_Resp><To>zzz</To><ErrNo>10</ErrNo><ErrDesc>Invalid 'To' Parameter</ErrDesc></SMS_Resp>"
            ),
            {A: "AB_1"},
            {"zzz": SmsError(10, "Invalid 'To' Parameter")},
            id="id-and-per-number-error",
        ),
        pytest.param(
            _reply(
                f"\n  <SMS_Resp>\n    <To> {A} </To>\n    <MessageID>\n AB_1 \n</MessageID>\n  </SMS_Resp>\n"
                f"  <SMS_Resp><To>{B}</To><ErrNo> 33 </ErrNo><ErrDesc> Too &amp; long </ErrDesc></SMS_Resp>\n"
            ),
            {A: "AB_1"},
            {B: SmsError(33, "Too & long")},
            id="pretty-printed-whitespace-trimmed",
        ),
        pytest.param(
            _reply(f"<SMS_Resp><To>{A}</To><MessageID>AB_1</MessageID></SMS_Resp>").decode(),
            {A: "AB_1"},
            {},
            id="str-body",
        ),
    ],
)
def test_parse_send_reply_per_number(
    body: bytes | str, ids: dict[str, str], errors: dict[str, SmsError]
) -> None:
    result = parse_send_reply(body)
    assert isinstance(result, SendResult)
    assert result.message_ids == ids
    assert result.errors == errors


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            _reply("<ErrNo>2</ErrNo><ErrDesc>Invalid Username Or Password</ErrDesc>"),
            SmsError(2, "Invalid Username Or Password"),
            id="wrong-key",
        ),
        pytest.param(_reply("<ErrNo>25</ErrNo>"), SmsError(25, ""), id="code-without-text"),
        pytest.param(
            format_request_error(SmsError(7, "Missing <Content> & more")),
            SmsError(7, "Missing <Content> & more"),
            id="formatted-request-error",
        ),
    ],
)
def test_parse_send_reply_whole_request_error(body: bytes, error: SmsError) -> None:
    assert parse_send_reply(body) == error


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<Message_Resp><SMS_Resp><To>1</To>", id="truncated"),
        pytest.param(b"<html><body>502 Bad Gateway<br></body></html>", id="html-unclosed-br"),
        pytest.param(b"To: 447700900123 ID: AB_1", id="http-style-reply"),
        pytest.param(b'{"id": "AB_1"}', id="json"),
    ],
)
def test_parse_send_reply_malformed(body: bytes) -> None:
    with pytest.raises(
        UnreadableReplyError, match=re.escape(f"not a Clockwork XML send reply: {body.decode()!r}")
    ):
        parse_send_reply(body)


def test_malformed_reply_excerpt_blanks_key() -> None:
    body = f"<Message_Resp><Echo>{KEY}</Echo><SMS_Resp>".encode()
    with pytest.raises(UnreadableReplyError) as caught:
        parse_send_reply(body, secrets=(KEY,))
    assert KEY not in str(caught.value)
    assert "Message_Resp" in str(caught.value)


def test_malformed_reply_excerpt_bounded() -> None:
    with pytest.raises(UnreadableReplyError) as caught:
        parse_send_reply(b"<a>" + b"x" * 10_000)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<Credit_Resp><Credit>12</Credit></Credit_Resp>", id="credit-reply"),
        pytest.param(b"<Message><Key>K</Key></Message>", id="request-document"),
        pytest.param(b"<html><body>hi</body></html>", id="well-formed-html"),
        pytest.param(
            f"<Other_Resp><SMS_Resp><To>{A}</To><MessageID>AB_1</MessageID></SMS_Resp></Other_Resp>".encode(),
            id="outcomes-under-other-root",
        ),
        pytest.param(
            b"<Message_Resp_Ext><ErrNo>2</ErrNo><ErrDesc>Invalid</ErrDesc></Message_Resp_Ext>",
            id="request-error-under-other-root",
        ),
    ],
)
def test_parse_send_reply_wrong_root(body: bytes) -> None:
    with pytest.raises(UnreadableReplyError, match="not a Clockwork XML send reply: root element <"):
        parse_send_reply(body)


@pytest.mark.parametrize(
    "inner",
    [
        pytest.param("", id="empty-root"),
        pytest.param("<SMS_Resp><MessageID>AB_1</MessageID></SMS_Resp>", id="id-without-number"),
        pytest.param("<ErrNo>two</ErrNo><ErrDesc>x</ErrDesc>", id="non-numeric-errno"),
    ],
)
def test_parse_send_reply_without_outcomes_is_unreadable(inner: str) -> None:
    with pytest.raises(UnreadableReplyError, match="holds no <SMS_Resp> with a number"):
        parse_send_reply(_reply(inner))


def test_format_and_parse_send_reply_round_trip() -> None:
    sms = [
        XmlSms(to=n, content="ж", sender=None, msg_type="UCS2", long=False, wrapper_id=str(i), client_id=None)
        for i, n in enumerate([A, B, C])
    ]
    outcomes: list[tuple[XmlSms, str | SmsError]] = [
        (sms[0], "AB_1"),
        (sms[1], SmsError(10, "Invalid 'To' & <Parameter>")),
        (sms[2], "AB_3"),
    ]
    body = format_send_reply(outcomes)
    result = parse_send_reply(body)
    assert isinstance(result, SendResult)
    assert result.message_ids == {A: "AB_1", C: "AB_3"}
    assert result.errors == {B: SmsError(10, "Invalid 'To' & <Parameter>")}
    echoed = [item.findtext("WrapperID") for item in ET.fromstring(body).findall("SMS_Resp")]
    assert echoed == ["0", "1", "2"]


def test_full_round_trip_from_document_to_result() -> None:
    numbers = [f"4477009{n:05d}" for n in range(50)]
    _, messages = read_send_document(send_document(KEY, numbers, prepare_message("Привет " + EMOJI)))
    result = parse_send_reply(format_send_reply((sms, f"ID_{sms.wrapper_id}") for sms in messages))
    assert isinstance(result, SendResult)
    assert result.message_ids == {number: f"ID_{i}" for i, number in enumerate(numbers)}
    assert result.errors == {}


@pytest.mark.parametrize(
    ("action", "element"),
    [
        pytest.param(None, None, id="unset"),
        pytest.param("error", "1", id="error"),
        pytest.param("remove", "2", id="remove"),
        pytest.param("replace", "3", id="replace"),
    ],
)
def test_invalid_char_action_travels_with_a_text_message_type(
    action: str | None, element: str | None
) -> None:
    message = prepare_message(
        "Zoë\u2019s report" if action != "error" else "Plain", invalid_char_action=action
    )
    _, [sms] = read_send_document(send_document(KEY, [A], message))

    assert sms.invalid_char_action == element
    assert sms.msg_type == ("UCS2" if action is None else "TEXT")
    assert sms.content == message.content  # Clockwork applies the action; the text goes as written


@pytest.mark.parametrize(
    ("receipt", "dlr_type", "dlr_content"),
    [
        pytest.param("https://example.com/dlr", 2, None, id="url-form-post"),
        pytest.param({"url": "https://example.com/dlr", "type": "xml_batch"}, 4, None, id="xml-batch"),
        pytest.param({"url": "https://example.com/dlr", "content": {"run": "r1"}}, 2, "run=r1", id="content"),
    ],
)
def test_receipt_request_travels_in_every_sms(
    receipt: object, dlr_type: int, dlr_content: str | None
) -> None:
    message = prepare_message("Hello", delivery_receipt=receipt)
    _, messages = read_send_document(send_document(KEY, [A, B], message))

    assert [(sms.dlr_type, sms.dlr_url, sms.dlr_content) for sms in messages] == [
        (dlr_type, "https://example.com/dlr", dlr_content)
    ] * 2
    assert message.needs_xml  # the HTTP form has no receipt settings
