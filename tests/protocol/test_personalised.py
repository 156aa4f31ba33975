"""Personalised sends: checking the messages (prepare_personalised) and naming their outcomes."""

from __future__ import annotations

import re
from collections import OrderedDict
from types import MappingProxyType

import pytest

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.message import prepare_message
from airflow_provider_clockwork.protocol.personalised import (
    MAX_MESSAGES_PER_XML_REQUEST,
    PersonalisedResult,
    PersonalisedSms,
    check_client_id,
    prepare_personalised,
)
from airflow_provider_clockwork.protocol.results import SmsError

A, B = "447700900123", "447700900456"


def test_the_batch_limit_is_500() -> None:
    assert MAX_MESSAGES_PER_XML_REQUEST == 500


@pytest.mark.parametrize(
    ("items", "default_sender", "expected"),
    [
        pytest.param(
            [{"to": A, "content": "Hi Ann"}],
            None,
            [(A, "Hi Ann", None, False, "0")],
            id="minimal-client-id-is-the-index",
        ),
        pytest.param(
            [{"to": "+44 7700 900-123", "content": "a"}, {"to": 447700900456, "content": "b"}],
            None,
            [(A, "a", None, False, "0"), (B, "b", None, False, "1")],
            id="numbers-normalised",
        ),
        pytest.param(
            [{"to": A, "content": "one"}, {"to": A, "content": "two"}],
            None,
            [(A, "one", None, False, "0"), (A, "two", None, False, "1")],
            id="same-number-twice",
        ),
        pytest.param(
            [{"to": A, "content": "x", "client_id": "order-17"}, {"to": B, "content": "y", "client_id": 18}],
            None,
            [(A, "x", None, False, "order-17"), (B, "y", None, False, "18")],
            id="client-ids-given",
        ),
        pytest.param(
            [{"to": A, "content": "x"}, {"to": B, "content": "y", "sender": "Shop"}],
            "Ops",
            [(A, "x", "Ops", False, "0"), (B, "y", "Shop", False, "1")],
            id="default-sender-unless-given",
        ),
        pytest.param(
            [{"to": A, "content": "x", "sender": None}],
            "Ops",
            [(A, "x", "Ops", False, "0")],
            id="sender-none-means-default",
        ),
        pytest.param(
            [{"to": A, "content": "x" * 300, "long": True}, {"to": B, "content": "y", "long": None}],
            None,
            [(A, "x" * 300, None, True, "0"), (B, "y", None, False, "1")],
            id="long",
        ),
        pytest.param(
            ({"to": A, "content": c} for c in ("g1", "g2")),
            None,
            [(A, "g1", None, False, "0"), (A, "g2", None, False, "1")],
            id="a-generator",
        ),
        pytest.param(
            (MappingProxyType({"to": A, "content": "ro"}), OrderedDict(to=B, content="od")),
            None,
            [(A, "ro", None, False, "0"), (B, "od", None, False, "1")],
            id="any-mapping-in-a-tuple",
        ),
    ],
)
def test_prepare_personalised_good(items, default_sender, expected) -> None:
    prepared = prepare_personalised(items, default_sender)

    assert [
        (sms.to, sms.message.content, sms.message.sender, sms.message.long, sms.client_id) for sms in prepared
    ] == expected


def test_each_message_keeps_its_own_encoding() -> None:
    prepared = prepare_personalised([{"to": A, "content": "Hello"}, {"to": B, "content": "Zoë ✓"}])

    assert [sms.message.needs_unicode for sms in prepared] == [False, True]


