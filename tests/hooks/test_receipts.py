"""Asking Clockwork for delivery receipts through the hook: the emulator calls a local receiver back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_clockwork.exceptions import ClockworkInputError
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.protocol.delivery import DeliveryState, parse_form_receipt, parse_xml_receipts
from tests.conftest import TEST_KEY
from tests.emulator.receiver import Receiver, running_receiver

A, B = "447700900123", "447700900456"
WAIT_SECONDS = 10.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as started:
        yield started


@pytest.fixture
def hook(clockwork_connection) -> ClockworkHook:
    return ClockworkHook()


def test_each_number_gets_a_receipt_carrying_your_values(hook, clockwork_emulator, receiver) -> None:
    clockwork_emulator.set_delivery(B, "UNDELIV", err_code=1, detail="Phone switched off")

    result = hook.send_sms(
        [A, B],
        "Nightly load done",
        delivery_receipt={"url": f"{receiver.url}/dlr", "content": {"run_id": "manual__2026-11-25"}},
    )

    assert clockwork_emulator.wait_for_callbacks(WAIT_SECONDS)
    receipts = {r.to: r for r in (parse_form_receipt(got.form()) for got in receiver.received())}
    assert {number: r.message_id for number, r in receipts.items()} == result.message_ids
    assert (receipts[A].state, receipts[B].state) == (DeliveryState.DELIVERED, DeliveryState.UNDELIVERABLE)
    assert receipts[B].detail == "Phone switched off"
    assert all(r.extra == {"run_id": "manual__2026-11-25"} for r in receipts.values())
    assert {got.method for got in receiver.received()} == {"POST"}
    assert not any(TEST_KEY in got.raw() for got in receiver.received())


def test_gsm7_text_with_receipts_goes_through_the_xml_interface(hook, clockwork_emulator, receiver) -> None:
    hook.send_sms(A, "Plain GSM-7 text", delivery_receipt={"url": receiver.url, "type": "get"})

    [request] = clockwork_emulator.requests()
    assert request["path"] == "/xml/send.aspx"
    assert {"DlrType", "DlrUrl"} <= set(request["param_names"])
    [message] = clockwork_emulator.messages()
    assert (message["content"], message["msg_type"]) == ("Plain GSM-7 text", "TEXT")
    assert clockwork_emulator.wait_for_callbacks(WAIT_SECONDS)
    [got] = receiver.received()
    assert got.method == "GET"
    assert parse_form_receipt(got.form()).message_id == message["id"]


def test_xml_batch_receipts_cover_every_number_in_one_post(hook, clockwork_emulator, receiver) -> None:
    numbers = [f"4477009{index:05d}" for index in range(40)]

    result = hook.send_sms(
        numbers, "Зарплата пришла", delivery_receipt={"url": receiver.url, "type": "xml_batch"}
    )

    assert clockwork_emulator.wait_for_callbacks(WAIT_SECONDS)
    [got] = receiver.received()
    receipts = parse_xml_receipts(got.body)
    assert {r.to: r.message_id for r in receipts} == result.message_ids
    assert all(r.delivered for r in receipts)


def test_personalised_messages_each_choose_their_receipts(hook, clockwork_emulator, receiver) -> None:
    hook.send_messages(
        [
            {"to": A, "content": "Order 1", "client_id": "o1", "delivery_receipt": f"{receiver.url}/a"},
            {"to": B, "content": "Order 2", "client_id": "o2"},
        ]
    )

    assert clockwork_emulator.wait_for_callbacks(WAIT_SECONDS)
    [got] = receiver.received()
    assert got.path == "/a"
    assert parse_form_receipt(got.form()).to == A


@pytest.mark.parametrize(
    ("receipt", "named"),
    [
        pytest.param("hooks.example.com/dlr", "'hooks.example.com/dlr'", id="not-a-url"),
        pytest.param({"url": "http://127.0.0.1:1/dlr", "type": "fax"}, "'fax'", id="bad-type"),
    ],
)
def test_a_bad_receipt_request_fails_before_any_request(hook, clockwork_emulator, receipt, named) -> None:
    with pytest.raises(ClockworkInputError) as raised:
        hook.send_sms(A, "Hi", delivery_receipt=receipt)

    assert named in str(raised.value)
    assert clockwork_emulator.requests() == []
