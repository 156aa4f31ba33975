"""The emulator calls a message's DlrUrl with delivery receipts, over real HTTP, from a background worker."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.protocol import xml_api
from airflow_provider_clockwork.protocol.delivery import (
    DeliveryState,
    parse_form_receipt,
    parse_xml_receipts,
)

from .helpers import TIMEOUT, inspect, send_http, send_xml
from .receiver import Receiver

A = "447700900123"
B = "447700900124"
SECRET_KEY = "secret-key-5f1d"
RECORD_FIELDS = {
    "callback",
    "attempt",
    "message_id",
    "to",
    "url",
    "dlr_type",
    "method",
    "status",
    "err_code",
    "detail",
    "extra",
    "http_status",
    "error",
}


def sms_document(
    *numbers: str,
    url: str | None,
    dlr_type: int | str | None = 2,
    dlr_content: str | None = None,
    key: str = "test-key",
) -> bytes:
    """A send document with receipt settings, built as a client would (the hook's side is not used)."""
    root = ET.Element("Message")
    ET.SubElement(root, "Key").text = key
    for index, number in enumerate(numbers):
        sms = ET.SubElement(root, "SMS")
        ET.SubElement(sms, "To").text = number
        ET.SubElement(sms, "Content").text = f"Hello {index}"
        ET.SubElement(sms, "WrapperID").text = str(index)
        if dlr_type is not None:
            ET.SubElement(sms, "DlrType").text = str(dlr_type)
        if url is not None:
            ET.SubElement(sms, "DlrUrl").text = url
        if dlr_content is not None:
            ET.SubElement(sms, "DlrContent").text = dlr_content
    return ET.tostring(root, encoding="utf-8")


def send_with_receipts(emulator: ClockworkEmulator, *numbers: str, **settings: Any) -> dict[str, str]:
    """Send, wait until every receipt has been made, and return the message IDs by number."""
    reply = send_xml(emulator, sms_document(*numbers, **settings))
    result = xml_api.parse_send_reply(reply.content)
    assert not isinstance(result, xml_api.SmsError)
    assert emulator.wait_for_callbacks(TIMEOUT)
    return result.message_ids


def receipts_in(request) -> list:
    """The receipts one callback request carried, read by the receiver's own parsers."""
    if request.content_type.startswith("text/xml"):
        return parse_xml_receipts(request.body)
    return [parse_form_receipt(request.form())]


# -- each DlrType --


@pytest.mark.parametrize(
    ("dlr_type", "method", "content_type"),
    [
        pytest.param(1, "GET", "", id="1-get"),
        pytest.param(2, "POST", "application/x-www-form-urlencoded", id="2-form-post"),
        pytest.param(3, "POST", "text/xml", id="3-xml"),
        pytest.param(4, "POST", "text/xml", id="4-xml-batch"),
    ],
)
def test_each_dlr_type_delivers_a_receipt_the_receiver_can_parse(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver, dlr_type: int, method: str, content_type: str
) -> None:
    ids = send_with_receipts(
        clockwork_emulator, A, url=receiver.url + "/dlr", dlr_type=dlr_type, dlr_content="order=42&shop=north"
    )

    [request] = receiver.received()
    assert (request.method, request.path) == (method, "/dlr")
    assert request.content_type.startswith(content_type)
    [receipt] = receipts_in(request)
    assert (receipt.message_id, receipt.to, receipt.state, receipt.error_code) == (
        ids[A],
        A,
        DeliveryState.DELIVERED,
        0,
    )
    assert receipt.extra == {"order": "42", "shop": "north"}
    [record] = clockwork_emulator.receipts()
    assert set(record) == RECORD_FIELDS
    assert record["message_id"] == ids[A]
    assert (record["dlr_type"], record["method"], record["status"], record["err_code"]) == (
        dlr_type,
        method,
        "DELIVRD",
        0,
    )
    assert (record["attempt"], record["http_status"], record["error"]) == (1, 200, None)
    assert record["url"] == receiver.url + "/dlr"


def test_a_form_receipt_carries_clockworks_five_fields_and_the_dlr_content(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    ids = send_with_receipts(
        clockwork_emulator, A, url=receiver.url, dlr_type=1, dlr_content="ref=x%20y&msg_id=no"
    )

    [request] = receiver.received()
    assert request.form() == {
        "msg_id": ids[A],
        "to": A,
        "status": "DELIVRD",
        "detail": DeliveryState.DELIVERED.description,
        "err_code": "0",
        "ref": "x y",
    }


def test_a_get_receipt_keeps_the_dlr_urls_own_query(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    send_with_receipts(clockwork_emulator, A, url=receiver.url + "/dlr?token=abc#frag", dlr_type=1)

    [request] = receiver.received()
    assert request.form()["token"] == "abc"
    assert request.form()["status"] == "DELIVRD"


def test_type_4_batches_a_requests_receipts_at_most_100_a_post(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    numbers = [f"4477009{n:05d}" for n in range(150)]

    ids = send_with_receipts(clockwork_emulator, *numbers, url=receiver.url, dlr_type=4)

    first, second = receiver.received()
    batches = [receipts_in(first), receipts_in(second)]
    assert [len(batch) for batch in batches] == [100, 50]
    assert [receipt.message_id for batch in batches for receipt in batch] == [ids[n] for n in numbers]
    records = clockwork_emulator.receipts()
    assert len(records) == 150
    assert len({record["callback"] for record in records}) == 2


@pytest.mark.parametrize("dlr_type", [1, 2, 3])
def test_types_1_to_3_send_one_receipt_per_call(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver, dlr_type: int
) -> None:
    ids = send_with_receipts(clockwork_emulator, A, B, url=receiver.url, dlr_type=dlr_type)

    got = [receipt.message_id for request in receiver.received() for receipt in receipts_in(request)]
    assert sorted(got) == sorted(ids.values())
    assert len(receiver.received()) == 2


# -- chosen states --


@pytest.mark.parametrize(
    ("status", "state"),
    [
        pytest.param("UNDELIV", DeliveryState.UNDELIVERABLE, id="undeliverable"),
        pytest.param("expired", DeliveryState.EXPIRED, id="expired-lower-case"),
        pytest.param("REJECTD", DeliveryState.REJECTED, id="rejected"),
    ],
)
@pytest.mark.parametrize("dlr_type", [2, 3])
def test_a_chosen_failure_reaches_the_receiver(
    clockwork_emulator: ClockworkEmulator,
    receiver: Receiver,
    status: str,
    state: DeliveryState,
    dlr_type: int,
) -> None:
    clockwork_emulator.set_delivery(A, status, err_code=27, detail="Absent subscriber")

    ids = send_with_receipts(clockwork_emulator, A, B, url=receiver.url, dlr_type=dlr_type)

    by_number = {r.to: r for request in receiver.received() for r in receipts_in(request)}
    failed = by_number[A]
    assert (failed.message_id, failed.state, failed.error_code, failed.detail) == (
        ids[A],
        state,
        27,
        "Absent subscriber",
    )
    assert not failed.delivered
    assert by_number[B].delivered


@pytest.mark.parametrize("dlr_type", [1, 4])
def test_an_interim_receipt_comes_before_the_final_one(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver, dlr_type: int
) -> None:
    clockwork_emulator.set_delivery(A, "UNDELIV", err_code=1, interim="enroute")

    send_with_receipts(clockwork_emulator, A, url=receiver.url, dlr_type=dlr_type)

    states = [r.state for request in receiver.received() for r in receipts_in(request)]
    assert states == [DeliveryState.ENROUTE, DeliveryState.UNDELIVERABLE]
    assert [record["status"] for record in clockwork_emulator.receipts()] == ["ENROUTE", "UNDELIV"]


def test_a_delivery_setting_with_times_passes(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    clockwork_emulator.set_delivery(A, "EXPIRED", times=1)

    send_with_receipts(clockwork_emulator, A, url=receiver.url)
    send_with_receipts(clockwork_emulator, A, url=receiver.url)

    assert [record["status"] for record in clockwork_emulator.receipts()] == ["EXPIRED", "DELIVRD"]
    assert clockwork_emulator.deliveries() == {}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        pytest.param({"status": "DELIVERED"}, "'DELIVERED'", id="unknown-final"),
        pytest.param({"status": "ENROUTE"}, "'ENROUTE'", id="interim-as-final"),
        pytest.param({"interim": "UNDELIV"}, "'UNDELIV'", id="final-as-interim"),
        pytest.param({"err_code": "27"}, "'27'", id="text-err-code"),
        pytest.param({"times": 0}, "0", id="zero-times"),
    ],
)
def test_a_delivery_setting_it_cannot_follow_is_refused(
    clockwork_emulator: ClockworkEmulator, settings: dict, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        clockwork_emulator.set_delivery(A, **settings)

    assert clockwork_emulator.deliveries() == {}


# -- what is not sent --


def test_the_http_interface_has_no_receipt_settings(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    send_http(clockwork_emulator, Key="test-key", To=A, Content="Hi", DlrUrl=receiver.url, DlrType="2")

    assert clockwork_emulator.wait_for_callbacks(TIMEOUT)
    assert receiver.received() == []
    assert clockwork_emulator.receipts() == []


def test_a_refused_message_gets_no_receipt(clockwork_emulator: ClockworkEmulator, receiver: Receiver) -> None:
    clockwork_emulator.refuse(A)

    ids = send_with_receipts(clockwork_emulator, A, B, url=receiver.url)

    assert [r.message_id for request in receiver.received() for r in receipts_in(request)] == [ids[B]]


def test_no_dlr_url_no_receipt(clockwork_emulator: ClockworkEmulator, receiver: Receiver) -> None:
    send_with_receipts(clockwork_emulator, A, url=None, dlr_type=2)

    assert clockwork_emulator.receipts() == []


@pytest.mark.parametrize(
    ("url", "dlr_type", "reason"),
    [
        pytest.param("RECEIVER", None, "no DlrType", id="no-type"),
        pytest.param("RECEIVER", "5", "no DlrType", id="type-5"),
        pytest.param("RECEIVER", "two", "no DlrType", id="type-text"),
        pytest.param("file:///etc/passwd", 1, "not an http", id="file-url"),
        pytest.param("not a url", 2, "not an http", id="garbage-url"),
    ],
)
def test_unusable_receipt_settings_are_recorded_not_sent(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver, url: str, dlr_type: str | None, reason: str
) -> None:
    target = receiver.url if url == "RECEIVER" else url

    ids = send_with_receipts(clockwork_emulator, A, url=target, dlr_type=dlr_type)

    assert receiver.received() == []
    [record] = clockwork_emulator.receipts()
    assert (record["message_id"], record["attempt"], record["http_status"]) == (ids[A], 0, None)
    assert reason in record["error"]


def test_the_api_key_is_in_no_receipt(receiver: Receiver) -> None:
    with ClockworkEmulator(keys=(SECRET_KEY,)) as emulator:
        for dlr_type in (1, 2, 3, 4):
            send_with_receipts(emulator, A, url=receiver.url + "/dlr", dlr_type=dlr_type, key=SECRET_KEY)
        records = emulator.receipts()

    assert len(receiver.received()) == 4
    assert all(SECRET_KEY not in request.raw() for request in receiver.received())
    assert SECRET_KEY not in str(records)


# -- receivers that fail --


def test_a_receiver_answering_500_gets_a_bounded_number_of_tries(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    receiver.default_status = 500

    send_with_receipts(clockwork_emulator, A, url=receiver.url)

    records = clockwork_emulator.receipts()
    assert [(r["attempt"], r["http_status"]) for r in records] == [(1, 500), (2, 500), (3, 500)]
    assert len(receiver.received()) == 3


def test_a_receiver_that_recovers_is_not_called_again(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    receiver.statuses = [503]

    send_with_receipts(clockwork_emulator, A, url=receiver.url)

    assert [r["http_status"] for r in clockwork_emulator.receipts()] == [503, 200]


def test_a_4xx_answer_is_not_retried(clockwork_emulator: ClockworkEmulator, receiver: Receiver) -> None:
    receiver.default_status = 404

    send_with_receipts(clockwork_emulator, A, url=receiver.url)

    assert [r["http_status"] for r in clockwork_emulator.receipts()] == [404]


def test_a_receiver_that_is_down_is_tried_a_bounded_number_of_times(closed_port_url: str) -> None:
    with ClockworkEmulator() as emulator:
        send_with_receipts(emulator, A, url=closed_port_url)
        records = emulator.receipts()

    assert [r["attempt"] for r in records] == [1, 2, 3]
    assert all(r["http_status"] is None and "Connection" in r["error"] for r in records)


def test_stop_cuts_a_receipt_to_a_hanging_receiver_short(receiver: Receiver) -> None:
    receiver.hold = True
    emulator = ClockworkEmulator().start()
    try:
        send_xml(emulator, sms_document(A, url=receiver.url))
        assert receiver.wait_for(1)
    finally:
        emulator.stop()

    [record] = emulator.receipts()
    assert record["http_status"] is None
    assert "stopped" in record["error"]
    assert len(receiver.received()) == 1


# -- inspection and reset --


def test_deliveries_and_receipts_over_the_json_api(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    base = f"{clockwork_emulator.url}/_emulator"
    posted = requests.post(
        f"{base}/deliveries",
        json={
            A: {"status": "UNDELIV", "err_code": 5, "interim": "ACCEPTD", "times": 2},
            B: {"status": None, "err_code": None, "detail": None, "interim": None, "times": None},
        },
        timeout=TIMEOUT,
    )
    send_xml(clockwork_emulator, sms_document(A, B, url=receiver.url, dlr_type=3))
    waited = requests.post(f"{base}/wait", json={"timeout": TIMEOUT}, timeout=TIMEOUT * 2)

    assert posted.json()["deliveries"][A] == {
        "status": "UNDELIV",
        "err_code": 5,
        "detail": None,
        "interim": "ACCEPTD",
        "times": 2,
        "hold": False,
    }
    assert posted.json()["deliveries"][B] == {
        "status": "DELIVRD",
        "err_code": 0,
        "detail": None,
        "interim": None,
        "times": None,
        "hold": False,
    }
    assert waited.json() == {"idle": True}
    assert inspect(clockwork_emulator, "receipts") == clockwork_emulator.receipts()
    assert sorted(r["status"] for r in clockwork_emulator.receipts()) == ["ACCEPTD", "DELIVRD", "UNDELIV"]
    assert inspect(clockwork_emulator, "deliveries")[A]["times"] == 1


def test_held_receipts_wait_until_they_are_released(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    clockwork_emulator.set_delivery(A, "UNDELIV", err_code=1, interim="ENROUTE", hold=True)

    send_with_receipts(clockwork_emulator, A, B, url=receiver.url)
    before = [(r["to"], r["status"]) for r in clockwork_emulator.receipts()]
    released = requests.post(f"{clockwork_emulator.url}/_emulator/release", timeout=TIMEOUT)
    assert clockwork_emulator.wait_for_callbacks(TIMEOUT)

    assert before == [(B, "DELIVRD")]
    assert released.json() == {"released": 1}
    after = [(r["to"], r["status"]) for r in clockwork_emulator.receipts()]
    assert after == [(B, "DELIVRD"), (A, "ENROUTE"), (A, "UNDELIV")]
    assert clockwork_emulator.release_receipts() == 0


@pytest.mark.parametrize(
    ("path", "payload", "named"),
    [
        pytest.param("deliveries", {A: {"status": "LOST"}}, "LOST", id="bad-status"),
        pytest.param("deliveries", {A: {"code": 1}}, "code", id="unknown-field"),
        pytest.param("deliveries", [A], "object", id="not-an-object"),
        pytest.param("wait", {"timeout": 3600}, "3600", id="wait-too-long"),
        pytest.param("deliveries", {A: {"hold": "yes"}}, "'yes'", id="hold-not-a-bool"),
    ],
)
def test_the_json_api_refuses_what_it_cannot_follow(
    clockwork_emulator: ClockworkEmulator, path: str, payload: object, named: str
) -> None:
    reply = requests.post(f"{clockwork_emulator.url}/_emulator/{path}", json=payload, timeout=TIMEOUT)

    assert reply.status_code == 400
    assert named in reply.json()["error"]


def test_reset_forgets_receipts_and_delivery_settings(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver
) -> None:
    clockwork_emulator.set_delivery(B, "UNDELIV")
    send_with_receipts(clockwork_emulator, A, url=receiver.url)

    requests.post(f"{clockwork_emulator.url}/_emulator/reset", timeout=TIMEOUT)

    assert clockwork_emulator.receipts() == []
    assert clockwork_emulator.deliveries() == {}


def test_waiting_with_nothing_queued_is_immediate_even_unstarted() -> None:
    assert ClockworkEmulator().wait_for_callbacks(0)


def test_a_receipt_call_is_logged_without_the_query_of_its_url(
    clockwork_emulator: ClockworkEmulator, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="airflow_provider_clockwork.emulator")

    send_with_receipts(clockwork_emulator, A, url=f"{receiver.url}?token=receiver-secret-1234567")

    assert f"to {receiver.url} (try 1): HTTP 200" in caplog.text
    assert "receiver-secret" not in caplog.text
