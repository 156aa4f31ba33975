"""Inbound texts over HTTP: allowed senders become asset events, others are only stored."""

from __future__ import annotations

import requests

from airflow_provider_clockwork.receiver.records import inbound_asset_uri
from tests.receiver.conftest import needs_store
from tests.receiver.running import ALLOWED_SENDER

pytestmark = needs_store
ACCOUNT = "447700900000"
ASSET = inbound_asset_uri(ACCOUNT)


def test_an_allowed_reply_from_the_emulator_becomes_one_asset_event(receiver, clockwork_emulator):
    clockwork_emulator.inbound_url = receiver.url("inbound")
    record = clockwork_emulator.receive_sms("+44 7700 900555", "ACK")
    assert clockwork_emulator.wait_for_callbacks(30)

    assert receiver.events(ASSET) == [{"sender": ALLOWED_SENDER, "text": "ACK", "message_id": record["id"]}]
    assert receiver.stored(ASSET)[f"inbound/{record['id']}"]["acted_on"] is True


def test_an_xml_reply_is_read_too(receiver, clockwork_emulator):
    clockwork_emulator.inbound_url = receiver.url("inbound")
    clockwork_emulator.inbound_format = "xml"
    clockwork_emulator.receive_sms(ALLOWED_SENDER, "RERUN load")
    assert clockwork_emulator.wait_for_callbacks(30)

    assert [event["text"] for event in receiver.events(ASSET)] == ["RERUN load"]


def test_a_stranger_is_stored_and_logged_not_acted_on(receiver, clockwork_emulator):
    clockwork_emulator.inbound_url = receiver.url("inbound")
    record = clockwork_emulator.receive_sms("447700900666", "ACK")
    assert clockwork_emulator.wait_for_callbacks(30)

    assert receiver.events(ASSET) == []
    assert receiver.stored(ASSET)[f"inbound/{record['id']}"]["acted_on"] is False
    assert "447700900666" not in receiver.wait_for_log("from a sender not in 'allowed_senders'")


def test_the_same_text_twice_triggers_once(receiver):
    body = f"msg_id=IN_9&from={ALLOWED_SENDER}&to={ACCOUNT}&content=ACK"
    answers = [requests.post(receiver.url("inbound"), data=body, timeout=30).json() for _ in range(2)]

    assert [a["new"] for a in answers] == [True, False]
    assert len(receiver.events(ASSET)) == 1


def test_a_destination_that_is_no_number_is_refused(receiver):
    answer = requests.post(
        receiver.url("inbound"), data=f"msg_id=IN_1&from={ALLOWED_SENDER}&to=../../x&content=ACK", timeout=30
    )
    assert answer.status_code == 400
    assert "Inbound 'to' '../../x' is not a phone number" in answer.json()["detail"]
