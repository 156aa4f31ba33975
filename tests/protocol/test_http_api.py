"""The plain-text HTTP interface: the form we post and how Clockwork's replies are read."""

from __future__ import annotations

import re

import pytest
import requests

from airflow_provider_clockwork.protocol.errors import UnreadableReplyError
from airflow_provider_clockwork.protocol.http_api import (
    format_credit_reply,
    format_request_error,
    format_send_reply,
    lower_keys,
    parse_credit_reply,
    parse_send_reply,
    send_body,
    send_form,
)
from airflow_provider_clockwork.protocol.message import prepare_message
from airflow_provider_clockwork.protocol.results import SendResult, SmsError

KEY = "k3y-SECRET-9f2a"
A, B, C = "447700900123", "447700900124", "447700900125"


@pytest.mark.parametrize(
    ("numbers", "content", "sender", "long", "expected"),
    [
        pytest.param([A], "Hello", None, False, {"Key": KEY, "To": A, "Content": "Hello"}, id="minimal"),
        pytest.param(
            [A, B, C],
            "Hello",
            None,
            False,
            {"Key": KEY, "To": f"{A},{B},{C}", "Content": "Hello"},
            id="to-joined-by-commas-in-order",
        ),
        pytest.param(
            [A],
            "Hello",
            "Acme",
            False,
            {"Key": KEY, "To": A, "Content": "Hello", "From": "Acme"},
            id="from-when-sender-set",
        ),
        pytest.param(
            [A],
            "a" * 200,
            None,
            True,
            {"Key": KEY, "To": A, "Content": "a" * 200, "Long": "1"},
            id="long-1-when-long",
        ),
        pytest.param(
            [A, B],
            "line1\r\nline2 & €",
            447700900999,
            True,
            {
                "Key": KEY,
                "To": f"{A},{B}",
                "Content": "line1\r\nline2 & €",
                "From": "447700900999",
                "Long": "1",
            },
            id="everything",
        ),
    ],
)
def test_send_form(
    numbers: list[str], content: str, sender: object, long: bool, expected: dict[str, str]
) -> None:
    message = prepare_message(content, sender=sender, long=long)
    assert send_form(KEY, numbers, message) == expected


@pytest.mark.parametrize("content", ["Hello", "line1\r\nline2 & € = 100% + ü?#/"])
def test_send_body_is_the_form_as_requests_would_encode_it(content: str) -> None:
    message = prepare_message(content, sender="Ops Team", long=True)
    by_requests = requests.Request("POST", "http://clockwork.invalid/", data=send_form(KEY, [A, B], message))

    assert send_body(KEY, [A, B], message) == by_requests.prepare().body.encode("ascii")


def test_parameter_names_are_case_insensitive() -> None:
    assert lower_keys({"KEY": KEY, "to": A, "Content": "x"}) == {"key": KEY, "to": A, "content": "x"}


@pytest.mark.parametrize(
    ("body", "ids", "errors"),
    [
        pytest.param("To: 441234567890 ID: AB_12345", {"441234567890": "AB_12345"}, {}, id="seed-single-id"),
        pytest.param(
            "To: 441234567890 ID: AB_12345 To: zzz Error 10: Invalid 'To' Parameter",
            {"441234567890": "AB_12345"},
            {"zzz": SmsError(10, "Invalid 'To' Parameter")},
            id="seed-id-and-error",
        ),
        pytest.param(
            f"To: {A} ID: AB_1 To: {B} ID: AB_2 To: {C} ID: AB_3",
            {A: "AB_1", B: "AB_2", C: "AB_3"},
            {},
            id="several-ids-one-line",
        ),
        pytest.param(
            f"To: {A} Error 10: Invalid 'To' Parameter To: {B} ID: AB_2",
            {B: "AB_2"},
            {A: SmsError(10, "Invalid 'To' Parameter")},
            id="error-first-then-id",
        ),
        pytest.param(
            f"To: {A} Error 33: Message \"too\" long, isn't it To: {B} Error 10: Invalid 'To' Parameter",
            {},
            {
                A: SmsError(33, 'Message "too" long, isn\'t it'),
                B: SmsError(10, "Invalid 'To' Parameter"),
            },
            id="only-errors-with-quotes-and-spaces",
        ),
        pytest.param(
            f"To: {A} ID: AB_1\nTo: {B} Error 10: Invalid 'To' Parameter\r\nTo: {C} ID: AB_3\n",
            {A: "AB_1", C: "AB_3"},
            {B: SmsError(10, "Invalid 'To' Parameter")},
            id="newline-separated-segments",
        ),
        pytest.param(
            f"  \r\n To: {A} ID: AB_1   \r\n",
            {A: "AB_1"},
            {},
            id="leading-trailing-whitespace",
        ),
        pytest.param(
            f"To: {A} Error 10: Invalid 'To' Parameter   ",
            {},
            {A: SmsError(10, "Invalid 'To' Parameter")},
            id="error-text-trailing-spaces-trimmed",
        ),
    ],
)
def test_parse_send_reply_per_number(body: str, ids: dict[str, str], errors: dict[str, SmsError]) -> None:
    result = parse_send_reply(body)
    assert isinstance(result, SendResult)
    assert result.message_ids == ids
    assert result.errors == errors


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            "Error 2: Invalid Username Or Password",
            SmsError(2, "Invalid Username Or Password"),
            id="wrong-key",
        ),
        pytest.param(
            "Error 2: Invalid Username Or Password\r\n",
            SmsError(2, "Invalid Username Or Password"),
            id="wrong-key-trailing-crlf",
        ),
        pytest.param("  Error 25: Not enough credit ", SmsError(25, "Not enough credit"), id="padded"),
        pytest.param(
            "Error 7: Missing 'Content' parameter",
            SmsError(7, "Missing 'Content' parameter"),
            id="quotes-in-text",
        ),
    ],
)
def test_parse_send_reply_whole_request_error(body: str, error: SmsError) -> None:
    assert parse_send_reply(body) == error


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param("   \r\n", id="whitespace"),
        pytest.param("<html><body><h1>502 Bad Gateway</h1></body></html>", id="html-page"),
        pytest.param("OK", id="ok"),
        pytest.param("To: 4412", id="to-without-outcome"),
        pytest.param(f"To: {A}", id="to-number-only"),
        pytest.param(f"To: {A} ID:", id="id-label-without-id"),
        pytest.param(f"To: {A} ID: AB_1 garbage", id="garbage-after-id"),
        pytest.param(f"To: {A} ID: AB_1 To: {B}", id="second-segment-cut-off"),
        pytest.param(f"Welcome! To: {A} ID: AB_1", id="garbage-before-segment"),
        pytest.param('{"to": "447700900123", "id": "AB_1"}', id="json"),
        pytest.param("Error: something went wrong", id="error-without-code"),
        pytest.param("Error 2:", id="error-without-text"),
        pytest.param("ID: AB_1", id="id-without-to"),
    ],
)
def test_parse_send_reply_unreadable(body: str) -> None:
    with pytest.raises(UnreadableReplyError) as caught:
        parse_send_reply(body)
    assert "'" in str(caught.value)  # a quoted excerpt of what came back


