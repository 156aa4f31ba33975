"""A handset texts the account: the emulator forwards the text to the inbound URL, as Clockwork does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.protocol.inbound import InboundMessage, parse_form_inbound, parse_xml_inbound
from tests.ports import free_port

from .helpers import TIMEOUT, inspect
from .receiver import Receiver
from .test_cli import RunningCli

HANDSET = "447700900555"
ACCOUNT = "447700900000"
RECORD_FIELDS = {"id", "sender", "to", "content", "url", "format", "attempts"}


@pytest.fixture
def emulator(receiver: Receiver) -> Iterator[ClockworkEmulator]:
    with ClockworkEmulator(inbound_url=receiver.url + "/inbound") as started:
        yield started


def test_a_text_is_posted_as_a_form_the_receiver_can_parse(
    emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    record = emulator.receive_sms(HANDSET, "STOP")

    assert emulator.wait_for_callbacks(TIMEOUT)
    [request] = receiver.received()
    assert (request.method, request.path) == ("POST", "/inbound")
    assert request.content_type.startswith("application/x-www-form-urlencoded")
    assert parse_form_inbound(request.form()) == InboundMessage(record["id"], HANDSET, ACCOUNT, "STOP")
    [stored] = emulator.inbound_messages()
    assert set(stored) == RECORD_FIELDS
    assert stored["attempts"] == [{"attempt": 1, "http_status": 200, "error": None}]
    assert record["id"].startswith("IN_")


def test_a_text_is_posted_as_xml_when_asked(emulator: ClockworkEmulator, receiver: Receiver) -> None:
    emulator.inbound_format = "xml"
    content = "Oui, à 10h 👍\nMerci & à+ <3"

    record = emulator.receive_sms("+44 7700 900555", content, to_number="447860000111")

    assert emulator.wait_for_callbacks(TIMEOUT)
    [request] = receiver.received()
    assert request.content_type.startswith("text/xml")
    assert parse_xml_inbound(request.body) == InboundMessage(record["id"], HANDSET, "447860000111", content)


def test_each_text_gets_its_own_id(emulator: ClockworkEmulator, receiver: Receiver) -> None:
    first = emulator.receive_sms(HANDSET, "one")
    second = emulator.receive_sms(HANDSET, "two")

    assert emulator.wait_for_callbacks(TIMEOUT)
    assert first["id"] != second["id"]
    assert [parse_form_inbound(r.form()).content for r in receiver.received()] == ["one", "two"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        pytest.param(("07700 900555", "hi"), "'07700 900555'", id="national-number"),
        pytest.param(("abc", "hi"), "'abc'", id="letters"),
        pytest.param((HANDSET, "hi", "12"), "'12'", id="short-destination"),
        pytest.param((HANDSET, ""), "''", id="empty-content"),
        pytest.param((HANDSET, "  \n"), "'  \\\\n'", id="blank-content"),
        pytest.param((HANDSET, "a\x01b"), "'\\\\x01'", id="control-character"),
        pytest.param((HANDSET, "a\ud800b"), "'\\\\ud800'", id="lone-surrogate"),
        pytest.param((HANDSET, "a\uffffb"), "'\\\\uffff'", id="not-a-character"),
    ],
)
def test_bad_numbers_and_empty_content_are_refused(
    emulator: ClockworkEmulator, receiver: Receiver, arguments: tuple, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        emulator.receive_sms(*arguments)
    assert emulator.inbound_messages() == []  # nothing recorded for a text that was refused

    assert emulator.inbound_messages() == []


def test_without_an_inbound_url_nothing_can_be_received() -> None:
    with ClockworkEmulator() as emulator, pytest.raises(ValueError, match="inbound URL"):
        emulator.receive_sms(HANDSET, "hi")


@pytest.mark.parametrize("url", ["ftp://example.com/in", "file:///tmp/in", "inbound", "http://"])
def test_an_inbound_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        ClockworkEmulator(inbound_url=url)


def test_an_unknown_inbound_format_is_refused(emulator: ClockworkEmulator) -> None:
    with pytest.raises(ValueError, match="'json'"):
        emulator.inbound_format = "json"


def test_an_unstarted_emulator_cannot_receive(receiver: Receiver) -> None:
    with pytest.raises(RuntimeError, match="start"):
        ClockworkEmulator(inbound_url=receiver.url).receive_sms(HANDSET, "hi")


def test_a_receiver_that_is_down_gets_bounded_tries(emulator: ClockworkEmulator, closed_port_url) -> None:
    emulator.inbound_url = closed_port_url

    emulator.receive_sms(HANDSET, "hi")

    assert emulator.wait_for_callbacks(TIMEOUT)
    [record] = emulator.inbound_messages()
    assert [attempt["attempt"] for attempt in record["attempts"]] == [1, 2, 3]
    assert all(attempt["http_status"] is None for attempt in record["attempts"])


def test_callback_timeout_bounds_each_try_at_a_receiver_that_hangs(receiver: Receiver) -> None:
    receiver.hold = True
    with ClockworkEmulator(inbound_url=receiver.url, callback_timeout=0.5) as emulator:
        emulator.receive_sms(HANDSET, "ACK")
        assert emulator.wait_for_callbacks(TIMEOUT)
        [stored] = emulator.inbound_messages()

    assert [attempt["error"] for attempt in stored["attempts"]] == ["no answer within 0.5 s"] * 3


def test_inbound_over_the_json_api(emulator: ClockworkEmulator, receiver: Receiver) -> None:
    base = f"{emulator.url}/_emulator"

    posted = requests.post(f"{base}/inbound", json={"from": HANDSET, "content": "YES"}, timeout=TIMEOUT)
    waited = requests.post(f"{base}/wait", json={}, timeout=TIMEOUT * 3)

    assert posted.status_code == 200
    assert waited.json() == {"idle": True}
    [listed] = inspect(emulator, "inbound")
    assert listed["id"] == posted.json()["id"]
    assert listed["attempts"][0]["http_status"] == 200
    assert parse_form_inbound(receiver.received()[0].form()).content == "YES"


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        pytest.param({"from": "0123", "content": "x"}, "'0123'", id="bad-number"),
        pytest.param({"from": HANDSET}, "content", id="no-content"),
        pytest.param({"from": HANDSET, "content": "x", "keyword": "Y"}, "keyword", id="unknown-field"),
    ],
)
def test_the_json_api_refuses_a_bad_inbound_text(
    emulator: ClockworkEmulator, payload: dict, named: str
) -> None:
    reply = requests.post(f"{emulator.url}/_emulator/inbound", json=payload, timeout=TIMEOUT)

    assert reply.status_code == 400
    assert named in reply.json()["error"]


def test_reset_forgets_inbound_texts_but_keeps_the_url(
    emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    emulator.receive_sms(HANDSET, "hi")
    assert emulator.wait_for_callbacks(TIMEOUT)

    emulator.reset()

    assert emulator.inbound_messages() == []
    assert emulator.inbound_url == receiver.url + "/inbound"


def test_the_cli_forwards_inbound_texts_to_its_inbound_url(receiver: Receiver) -> None:
    port = free_port()
    cli = RunningCli("--port", str(port), "--inbound-url", receiver.url, "--inbound-format", "xml")
    try:
        cli.next_line()
        requests.post(
            f"http://127.0.0.1:{port}/_emulator/inbound",
            json={"from": HANDSET, "content": "from the CLI"},
            timeout=TIMEOUT,
        )
        assert receiver.wait_for(1)
    finally:
        cli.stop()

    assert parse_xml_inbound(receiver.received()[0].body).content == "from the CLI"
