"""The emulator's XML credit and balance endpoints, and personalised XML sends, over raw HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.emulator.__main__ import _configured_emulator, build_parser
from airflow_provider_clockwork.protocol import xml_api
from airflow_provider_clockwork.protocol.personalised import prepare_personalised
from airflow_provider_clockwork.protocol.results import SmsError

from .helpers import KEY, TIMEOUT, send_xml, xml_document

INVALID_KEY = SmsError(2, "Invalid Username Or Password")
INVALID_XML = SmsError(99, "Invalid XML Document")


def post_xml(emulator: ClockworkEmulator, path: str, body: bytes) -> requests.Response:
    return requests.post(
        emulator.url + path, data=body, headers={"Content-Type": xml_api.CONTENT_TYPE}, timeout=TIMEOUT
    )


def credit(emulator: ClockworkEmulator, key: str = KEY) -> int | SmsError:
    reply = post_xml(emulator, xml_api.CREDIT_PATH, xml_api.key_document("Credit", key))
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == xml_api.CONTENT_TYPE
    return xml_api.parse_credit_reply(reply.content)


def balance(emulator: ClockworkEmulator, key: str = KEY) -> xml_api.Balance | SmsError:
    reply = post_xml(emulator, xml_api.BALANCE_PATH, xml_api.key_document("Balance", key))
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == xml_api.CONTENT_TYPE
    return xml_api.parse_balance_reply(reply.content)


def test_xml_credit_reports_the_credit(clockwork_emulator) -> None:
    clockwork_emulator.credit = 1234

    assert credit(clockwork_emulator) == 1234
    (request,) = clockwork_emulator.requests()
    assert (request["method"], request["path"], request["param_names"]) == (
        "POST",
        "/xml/credit.aspx",
        ["Credit", "Key"],
    )


def test_xml_balance_is_the_credit_at_the_price_per_credit(clockwork_emulator) -> None:
    assert balance(clockwork_emulator) == xml_api.Balance(Decimal("500.00"), "GBP", "£")  # 10000 × £0.05

    clockwork_emulator.credit = 333
    clockwork_emulator.price_per_credit = Decimal("0.045")

    assert balance(clockwork_emulator) == xml_api.Balance(
        Decimal("14.98"), "GBP", "£"
    )  # 14.985, rounded down
    assert clockwork_emulator.balance == xml_api.Balance(Decimal("14.98"), "GBP", "£")


def test_sends_lower_the_balance(clockwork_emulator) -> None:
    send_xml(clockwork_emulator, xml_document("<To>447700900123</To><Content>hi</Content>"))

    assert credit(clockwork_emulator) == 9999
    assert balance(clockwork_emulator) == xml_api.Balance(Decimal("499.95"), "GBP", "£")


@pytest.mark.parametrize("path", [xml_api.CREDIT_PATH, xml_api.BALANCE_PATH, "/XML/Balance.aspx"])
def test_wrong_key_is_error_2(clockwork_emulator, path) -> None:
    root = "Credit" if "credit" in path.lower() else "Balance"

    reply = post_xml(clockwork_emulator, path, xml_api.key_document(root, "wrong"))

    parse = xml_api.parse_credit_reply if root == "Credit" else xml_api.parse_balance_reply
    assert parse(reply.content) == INVALID_KEY
    assert f"<{root}_Resp>" in reply.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param(xml_api.CREDIT_PATH, b"Key=test-key", id="credit-form-body"),
        pytest.param(xml_api.BALANCE_PATH, b"<Balance><Key>test-key</Key>", id="balance-cut-off"),
        pytest.param(xml_api.BALANCE_PATH, xml_api.key_document("Credit", KEY), id="balance-wrong-root"),
    ],
)
def test_unreadable_documents_are_error_99(clockwork_emulator, path, body) -> None:
    reply = post_xml(clockwork_emulator, path, body)

    parse = xml_api.parse_credit_reply if path == xml_api.CREDIT_PATH else xml_api.parse_balance_reply
    assert parse(reply.content) == INVALID_XML


@pytest.mark.parametrize("path", [xml_api.CREDIT_PATH, xml_api.BALANCE_PATH])
def test_only_post_is_allowed(clockwork_emulator, path) -> None:
    reply = requests.get(clockwork_emulator.url + path, params={"Key": KEY}, timeout=TIMEOUT)

    assert reply.status_code == 405
    assert reply.headers["Allow"] == "POST"


def test_account_checks_take_no_send_faults(clockwork_emulator) -> None:
    clockwork_emulator.inject({"kind": "status", "status": 503})

    assert credit(clockwork_emulator) == 10_000
    assert clockwork_emulator.pending_faults() != []


@pytest.mark.parametrize("price", ["-1", "abc", 0.05, "NaN"])
def test_bad_prices_are_refused(clockwork_emulator, price) -> None:
    with pytest.raises(ValueError, match="price per credit"):
        clockwork_emulator.price_per_credit = price


def test_price_per_credit_from_the_command_line() -> None:
    emulator = _configured_emulator(build_parser().parse_args(["--port", "0", "--price-per-credit", "0.10"]))

    assert emulator.price_per_credit == Decimal("0.10")
    assert _configured_emulator(build_parser().parse_args([])).price_per_credit == Decimal("0.05")


def test_500_personalised_messages_in_one_request_are_recorded_with_their_client_ids(
    clockwork_emulator,
) -> None:
    messages = prepare_personalised(
        {
            "to": "447700900123",
            "content": f"Text number {n} ✓" if n % 2 else f"Text number {n}",
            "client_id": f"c{n}",
        }
        for n in range(500)
    )

    reply = send_xml(clockwork_emulator, xml_api.personalised_document(KEY, messages))

    result = xml_api.parse_personalised_reply(reply.content, messages)
    records = clockwork_emulator.messages()
    assert [r["client_id"] for r in records] == [f"c{n}" for n in range(500)]
    assert [r["content"] for r in records] == [sms.message.content for sms in messages]
    assert [r["msg_type"] for r in records[:2]] == ["TEXT", "UCS2"]
    assert {r["request"] for r in records} == {0}
    assert result.message_ids == {r["client_id"]: r["id"] for r in records}


def test_501_messages_in_one_request_are_refused_whole(clockwork_emulator) -> None:
    messages = prepare_personalised({"to": "447700900123", "content": f"{n}"} for n in range(501))

    reply = send_xml(clockwork_emulator, xml_api.personalised_document(KEY, messages))

    assert xml_api.parse_personalised_reply(reply.content, messages) == SmsError(10, "Invalid 'To' Parameter")
    assert clockwork_emulator.messages() == []


def test_messages_without_client_id_are_recorded_with_none(clockwork_emulator) -> None:
    send_xml(
        clockwork_emulator,
        xml_document("<To>447700900123</To><Content>Привет</Content><MsgType>UCS2</MsgType>"),
    )

    (record,) = clockwork_emulator.messages()
    assert record["client_id"] is None