@pytest.mark.parametrize(
    ("items", "fragments"),
    [
        pytest.param("447700900123", ["must be a list of mappings", "str"], id="a-string"),
        pytest.param({"to": A, "content": "x"}, ["must be a list of mappings", "dict"], id="one-mapping"),
        pytest.param(42, ["must be a list of mappings", "int"], id="not-iterable"),
        pytest.param([], ["No messages"], id="empty-list"),
        pytest.param(
            [{"to": A, "content": "x"}, "447700900456"],
            ["messages[1] '447700900456'", "is a str", "mapping"],
            id="item-not-a-mapping",
        ),
        pytest.param(
            [{"to": A, "content": "x"}, ["447700900456", "hi"]],
            ["messages[1]", "is a list"],
            id="item-a-list",
        ),
        pytest.param(
            [{"to": A, "content": "x", "contnet": "typo"}],
            ["messages[0]", "unknown key(s) 'contnet'", "to, content, sender, long, client_id"],
            id="unknown-key",
        ),
        pytest.param([{"to": A}], ["messages[0]", "has no 'content'"], id="missing-content"),
        pytest.param([{"content": "x"}], ["messages[0]", "has no 'to'"], id="missing-to"),
        pytest.param([{}], ["messages[0]", "has no 'to' and no 'content'"], id="missing-both"),
        pytest.param(
            [{"to": A, "content": "ok"}, {"to": "07700 900456", "content": "x"}],
            ["messages[1]", "'07700 900456'", "not a valid international number"],
            id="local-number",
        ),
        pytest.param(
            [{"to": f"{A}, {B}", "content": "x"}],
            ["messages[0]", "holds several numbers", "exactly one number"],
            id="two-numbers-in-a-string",
        ),
        pytest.param(
            [{"to": [A, B], "content": "x"}],
            ["messages[0]", "'to' is a list", "exactly one number"],
            id="list-of-numbers",
        ),
        pytest.param([{"to": None, "content": "x"}], ["messages[0]", "NoneType"], id="to-none"),
        pytest.param([{"to": A, "content": ""}], ["messages[0]", "empty"], id="empty-content"),
        pytest.param([{"to": A, "content": None}], ["messages[0]", "Content is None"], id="content-none"),
        pytest.param(
            [{"to": A, "content": "None"}], ["messages[0]", "missing value"], id="content-rendered-from-none"
        ),
        pytest.param(
            [{"to": A, "content": "x" * 161}], ["messages[0]", "161 GSM-7", "long=True"], id="too-long"
        ),
        pytest.param(
            [{"to": A, "content": "ж" * 71}],
            ["messages[0]", "71 Unicode", "long=True"],
            id="too-long-unicode",
        ),
        pytest.param(
            [{"to": A, "content": "x", "sender": "FarTooLongSender"}],
            ["messages[0]", "'FarTooLongSender'", "at most 11"],
            id="sender-too-long",
        ),
        pytest.param(
            [{"to": A, "content": "x", "long": "yes"}],
            ["messages[0]", "'long' 'yes'", "True or False"],
            id="long-str",
        ),
        pytest.param(
            [{"to": A, "content": "x", "long": 1}],
            ["messages[0]", "'long' 1", "True or False"],
            id="long-int",
        ),
        pytest.param(
            [{"to": A, "content": "a", "client_id": "c1"}, {"to": B, "content": "b", "client_id": "c1"}],
            ["messages[1]", "client_id 'c1' is already used by messages[0]", "unique"],
            id="duplicate-client-id",
        ),
        pytest.param(
            # The second item's default ID is its index, "1": taken by the first item.
            [{"to": A, "content": "x", "client_id": "1"}, {"to": B, "content": "y"}],
            ["messages[1]", "client_id '1' is already used by messages[0]"],
            id="default-id-clashes-with-a-given-id",
        ),
        pytest.param(
            [{"to": A, "content": "a", "client_id": 7}, {"to": B, "content": "b", "client_id": "7"}],
            ["messages[1]", "client_id '7' is already used by messages[0]"],
            id="duplicate-client-id-int-and-str",
        ),
        pytest.param(
            [{"to": A, "content": "x", "client_id": ""}],
            ["messages[0]", "client_id '' is empty"],
            id="id-empty",
        ),
        pytest.param(
            [{"to": A, "content": "x", "client_id": " c1"}],
            ["messages[0]", "spaces around it"],
            id="id-padded",
        ),
        pytest.param(
            [{"to": A, "content": "x", "client_id": "c\n1"}],
            ["messages[0]", "holds the character"],
            id="id-newline",
        ),
        pytest.param(
            [{"to": A, "content": "x", "client_id": True}], ["messages[0]", "is a bool"], id="id-bool"
        ),
        pytest.param(
            [{"to": A, "content": "x", "client_id": 1.5}], ["messages[0]", "is a float"], id="id-float"
        ),
        pytest.param(
            [{"to": A, "content": "ok"}, {"to": A, "content": "Page 1\fPage 2"}],
            ["messages[1]", "'\\x0c'", "XML interface"],
            id="form-feed-gsm7-text-still-goes-by-xml",
        ),
        pytest.param(
            [{"to": A, "content": "x", "delivery_receipt": "ftp://example.com/dlr"}],
            ["messages[0]", "'ftp://example.com/dlr'"],
            id="bad-receipt-url",
        ),
    ],
)
def test_prepare_personalised_bad(items, fragments) -> None:
    with pytest.raises(InvalidInputError) as raised:
        prepare_personalised(items)

    for fragment in fragments:
        assert fragment in str(raised.value)


