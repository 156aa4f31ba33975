"""The emulator answers like Clockwork, over real HTTP: replies, errors, credit, XML, inspection."""

from __future__ import annotations

import json
import re

import pytest
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.emulator.http_server import reply_hold
from airflow_provider_clockwork.protocol import xml_api
from airflow_provider_clockwork.protocol.message import prepare_message

from .helpers import CREDIT, KEY, SEND, TIMEOUT, inspect, send_http, send_xml, xml_document

CLOCKWORK_ID = re.compile(r"[A-Z]{2}_[0-9]+")
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
MESSAGE_FIELDS = {
    "id",
    "to",
    "content",
    "sender",
    "long",
    "msg_type",
    "interface",
    "parts",
    "request",
    "client_id",
}
REQUEST_FIELDS = {
    "index",
    "method",
    "path",
    "query",
    "param_names",
    "content_type",
    "numbers",
    "client_port",
    "fault",
    "in_flight",
}


def ids(emulator: ClockworkEmulator) -> list[str]:
    return [message["id"] for message in emulator.messages()]


# -- the send page's own examples, byte for byte --


def test_seed_example_one_number_gets_one_id(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.get(
        f"{clockwork_emulator.url}/http/send.aspx?key={KEY}&to=441234567890&content=Hello+World",
        timeout=TIMEOUT,
    )

    [message] = clockwork_emulator.messages()
    assert CLOCKWORK_ID.fullmatch(message["id"])
    assert reply.status_code == 200
    assert reply.content == f"To: 441234567890 ID: {message['id']}".encode()
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert message["content"] == "Hello World"
    assert set(message) == MESSAGE_FIELDS


def test_seed_example_valid_and_invalid_number_on_one_line(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.get(
        f"{clockwork_emulator.url}/http/send.aspx?key={KEY}&to=441234567890,zzz&content=Hello+World",
        timeout=TIMEOUT,
    )

    [message_id] = ids(clockwork_emulator)
    assert reply.content == (
        f"To: 441234567890 ID: {message_id} To: zzz Error 10: Invalid 'To' Parameter".encode()
    )


# -- the HTTP interface --


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "names",
    [("Key", "To", "Content"), ("key", "to", "content"), ("KEY", "TO", "CONTENT"), ("kEy", "tO", "cOnTeNt")],
)
def test_parameter_names_are_case_insensitive_for_get_and_post(
    clockwork_emulator: ClockworkEmulator, method: str, names: tuple[str, str, str]
) -> None:
    key, to, content = names
    reply = send_http(clockwork_emulator, method, **{key: KEY, to: "447700900123", content: "Hi there"})

    [message] = clockwork_emulator.messages()
    assert reply.text == f"To: 447700900123 ID: {message['id']}"
    assert (message["to"], message["content"], message["interface"]) == ("447700900123", "Hi there", "http")
    assert clockwork_emulator.requests()[0]["method"] == method


def test_sender_long_and_utf8_content_are_recorded(clockwork_emulator: ClockworkEmulator) -> None:
    content = "Ça coûte 5€ — " + "x" * 200
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content=content, From="Alerts", Long="1")

    [message] = clockwork_emulator.messages()
    assert message["sender"] == "Alerts"
    assert message["long"] is True
    assert message["content"] == "Ça co?te 5€ ? " + "x" * 200  # û and the dash are not GSM-7
    assert (message["msg_type"], message["parts"]) == ("TEXT", 2)


def test_characters_outside_gsm7_arrive_as_question_marks(clockwork_emulator: ClockworkEmulator) -> None:
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Snow ☃ and 😀, café\x07")

    [message] = clockwork_emulator.messages()
    assert message["content"] == "Snow ? and ?, café?"
    assert message["msg_type"] == "TEXT"


def test_line_breaks_survive_the_form_encoding(clockwork_emulator: ClockworkEmulator) -> None:
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="line one\r\nline two")

    assert clockwork_emulator.messages()[0]["content"] == "line one\r\nline two"


