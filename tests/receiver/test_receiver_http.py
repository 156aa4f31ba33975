"""The receiver over HTTP: every receipt kind from the emulator, the token, bad input, duplicates."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.protocol.delivery import (
    DeliveryReceipt,
    DeliveryState,
    format_xml_receipt,
    format_xml_receipts,
)
from airflow_provider_clockwork.receiver.records import RECEIPTS_ASSET_URI, receipt_key
from tests.receiver.conftest import needs_store
from tests.receiver.running import TOKEN, last_tries

pytestmark = needs_store
TIMEOUT = 30


def _receipt(message_id: str, status: str = "DELIVRD", to: str = "447700900123") -> DeliveryReceipt:
    return DeliveryReceipt(message_id, to, DeliveryState.from_status(status), status, error_code=0)


def _post(url: str, body: bytes | str, content_type: str = "application/x-www-form-urlencoded"):
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=TIMEOUT)


def _statuses(receiver) -> dict[str, str]:
    return {key: record["status"] for key, record in receiver.stored(RECEIPTS_ASSET_URI).items()}


@pytest.mark.parametrize("kind", ["get", "post", "xml", "xml_batch"])
def test_every_receipt_kind_from_the_emulator_is_stored_by_message_id(kind, receiver, clockwork_connection):
    clockwork_connection.set_delivery("447700900124", "UNDELIV", err_code=27, interim="ENROUTE")
    hook = ClockworkHook()
    result = hook.send_sms(
        ["447700900123", "447700900124"],
        "Disk full on db-1",
        delivery_receipt={"url": receiver.url(), "type": kind, "content": {"run_id": "manual__1"}},
    )
    assert clockwork_connection.wait_for_callbacks(30)

    # The last try of each receipt (a first call to a cold receiver on a loaded machine may time out).
    assert set(last_tries(clockwork_connection.receipts()).values()) == {200}
    stored = receiver.stored(RECEIPTS_ASSET_URI)
    assert set(stored) == {receipt_key(i) for i in result.message_ids.values()}
    delivered = stored[receipt_key(result.message_ids["447700900123"])]
    undelivered = stored[receipt_key(result.message_ids["447700900124"])]
    assert (delivered["status"], delivered["final"], delivered["to"]) == ("DELIVRD", True, "447700900123")
    assert (undelivered["status"], undelivered["error_code"]) == ("UNDELIV", 27)
    assert delivered["extra"] == {"run_id": "manual__1"}


def test_an_interim_state_is_replaced_by_the_final_one_never_the_reverse(receiver):
    _post(receiver.url(), "msg_id=AB_1&status=ENROUTE&to=447700900123")
    assert _statuses(receiver) == {"receipt/AB_1": "ENROUTE"}
    _post(receiver.url(), "msg_id=AB_1&status=UNDELIV&to=447700900123")
    late = _post(receiver.url(), "msg_id=AB_1&status=ACCEPTD&to=447700900123")

    assert late.status_code == 200 and late.json() == {"received": 1, "stored": 0}
    assert _statuses(receiver) == {"receipt/AB_1": "UNDELIV"}


def test_a_duplicate_receipt_changes_nothing(receiver):
    body = format_xml_receipt(_receipt("AB_7"))
    first = _post(receiver.url(), body, "text/xml")
    stored = receiver.stored(RECEIPTS_ASSET_URI)
    again = _post(receiver.url(), body, "text/xml")

    assert (first.json(), again.json()) == ({"received": 1, "stored": 1}, {"received": 1, "stored": 0})
    assert receiver.stored(RECEIPTS_ASSET_URI) == stored


def test_a_receipt_for_a_message_nobody_waits_for_is_kept(receiver):
    answer = requests.get(
        receiver.url(token=None), params={"msg_id": "AB_404", "status": "EXPIRED", "token": TOKEN}, timeout=30
    )
    assert answer.status_code == 200
    assert _statuses(receiver) == {"receipt/AB_404": "EXPIRED"}


def test_a_batch_of_100_is_stored_whole(receiver):
    batch = format_xml_receipts(_receipt(f"AB_{n}") for n in range(100))
    answer = _post(receiver.url(), batch, "text/xml")
    assert answer.json() == {"received": 100, "stored": 100}
    assert len(receiver.stored(RECEIPTS_ASSET_URI)) == 100


@pytest.mark.parametrize(
    ("token", "conn_id", "status"),
    [
        (None, "clockwork_default", 401),
        ("wrong-token-of-enough-length", "clockwork_default", 404),
        ("", "clockwork_default", 401),
        (TOKEN, "no_such_connection", 404),
    ],
)
def test_a_missing_or_wrong_token_stores_nothing(token, conn_id, status, receiver):
    answer = _post(receiver.url(conn_id=conn_id, token=token), "msg_id=AB_1&status=DELIVRD")
    inbound = _post(
        receiver.url("inbound", conn_id=conn_id, token=token),
        "msg_id=IN_1&from=447700900555&to=447700900000&content=ACK",
    )
    assert (answer.status_code, inbound.status_code) == (status, status)
    assert TOKEN not in answer.text
    assert receiver.stored(RECEIPTS_ASSET_URI) == {}


BAD_BODIES = [
    ("msg_id=AB_1&status=LOST", "form", 400, "status 'LOST', not one of DELIVRD"),
    ("status=DELIVRD", "form", 400, "msg_id and status are required"),
    ("msg_id=AB_1&status=DELIVRD&err_code=x", "form", 400, "err_code 'x' is not a number"),
    ("", "form", 400, "The body is empty"),
    ("<Receipt><MessageID>AB_1", "xml", 400, "Not an XML delivery receipt"),
    ("<Other/>", "xml", 400, "root element <Other>"),
    ("<Receipts></Receipts>", "xml", 400, "holds 1 to 100 receipts, not 0"),
    ('<!DOCTYPE r [<!ENTITY a "b">]><Receipt/>', "xml", 400, "DTD or entity"),
    (
        format_xml_receipts(_receipt(f"AB_{n}") for n in range(100)).replace(
            b"</Receipts>",
            b"<Receipt><MessageID>AB_X</MessageID><Status>DELIVRD</Status></Receipt></Receipts>",
        ),
        "xml",
        400,
        "not 101",
    ),
    (b"msg_id=AB_1&status=DELIVRD&detail=\xff", "form", 400, "not UTF-8"),
    ("msg_id=" + "A" * 101 + "&status=DELIVRD", "form", 400, "is not a Clockwork message ID"),
    ("msg_id=AB_1&status=DELIVRD&detail=" + "x" * 300_000, "form", 413, "at most 262144"),
]


@pytest.mark.parametrize(("body", "kind", "status", "message"), BAD_BODIES)
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(body, kind, status, message, receiver):
    content_type = "text/xml" if kind == "xml" else "application/x-www-form-urlencoded"
    answer = _post(receiver.url(), body, content_type)

    assert answer.status_code == status
    assert message in answer.json()["detail"]
    assert receiver.stored(RECEIPTS_ASSET_URI) == {}


def test_the_token_is_in_no_log_line(receiver):
    _post(receiver.url(), "msg_id=AB_1&status=DELIVRD")
    _post(receiver.url(), "msg_id=AB_1&status=LOST")
    assert TOKEN not in receiver.wait_for_log("Clockwork receiver: 1 receipts for 'clockwork_default'")