def test_a_long_item_is_quoted_short() -> None:
    with pytest.raises(InvalidInputError) as raised:
        prepare_personalised([{"to": "not a number", "content": "x" * 150}])

    assert len(str(raised.value)) < 400
    assert "…" in str(raised.value)


def test_checked_messages_pass_through_and_get_the_default_sender() -> None:
    first = PersonalisedSms(A, prepare_message("a"), "c1")
    second = PersonalisedSms(B, prepare_message("b", sender="Shop"), "c2")

    prepared = prepare_personalised([first, second], default_sender="Ops")

    assert [sms.message.sender for sms in prepared] == ["Ops", "Shop"]
    assert prepare_personalised([first]) == [first]
    with pytest.raises(InvalidInputError, match="already used"):
        prepare_personalised([first, first])


@pytest.mark.parametrize(
    ("to", "message", "client_id", "named"),
    [
        pytest.param(
            "+447700900123", prepare_message("a"), "c", "to '+447700900123'", id="number-not-normalised"
        ),
        pytest.param(f"{A},{B}", prepare_message("a"), "c", f"to '{A},{B}'", id="two-numbers"),
        pytest.param(A, "a", "c", "message 'a' is not a checked Message", id="message-not-checked"),
        pytest.param(A, prepare_message("a"), "", "client_id '' is empty", id="empty-client-id"),
    ],
)
def test_personalised_sms_is_checked(to, message, client_id, named) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(named)):
        PersonalisedSms(to, message, client_id)


@pytest.mark.parametrize(
    ("value", "expected"), [("a", "a"), (0, "0"), ("Ключ-1", "Ключ-1"), (12345, "12345")]
)
def test_client_id_forms(value, expected) -> None:
    assert check_client_id(value) == expected


def test_result_names_messages_by_client_id_and_number() -> None:
    result = PersonalisedResult(numbers={"c1": A, "c2": A})
    result.message_ids["c1"] = "AB_1"
    result.errors["c2"] = SmsError(10, "Invalid 'To' Parameter")
    other = PersonalisedResult(message_ids={"c3": "AB_3"}, numbers={"c3": B})

    result.update(other)

    assert result.label("c2") == f"c2 ({A})"
    assert result.label("unknown") == "unknown"
    assert result.describe_errors() == f"c2 ({A}): Error 10: Invalid 'To' Parameter"
    assert result.answered() == {"c1", "c2", "c3"}
    assert result.numbers == {"c1": A, "c2": A, "c3": B}
    assert result.noun == "message"
    assert PersonalisedSms(A, prepare_message("a"), "c1").label == f"c1 ({A})"
