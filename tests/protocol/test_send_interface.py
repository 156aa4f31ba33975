"""Which send interface carries a message: the HTTP form unless it cannot carry the message."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.message import prepare_message
from airflow_provider_clockwork.protocol.results import SendResult
from airflow_provider_clockwork.protocol.send_interface import FORM, XML, send_interface

NUMBERS = ["447700900123", "447700900456"]


@pytest.mark.parametrize(
    ("message", "interface"),
    [
        pytest.param(prepare_message("Load done", sender="ETL", long=True), FORM, id="gsm-7"),
        pytest.param(prepare_message("Łódź done ✓"), XML, id="needs-xml"),
    ],
)
def test_the_form_carries_what_it_can_and_xml_the_rest(message, interface):
    assert send_interface(message) is interface


@pytest.mark.parametrize(
    ("interface", "endpoint", "key_in_body", "reply"),
    [
        (
            FORM,
            (http_api.SEND_PATH, http_api.FORM_CONTENT_TYPE),
            b"Key=KEY",
            "To: 447700900123 ID: AB_1 To: 447700900456 Error 10: Invalid 'To' Parameter",
        ),
        (
            XML,
            (xml_api.SEND_PATH, xml_api.CONTENT_TYPE),
            b"<Key>KEY</Key>",
            "<Message_Resp><SMS_Resp><To>447700900123</To><MessageID>AB_1</MessageID><WrapperID>0</WrapperID>"
            "</SMS_Resp><SMS_Resp><To>447700900456</To><ErrNo>10</ErrNo>"
            "<ErrDesc>Invalid 'To' Parameter</ErrDesc><WrapperID>1</WrapperID></SMS_Resp></Message_Resp>",
        ),
    ],
)
def test_each_interface_posts_its_own_body_and_reads_its_own_reply(interface, endpoint, key_in_body, reply):
    body = interface.body("KEY", NUMBERS, prepare_message("Hi"))

    assert interface.endpoint == endpoint
    assert key_in_body in body and all(number.encode() in body for number in NUMBERS)
    result = interface.parse_reply(reply)
    assert isinstance(result, SendResult)
    assert result.message_ids == {"447700900123": "AB_1"}
    assert {number: error.code for number, error in result.errors.items()} == {"447700900456": 10}