NUMBER = "447700900123"
FIFTY_ONE = ",".join(f"4477009{n:05d}" for n in range(51))
WRONG_KEY = "Error 2: Invalid Username Or Password"
NO_TO = "Error 6: 'To' Parameter Not Specified"
NO_CONTENT = "Error 7: 'Content' Parameter Not Specified"
BAD_TO = "Error 10: Invalid 'To' Parameter"
TOO_LONG = "Error 12: Message Too Long"


@pytest.mark.parametrize(
    ("params", "reply"),
    [
        pytest.param({"Key": "wrong", "To": NUMBER, "Content": "Hi"}, WRONG_KEY, id="wrong-key"),
        pytest.param({"To": NUMBER, "Content": "Hi"}, WRONG_KEY, id="no-key"),
        pytest.param({"Key": KEY.upper(), "To": NUMBER, "Content": "Hi"}, WRONG_KEY, id="key-case"),
        pytest.param({"Key": KEY, "Content": "Hi"}, NO_TO, id="no-to"),
        pytest.param({"Key": KEY, "To": " , ", "Content": "Hi"}, NO_TO, id="blank-to"),
        pytest.param({"Key": KEY, "To": FIFTY_ONE, "Content": "Hi"}, BAD_TO, id="51-numbers"),
        pytest.param({"Key": KEY, "To": NUMBER}, NO_CONTENT, id="no-content"),
        pytest.param({"Key": KEY, "To": NUMBER, "Content": "  "}, NO_CONTENT, id="blank-content"),
        pytest.param({"Key": KEY, "To": NUMBER, "Content": "a" * 161}, TOO_LONG, id="161-not-long"),
        pytest.param({"Key": KEY, "To": NUMBER, "Content": "a" * 460, "Long": "1"}, TOO_LONG, id="460-long"),
    ],
)
def test_whole_request_errors_send_nothing(
    clockwork_emulator: ClockworkEmulator, params: dict[str, str], reply: str
) -> None:
    answer = send_http(clockwork_emulator, **params)

    assert answer.status_code == 200
    assert answer.text == reply
    assert clockwork_emulator.messages() == []
    assert clockwork_emulator.credit == 10_000


def test_fifty_numbers_fit_in_one_request(clockwork_emulator: ClockworkEmulator) -> None:
    numbers = [f"4477009{n:05d}" for n in range(50)]
    reply = send_http(clockwork_emulator, Key=KEY, To=",".join(numbers), Content="Hi")

    assert [message["to"] for message in clockwork_emulator.messages()] == numbers
    assert reply.text == " ".join(
        f"To: {n} ID: {i}" for n, i in zip(numbers, ids(clockwork_emulator), strict=True)
    )


def test_each_malformed_number_is_echoed_with_its_own_error(clockwork_emulator: ClockworkEmulator) -> None:
    reply = send_http(
        clockwork_emulator, Key=KEY, To="+447700900123,07700900123,447700900124,12345", Content="Hi"
    )

    [message_id] = ids(clockwork_emulator)
    invalid = "Error 10: Invalid 'To' Parameter"
    assert reply.text == (
        f"To: +447700900123 {invalid} To: 07700900123 {invalid} "
        f"To: 447700900124 ID: {message_id} To: 12345 {invalid}"
    )


def test_message_ids_are_unique_even_across_reset(clockwork_emulator: ClockworkEmulator) -> None:
    send_http(clockwork_emulator, Key=KEY, To="447700900123,447700900124", Content="one")
    first = ids(clockwork_emulator)
    clockwork_emulator.reset()
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="two")

    assert len(set(first + ids(clockwork_emulator))) == 3


