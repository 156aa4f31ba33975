"""The XML document of a personalised send and how its reply is matched back by WrapperID."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from airflow_provider_clockwork.protocol.errors import UnreadableReplyError
from airflow_provider_clockwork.protocol.message import prepare_message
from airflow_provider_clockwork.protocol.personalised import PersonalisedResult, prepare_personalised
from airflow_provider_clockwork.protocol.results import SmsError
from airflow_provider_clockwork.protocol.xml_api import (
    XmlSms,
    format_request_error,
    format_send_reply,
    parse_personalised_reply,
    personalised_document,
    read_send_document,
    send_document,
)

KEY = "k3y-SECRET-9f2a"
A, B = "447700900123", "447700900456"
INVALID_TO = SmsError(10, "Invalid 'To' Parameter")

MIXED = prepare_personalised(
    [
        {"to": A, "content": "Hi Ann, your parcel comes at 9", "client_id": "ann-1"},
        {"to": A, "content": "Ann, your second parcel: Łódź ✓", "client_id": "ann-2"},
        {"to": B, "content": "x" * 200, "long": True, "sender": "Shop", "client_id": "bob"},
        {"to": B, "content": "Привет " * 20, "long": True, "client_id": "bob-ru"},
    ]
)


def _sms_elements(messages=MIXED) -> list[ET.Element]:
    root = ET.fromstring(personalised_document(KEY, messages))
    assert root.tag == "Message"
    assert root.findtext("Key") == KEY
    return root.findall("SMS")


def test_one_sms_per_message_with_its_own_text_and_references() -> None:
    elements = _sms_elements()

    assert [
        (
            sms.findtext("To"),
            sms.findtext("Content"),
            sms.findtext("From"),
            sms.findtext("MsgType"),
            sms.findtext("Long"),
            sms.findtext("ClientID"),
            sms.findtext("WrapperID"),
        )
        for sms in elements
    ] == [
        (A, "Hi Ann, your parcel comes at 9", None, "TEXT", None, "ann-1", "0"),
        (A, "Ann, your second parcel: Łódź ✓", None, "UCS2", None, "ann-2", "1"),
        (B, "x" * 200, "Shop", "TEXT", "1", "bob", "2"),
        (B, "Привет " * 20, None, "UCS2", "1", "bob-ru", "3"),
    ]


def test_the_key_appears_only_in_its_element() -> None:
    root = ET.fromstring(personalised_document(KEY, MIXED))

    assert [element.tag for element in root.iter() if element.text == KEY] == ["Key"]


def test_the_emulator_side_reads_back_what_was_written() -> None:
    key, read = read_send_document(personalised_document(KEY, MIXED))

    assert key == KEY
    assert read == [
        XmlSms(
            to=sms.to,
            content=sms.message.content,
            sender=sms.message.sender,
            msg_type="UCS2" if sms.message.needs_unicode else "TEXT",
            long=sms.message.long,
            wrapper_id=str(index),
            client_id=sms.client_id,
        )
        for index, sms in enumerate(MIXED)
    ]


def test_send_document_and_personalised_document_build_the_same_sms() -> None:
    # One builder for both: the same number and message give the same <SMS>, bar ClientID.
    message = prepare_message("Łódź", sender="Acme", long=True)
    (personalised,) = prepare_personalised([{"to": A, "content": "Łódź", "sender": "Acme", "long": True}])

    plain = ET.fromstring(send_document(KEY, [A], message)).find("SMS")
    mine = ET.fromstring(personalised_document(KEY, [personalised])).find("SMS")
    assert plain is not None and mine is not None
    assert [(e.tag, e.text) for e in plain] == [(e.tag, e.text) for e in mine if e.tag != "ClientID"]


def test_500_messages_fit_one_document() -> None:
    messages = prepare_personalised({"to": A, "content": f"text {n}"} for n in range(500))

    _, read = read_send_document(personalised_document(KEY, messages))

    assert [sms.wrapper_id for sms in read] == [str(n) for n in range(500)]
    assert [sms.client_id for sms in read] == [str(n) for n in range(500)]
    assert len({sms.content for sms in read}) == 500


def _answered(outcomes: list[str | SmsError], messages=MIXED) -> bytes:
    """The reply the emulator formats for these outcomes, in request order."""
    _, read = read_send_document(personalised_document(KEY, messages))
    return format_send_reply(zip(read, outcomes, strict=True))


def test_reply_matched_by_wrapper_id_for_the_same_number_twice() -> None:
    result = parse_personalised_reply(_answered(["AB_1", "AB_2", INVALID_TO, "AB_4"]), MIXED)

    assert isinstance(result, PersonalisedResult)
    assert result.message_ids == {"ann-1": "AB_1", "ann-2": "AB_2", "bob-ru": "AB_4"}
    assert result.errors == {"bob": INVALID_TO}
    assert result.numbers == {"ann-1": A, "ann-2": A, "bob": B, "bob-ru": B}


def _reply(*items: str) -> bytes:
    return (
        "<Message_Resp>" + "".join(f"<SMS_Resp>{item}</SMS_Resp>" for item in items) + "</Message_Resp>"
    ).encode()


def test_reply_order_does_not_matter_and_client_id_echo_is_optional() -> None:
    messages = MIXED[:2]
    body = _reply(
        f"<To>{A}</To><MessageID>AB_2</MessageID><WrapperID>1</WrapperID>",
        f"<To>{A}</To><MessageID>AB_1</MessageID><ClientID>ann-1</ClientID><WrapperID>0</WrapperID>",
    )

    result = parse_personalised_reply(body, messages)

    assert isinstance(result, PersonalisedResult)
    assert result.message_ids == {"ann-1": "AB_1", "ann-2": "AB_2"}


@pytest.mark.parametrize(
    ("items", "answered"),
    [
        pytest.param(
            [f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>"],
            {"ann-1"},
            id="second-message-unanswered",
        ),
        pytest.param(
            [
                f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>",
                f"<To>{B}</To><MessageID>AB_2</MessageID><WrapperID>1</WrapperID>",
            ],
            {"ann-1"},
            id="answer-for-another-number",
        ),
        pytest.param(
            [
                f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>",
                f"<To>{A}</To><MessageID>AB_2</MessageID><ClientID>ann-1</ClientID><WrapperID>1</WrapperID>",
            ],
            {"ann-1"},
            id="client-id-echo-of-another-message",
        ),
        pytest.param(
            [
                f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>",
                f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>",
                f"<To>{A}</To><MessageID>AB_2</MessageID><WrapperID>1</WrapperID>",
                f"<To>{A}</To><MessageID>AB_3</MessageID><WrapperID>1</WrapperID>",
            ],
            {"ann-1"},
            id="same-answer-twice-kept-contradiction-dropped",
        ),
        pytest.param(
            [
                f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>",
                f"<To>{A}</To><MessageID>AB_9</MessageID><WrapperID>7</WrapperID>",
                f"<To>{A}</To><MessageID>AB_8</MessageID><WrapperID>x</WrapperID>",
                f"<To>{A}</To><MessageID>AB_7</MessageID>",
            ],
            {"ann-1"},
            id="wrapper-ids-not-of-this-request-ignored",
        ),
        pytest.param(
            [
                f"<To>{A}</To><WrapperID>0</WrapperID>",
                f"<To>{A}</To><MessageID>AB_2</MessageID><WrapperID>1</WrapperID>",
            ],
            {"ann-2"},
            id="neither-id-nor-error",
        ),
    ],
)
def test_untrusted_answers_leave_the_message_unanswered(items, answered) -> None:
    result = parse_personalised_reply(_reply(*items), MIXED[:2])

    assert isinstance(result, PersonalisedResult)
    assert result.answered() == answered


def test_whole_request_error() -> None:
    error = SmsError(2, "Invalid Username Or Password")

    assert parse_personalised_reply(format_request_error(error), MIXED) == error


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<html>502</html>", id="html"),
        pytest.param(b"<Message_Resp></Message_Resp>", id="no-sms-resp"),
        pytest.param(_reply(f"<To>{A}</To><MessageID>AB_1</MessageID>"), id="no-wrapper-ids"),
        pytest.param(
            _reply(f"<To>{A}</To><MessageID>AB_1</MessageID><WrapperID>9</WrapperID>"), id="foreign-ids"
        ),
    ],
)
def test_unreadable_replies(body) -> None:
    with pytest.raises(
        UnreadableReplyError,
        match=r"not a Clockwork XML send reply|no <SMS_Resp> with a WrapperID of this request",
    ):
        parse_personalised_reply(body, MIXED)


def test_secrets_are_blanked_from_unreadable_reply_errors() -> None:
    with pytest.raises(UnreadableReplyError) as raised:
        parse_personalised_reply(f"<oops>{KEY}".encode(), MIXED, secrets=(KEY,))

    assert KEY not in str(raised.value)
