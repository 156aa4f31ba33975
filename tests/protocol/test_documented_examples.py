"""Clockwork's documented requests and replies, byte for byte (``tests/fixtures/clockwork``).

Each example is held to three readers of the protocol: the parser the hook reads replies
with, the formatters the hook and the emulator write with, and the emulator answering the
documented request over HTTP. An example is Clockwork's, not ours, so none of them can
agree with a mistake of the others.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.message import prepare_message
from airflow_provider_clockwork.protocol.results import SendResult, SmsError

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "clockwork"
DOCUMENTED_KEY = "KEY"
DOCUMENTED_ID = "AB_12345"
WRONG_KEY_TEXT = "Invalid Username Or Password"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
TIMEOUT = 5.0


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def encoded_pairs(query: bytes | str) -> list[tuple[str, str]]:
    """Name (any case: Clockwork's names are case-insensitive) and value exactly as encoded."""
    text = query.decode("ascii") if isinstance(query, bytes) else query
    return [(name.lower(), value) for name, value in (pair.split("=", 1) for pair in text.split("&"))]


@pytest.fixture
def emulator():
    with ClockworkEmulator(keys=(DOCUMENTED_KEY,), credit=1234, price_per_credit="0.01") as emulator:
        yield emulator


def test_the_hook_posts_the_documented_hello_world_request() -> None:
    body = http_api.send_body(DOCUMENTED_KEY, ["441234567890"], prepare_message("Hello World"))

    assert encoded_pairs(body) == encoded_pairs(example("http-send-hello-world.request"))


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        pytest.param(
            "http-send-hello-world.reply",
            SendResult(message_ids={"441234567890": DOCUMENTED_ID}),
            id="hello-world",
        ),
        pytest.param(
            "http-send-invalid-number.reply",
            SendResult(
                message_ids={"441234567890": DOCUMENTED_ID},
                errors={"zzz": SmsError(10, "Invalid 'To' Parameter")},
            ),
            id="invalid-number",
        ),
        pytest.param(
            "http-send-wrong-key.reply", SmsError(2, "Invalid Username Or Password"), id="wrong-key"
        ),
    ],
)
def test_the_parser_reads_each_documented_send_reply(name: str, parsed: SendResult | SmsError) -> None:
    assert http_api.parse_send_reply(example(name).decode("utf-8")) == parsed


def test_the_formatter_writes_each_documented_send_reply() -> None:
    ok = [("441234567890", DOCUMENTED_ID)]
    refused = [*ok, ("zzz", SmsError(10, "Invalid 'To' Parameter"))]
    wrong_key = SmsError(2, WRONG_KEY_TEXT)

    assert http_api.format_send_reply(ok).encode() == example("http-send-hello-world.reply")
    assert http_api.format_send_reply(refused).encode() == example("http-send-invalid-number.reply")
    assert http_api.format_request_error(wrong_key).encode() == example("http-send-wrong-key.reply")


@pytest.mark.parametrize("name", ["http-send-hello-world", "http-send-invalid-number"])
def test_the_emulator_answers_each_documented_request_as_documented(emulator, name: str) -> None:
    query = example(f"{name}.request").decode("ascii")

    reply = requests.get(f"{emulator.url}{http_api.SEND_PATH}?{query}", timeout=TIMEOUT)

    (message,) = emulator.messages()
    assert (message["to"], message["content"]) == ("441234567890", "Hello World")
    # The ID is the one thing that differs: each message gets its own.
    assert reply.content.replace(message["id"].encode(), DOCUMENTED_ID.encode()) == example(f"{name}.reply")


def test_the_emulator_answers_a_wrong_key_as_documented(emulator) -> None:
    query = example("http-send-hello-world.request").decode("ascii").replace("key=KEY", "key=WRONG")

    reply = requests.get(f"{emulator.url}{http_api.SEND_PATH}?{query}", timeout=TIMEOUT)

    assert reply.content == example("http-send-wrong-key.reply")
    assert emulator.messages() == []


def test_the_documented_xml_credit_and_balance_replies_are_read_and_written_alike() -> None:
    balance = xml_api.Balance(Decimal("12.34"), "GBP", "£")

    assert xml_api.parse_credit_reply(example("xml-credit.reply")) == 1234
    assert xml_api.parse_balance_reply(example("xml-balance.reply")) == balance
    assert xml_api.format_credit_reply(1234) == XML_DECLARATION + example("xml-credit.reply")
    assert xml_api.format_balance_reply(balance) == XML_DECLARATION + example("xml-balance.reply")


@pytest.mark.parametrize(
    ("path", "root", "name"),
    [
        pytest.param(xml_api.CREDIT_PATH, "Credit", "xml-credit.reply", id="credit"),
        pytest.param(xml_api.BALANCE_PATH, "Balance", "xml-balance.reply", id="balance"),
    ],
)
def test_the_emulator_answers_the_xml_account_calls_as_documented(emulator, path, root, name) -> None:
    reply = requests.post(
        emulator.url + path,
        data=xml_api.key_document(root, DOCUMENTED_KEY),
        headers={"Content-Type": xml_api.CONTENT_TYPE},
        timeout=TIMEOUT,
    )

    assert reply.content == XML_DECLARATION + example(name)