def test_endpoint_paths_ignore_case_like_clockwork(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.post(
        f"{clockwork_emulator.url}/HTTP/Send.aspx",
        data={"Key": KEY, "To": "447700900123", "Content": "Hi"},
        timeout=TIMEOUT,
    )

    assert reply.text.startswith("To: 447700900123 ID: ")


# -- credit --


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_credit_reports_the_remaining_credit(clockwork_emulator: ClockworkEmulator, method: str) -> None:
    reply = requests.request(method, clockwork_emulator.url + CREDIT, params={"key": KEY}, timeout=TIMEOUT)

    assert reply.text == "Credit: 10000"
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_credit_with_a_wrong_key_is_a_request_error(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.post(clockwork_emulator.url + CREDIT, data={"Key": "nope"}, timeout=TIMEOUT)

    assert reply.text == "Error 2: Invalid Username Or Password"


@pytest.mark.parametrize(
    ("content", "long", "parts"),
    [
        ("Hello", False, 1),
        ("a" * 160, False, 1),
        ("€" * 80, False, 1),  # extension characters count two: exactly 160
        ("a" * 161, True, 2),
        ("a" * 306, True, 2),
        ("a" * 307, True, 3),
        ("a" * 459, True, 3),
    ],
)
def test_each_recipient_costs_one_credit_per_part(
    clockwork_emulator: ClockworkEmulator, content: str, long: bool, parts: int
) -> None:
    extra = {"Long": "1"} if long else {}
    send_http(clockwork_emulator, Key=KEY, To="447700900123,447700900124", Content=content, **extra)

    credit = requests.get(clockwork_emulator.url + CREDIT, params={"Key": KEY}, timeout=TIMEOUT).text
    assert credit == f"Credit: {10_000 - 2 * parts}"
    assert [message["parts"] for message in clockwork_emulator.messages()] == [parts, parts]


def test_a_number_that_credit_cannot_cover_gets_an_error() -> None:
    with ClockworkEmulator(credit=3) as emulator:
        reply = send_http(emulator, Key=KEY, To="447700900123,447700900124", Content="a" * 200, Long="1")

        [message_id] = ids(emulator)
        assert reply.text == (
            f"To: 447700900123 ID: {message_id} To: 447700900124 Error 3: Insufficient Credits Available"
        )
        assert emulator.credit == 1


# -- the XML interface --


def test_xml_send_delivers_unicode_intact(clockwork_emulator: ClockworkEmulator) -> None:
    content = "Line one\r\nLine two: naïve ☃ 😀"
    message = prepare_message(content)
    document = xml_api.send_document(KEY, ["447700900123", "447700900124"], message)

    reply = send_xml(clockwork_emulator, document)

    first, second = clockwork_emulator.messages()
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    expected = (
        f"{XML_HEAD}<Message_Resp>"
        f"<SMS_Resp><To>447700900123</To><MessageID>{first['id']}</MessageID><WrapperID>0</WrapperID></SMS_Resp>"
        f"<SMS_Resp><To>447700900124</To><MessageID>{second['id']}</MessageID><WrapperID>1</WrapperID></SMS_Resp>"
        "</Message_Resp>"
    )
    assert reply.content == expected.encode()
    assert first["content"] == second["content"] == content
    assert (first["msg_type"], first["interface"], first["parts"]) == ("UCS2", "xml", 1)
    elements = ["Message", "Key", "SMS", "To", "Content", "MsgType", "WrapperID"]
    assert clockwork_emulator.requests()[0]["param_names"] == elements


def test_xml_send_judges_each_sms_and_echoes_client_ids(clockwork_emulator: ClockworkEmulator) -> None:
    document = xml_document(
        "<To>447700900123</To><Content>Hi</Content><ClientID>ref-1</ClientID>",
        "<To>zzz</To><Content>Hi</Content><ClientID>ref-2</ClientID>",
        "<To>447700900124</To><Content></Content><WrapperID>7</WrapperID>",
        f"<To>447700900125</To><Content>{'☃' * 71}</Content><MsgType>UCS2</MsgType>",
        f"<To>447700900126</To><Content>{'☃' * 71}</Content><MsgType>UCS2</MsgType><Long>1</Long>",
        "<To>447700900127</To><Content>Hi</Content><MsgType>BINARY</MsgType>",
        "<To>447700900128</To><Content>☃ &#x9B;</Content><MsgType>UCS2</MsgType>",
    )

    reply = send_xml(clockwork_emulator, document)

    first, long_unicode = clockwork_emulator.messages()
    assert reply.text == (
        f"{XML_HEAD}<Message_Resp>"
        f"<SMS_Resp><To>447700900123</To><MessageID>{first['id']}</MessageID><ClientID>ref-1</ClientID></SMS_Resp>"
        "<SMS_Resp><To>zzz</To><ErrNo>10</ErrNo><ErrDesc>Invalid 'To' Parameter</ErrDesc>"
        "<ClientID>ref-2</ClientID></SMS_Resp>"
        "<SMS_Resp><To>447700900124</To><ErrNo>7</ErrNo><ErrDesc>'Content' Parameter Not Specified</ErrDesc>"
        "<WrapperID>7</WrapperID></SMS_Resp>"
        "<SMS_Resp><To>447700900125</To><ErrNo>12</ErrNo><ErrDesc>Message Too Long</ErrDesc></SMS_Resp>"
        f"<SMS_Resp><To>447700900126</To><MessageID>{long_unicode['id']}</MessageID></SMS_Resp>"
        "<SMS_Resp><To>447700900127</To><ErrNo>5</ErrNo><ErrDesc>Invalid 'MsgType' Parameter</ErrDesc>"
        "</SMS_Resp>"
        "<SMS_Resp><To>447700900128</To><ErrNo>39</ErrNo><ErrDesc>Invalid Character In Content</ErrDesc>"
        "</SMS_Resp>"
        "</Message_Resp>"
    )
    assert (long_unicode["parts"], long_unicode["long"]) == (2, True)


ONE_SMS = "<To>447700900123</To><Content>Hi</Content>"


@pytest.mark.parametrize(
    ("document", "code", "text"),
    [
        pytest.param(xml_document(ONE_SMS, key="wrong"), 2, "Invalid Username Or Password", id="wrong-key"),
        pytest.param("<Message><Key>test-key</Key><SMS>", 99, "Invalid XML Document", id="not-xml"),
        pytest.param("<Credit><Key>test-key</Key></Credit>", 99, "Invalid XML Document", id="wrong-root"),
        pytest.param(xml_document(), 6, "'To' Parameter Not Specified", id="no-sms"),
    ],
)
def test_xml_whole_request_errors_send_nothing(
    clockwork_emulator: ClockworkEmulator, document: str, code: int, text: str
) -> None:
    reply = send_xml(clockwork_emulator, document)

    assert (
        reply.text == f"{XML_HEAD}<Message_Resp><ErrNo>{code}</ErrNo><ErrDesc>{text}</ErrDesc></Message_Resp>"
    )
    assert clockwork_emulator.messages() == []


def test_xml_text_message_gets_the_same_gsm7_treatment_as_http(clockwork_emulator: ClockworkEmulator) -> None:
    send_xml(clockwork_emulator, xml_document("<To>447700900123</To><Content>Snow ☃</Content>"))

    [message] = clockwork_emulator.messages()
    assert (message["content"], message["msg_type"]) == ("Snow ?", "TEXT")


def test_xml_send_takes_post_only(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.get(f"{clockwork_emulator.url}/xml/send.aspx", timeout=TIMEOUT)

    assert reply.status_code == 405
    assert reply.headers["Allow"] == "POST"


# -- refusals --


def test_a_refused_number_gets_its_error_from_now_on(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.refuse("447700900999")
    clockwork_emulator.refuse("447700900998", code=33, description="Number Blocked")

    to = "447700900999,447700900998"
    replies = [send_http(clockwork_emulator, Key=KEY, To=to, Content="Hi") for _ in range(2)]

    expected = "To: 447700900999 Error 10: Invalid 'To' Parameter To: 447700900998 Error 33: Number Blocked"
    assert [reply.text for reply in replies] == [expected, expected]
    assert clockwork_emulator.messages() == []


def test_a_refusal_with_times_lets_a_retry_through(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.refuse("447700900456", times=1)

    first = send_http(clockwork_emulator, Key=KEY, To="447700900123,447700900456", Content="Hi")
    retry = send_http(clockwork_emulator, Key=KEY, To="447700900456", Content="Hi")

    assert first.text.endswith("To: 447700900456 Error 10: Invalid 'To' Parameter")
    assert retry.text.startswith("To: 447700900456 ID: ")
    assert [message["to"] for message in clockwork_emulator.messages()] == ["447700900123", "447700900456"]


def test_refusals_apply_to_xml_and_can_be_set_over_http(clockwork_emulator: ClockworkEmulator) -> None:
    requests.post(
        f"{clockwork_emulator.url}/_emulator/refusals",
        json={"447700900999": {"code": 34, "description": "Route Unavailable"}},
        timeout=TIMEOUT,
    ).raise_for_status()

    reply = send_xml(clockwork_emulator, xml_document("<To>447700900999</To><Content>Hi</Content>"))

    assert "<ErrNo>34</ErrNo><ErrDesc>Route Unavailable</ErrDesc>" in reply.text
    assert inspect(clockwork_emulator, "refusals") == {
        "447700900999": {"code": 34, "description": "Route Unavailable", "times": None}
    }


def test_reset_lifts_refusals_and_restores_credit(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.refuse("447700900999")
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Hi")
    clockwork_emulator.reset()

    reply = send_http(clockwork_emulator, Key=KEY, To="447700900999", Content="Hi")

    assert reply.text.startswith("To: 447700900999 ID: ")
    assert clockwork_emulator.credit == 9_999
    assert clockwork_emulator.requests()[0]["index"] == 0


# -- connections --


def test_a_session_keeps_one_connection_alive(clockwork_emulator: ClockworkEmulator) -> None:
    with requests.Session() as session:
        for content in ("one", "two", "three"):
            send_http(clockwork_emulator, session=session, Key=KEY, To="447700900123", Content=content)
        session.get(clockwork_emulator.url + CREDIT, params={"Key": KEY}, timeout=TIMEOUT)

    ports = {request["client_port"] for request in clockwork_emulator.requests()}
    assert len(ports) == 1


def test_a_stopped_emulator_drops_kept_alive_connections() -> None:
    emulator = ClockworkEmulator().start()
    with requests.Session() as session:
        send_http(emulator, session=session, Key=KEY, To="447700900123", Content="Hi")
        emulator.stop()

        with pytest.raises(requests.ConnectionError, match=r"Connection aborted|Failed to establish"):
            send_http(emulator, session=session, Key=KEY, To="447700900123", Content="again")
    assert len(emulator.messages()) == 1


def test_latency_holds_back_every_reply(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.latency = 0.5

    with pytest.raises(requests.ReadTimeout, match="Read timed out"):
        requests.get(clockwork_emulator.url + CREDIT, params={"Key": KEY}, timeout=0.1)
    reply = send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Hi")

    assert reply.elapsed.total_seconds() >= 0.45


@pytest.mark.parametrize(
    ("now", "delay", "hold"),
    [
        (100.0, 0.0, 0.05),  # answered at once: the whole latency is left
        (100.02, 0.0, 0.03),  # the emulator's own work is part of the latency, not added to it
        (100.05, 0.0, 0.0),
        (100.2, 0.0, 0.0),  # the work took longer than the latency: the reply goes at once
        (100.02, 2.0, 2.03),  # a delay fault's seconds come on top
        (100.2, 2.0, 2.0),
    ],
)
def test_a_reply_is_held_until_the_latency_has_passed_since_the_request_arrived(
    now: float, delay: float, hold: float
) -> None:
    assert reply_hold(arrived=100.0, latency=0.05, now=now, delay=delay) == pytest.approx(hold)


# -- the request log and the inspection endpoints --


def test_the_request_log_describes_each_request_without_the_key() -> None:
    secret = "s3cret-key-value"
    with ClockworkEmulator(keys=(secret,)) as emulator:
        send_http(emulator, Key=secret, To="447700900123,zzz", Content="Hi", From="Ops")
        [record] = emulator.requests()
        dumped = json.dumps(emulator.requests()) + json.dumps(inspect(emulator, "requests"))

    assert secret not in dumped
    assert set(record) == REQUEST_FIELDS
    assert record["method"] == "POST"
    assert record["path"] == SEND
    assert record["query"] == ""
    assert record["param_names"] == ["Key", "To", "Content", "From"]
    assert record["content_type"] == "application/x-www-form-urlencoded"
    assert record["numbers"] == ["447700900123", "zzz"]
    assert isinstance(record["client_port"], int)
    assert record["fault"] is None
    assert record["in_flight"] == 1


def test_inspection_endpoints_mirror_the_python_api(clockwork_emulator: ClockworkEmulator) -> None:
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Hi")

    assert inspect(clockwork_emulator, "messages") == clockwork_emulator.messages()
    assert inspect(clockwork_emulator, "requests") == clockwork_emulator.requests()
    assert inspect(clockwork_emulator, "credit") == {"credit": 9_999}
    assert clockwork_emulator.messages()[0]["request"] == 0


def test_inspection_reset_forgets_everything(clockwork_emulator: ClockworkEmulator) -> None:
    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Hi")

    reply = requests.post(f"{clockwork_emulator.url}/_emulator/reset", timeout=TIMEOUT)

    assert reply.json() == {"reset": True}
    assert inspect(clockwork_emulator, "messages") == []
    assert inspect(clockwork_emulator, "requests") == []
    assert inspect(clockwork_emulator, "credit") == {"credit": 10_000}


def test_inspection_calls_are_not_logged_as_requests(clockwork_emulator: ClockworkEmulator) -> None:
    inspect(clockwork_emulator, "messages")
    inspect(clockwork_emulator, "credit")

    assert clockwork_emulator.requests() == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/http/nothing.aspx", 404),
        ("POST", "/", 404),
        ("GET", "/_emulator/nothing", 404),
        ("POST", "/_emulator/messages", 405),
        ("PUT", "/http/send.aspx", 405),
        ("DELETE", "/xml/send.aspx", 405),
        ("PATCH", "/xml/credit.aspx", 405),
        ("PUT", "/http/credit.aspx", 405),
    ],
)
def test_unknown_paths_are_not_found(
    clockwork_emulator: ClockworkEmulator, method: str, path: str, status: int
) -> None:
    reply = requests.request(method, clockwork_emulator.url + path, timeout=TIMEOUT)

    assert reply.status_code == status


def test_requests_to_unknown_paths_are_logged_for_debugging(clockwork_emulator: ClockworkEmulator) -> None:
    requests.get(f"{clockwork_emulator.url}/api/http/send.aspx?key=x", timeout=TIMEOUT)

    [record] = clockwork_emulator.requests()
    assert (record["path"], record["param_names"]) == ("/api/http/send.aspx", [])


def test_accepted_messages_are_logged_one_line_each(
    clockwork_emulator: ClockworkEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="airflow_provider_clockwork.emulator")

    send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Hello\nthere", Long="1")

    [message_id] = ids(clockwork_emulator)
    assert caplog.messages == [
        f"emulator: accepted {message_id} to 447700900123 (GSM-7, 1 part): Hello\\nthere"
    ]


def test_url_needs_a_started_emulator() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = ClockworkEmulator().url