def test_unreadable_reply_quotes_an_excerpt() -> None:
    with pytest.raises(UnreadableReplyError) as caught:
        parse_send_reply("<html><title>Service Unavailable</title></html>")
    assert "Service Unavailable" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"<html>bad key {KEY}</html>", id="key-in-html"),
        pytest.param(f"Hello {KEY}\n{KEY}", id="key-twice-across-lines"),
        pytest.param(f"To: {A} ID: AB_1 key={KEY}", id="key-after-valid-segment"),
    ],
)
def test_secret_is_blanked_from_excerpt(body: str) -> None:
    with pytest.raises(UnreadableReplyError) as caught:
        parse_send_reply(body, secrets=(KEY,))
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("x" * 10_000, id="one-long-word"),
        pytest.param("<p>filler</p>\n" * 2_000, id="long-html"),
        pytest.param("ʬ" * 5_000, id="long-non-ascii"),
    ],
)
def test_excerpt_length_is_bounded(body: str) -> None:
    with pytest.raises(UnreadableReplyError) as caught:
        parse_send_reply(body)
    assert len(str(caught.value)) < 200
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("Credit: 1234", 1234, id="credit"),
        pytest.param("Credit: 0\r\n", 0, id="zero-trailing-crlf"),
        pytest.param("  Credit:42  ", 42, id="padded-no-space"),
        pytest.param(
            "Error 2: Invalid Username Or Password",
            SmsError(2, "Invalid Username Or Password"),
            id="wrong-key",
        ),
    ],
)
def test_parse_credit_reply(body: str, expected: int | SmsError) -> None:
    assert parse_credit_reply(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param("Credit:", id="no-number"),
        pytest.param("Credit: lots", id="not-a-number"),
        pytest.param("Credit: 12.5", id="fraction"),
        pytest.param("1234", id="bare-number"),
        pytest.param("Balance: 12.34 GBP", id="balance"),
        pytest.param("<html>500</html>", id="html"),
    ],
)
def test_parse_credit_reply_unreadable(body: str) -> None:
    with pytest.raises(UnreadableReplyError, match=re.escape(f"not a Clockwork credit reply: {body!r}")):
        parse_credit_reply(body)


def test_credit_excerpt_blanks_secret() -> None:
    with pytest.raises(UnreadableReplyError) as caught:
        parse_credit_reply(f"unexpected {KEY}", secrets=(KEY,))
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "outcomes",
    [
        pytest.param([(A, "AB_1")], id="one-id"),
        pytest.param([(A, "AB_1"), (B, "AB_2"), (C, "AB_3")], id="three-ids"),
        pytest.param([("zzz", SmsError(10, "Invalid 'To' Parameter"))], id="one-error"),
        pytest.param(
            [(A, "AB_1"), ("zzz", SmsError(10, "Invalid 'To' Parameter")), (B, "XY-99.z")],
            id="mixed",
        ),
        pytest.param([(A, SmsError(33, 'He said "no", twice'))], id="error-with-double-quotes"),
        pytest.param([(f"4477009{n:05d}", f"ID_{n}") for n in range(50)], id="full-batch"),
    ],
)
def test_format_and_parse_send_reply_round_trip(outcomes: list[tuple[str, str | SmsError]]) -> None:
    result = parse_send_reply(format_send_reply(outcomes))
    assert isinstance(result, SendResult)
    assert result.message_ids == {n: o for n, o in outcomes if isinstance(o, str)}
    assert result.errors == {n: o for n, o in outcomes if isinstance(o, SmsError)}


def test_request_error_round_trip() -> None:
    error = SmsError(2, "Invalid Username Or Password")
    assert format_request_error(error) == "Error 2: Invalid Username Or Password"
    assert parse_send_reply(format_request_error(error)) == error
    assert parse_credit_reply(format_request_error(error)) == error


@pytest.mark.parametrize("credit", [0, 1, 1234, 10**9])
def test_credit_round_trip(credit: int) -> None:
    assert parse_credit_reply(format_credit_reply(credit)) == credit
