"""XML credit and balance: the request documents and both sides of the replies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from airflow_provider_clockwork.protocol import xml_api
from airflow_provider_clockwork.protocol.errors import UnreadableReplyError
from airflow_provider_clockwork.protocol.results import SmsError


@pytest.mark.parametrize("root_tag", ["Credit", "Balance", "Authenticate"])
def test_key_documents_round_trip(root_tag) -> None:
    document = xml_api.key_document(root_tag, "k&<ey>")

    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert xml_api.read_key_document(document, root_tag) == "k&<ey>"


def test_key_document_with_the_wrong_root_is_refused() -> None:
    with pytest.raises(UnreadableReplyError, match="<Credit>"):
        xml_api.read_key_document(xml_api.key_document("Balance", "k"), "Credit")


@pytest.mark.parametrize("credit", [0, 1, 1234, 10_000])
def test_credit_reply_round_trip(credit) -> None:
    assert xml_api.parse_credit_reply(xml_api.format_credit_reply(credit)) == credit


def test_balance_reply_round_trip() -> None:
    balance = xml_api.Balance(Decimal("12.34"), "GBP", "£")

    parsed = xml_api.parse_balance_reply(xml_api.format_balance_reply(balance))

    assert parsed == balance
    assert str(parsed) == "£12.34 (GBP)"


@pytest.mark.parametrize("root", ["Credit_Resp", "Balance_Resp"])
def test_account_replies_carry_whole_request_errors(root) -> None:
    reply = xml_api.format_request_error(SmsError(2, "Invalid Username Or Password"), root)

    parse = xml_api.parse_credit_reply if root == "Credit_Resp" else xml_api.parse_balance_reply
    assert parse(reply) == SmsError(2, "Invalid Username Or Password")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<html>oops</html>", id="html"),
        pytest.param(b"<Credit_Resp><Credit>lots</Credit></Credit_Resp>", id="credit-not-a-number"),
        pytest.param(b"<Other><Credit>5</Credit></Other>", id="wrong-root"),
    ],
)
def test_unreadable_credit_replies(body) -> None:
    with pytest.raises(UnreadableReplyError, match="not a Clockwork XML credit reply"):
        xml_api.parse_credit_reply(body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<Balance_Resp><Balance>NaN</Balance></Balance_Resp>", id="nan"),
        pytest.param(b"<Balance_Resp><Balance>12,34</Balance></Balance_Resp>", id="comma"),
        pytest.param(b"<Balance_Resp></Balance_Resp>", id="missing"),
    ],
)
def test_unreadable_balance_replies(body) -> None:
    with pytest.raises(UnreadableReplyError, match="not a Clockwork XML balance reply"):
        xml_api.parse_balance_reply(body)
