"""ClockworkHook.send_messages and get_balance against the emulator over real HTTP."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from airflow_provider_clockwork.exceptions import (
    ClockworkInputError,
    ClockworkRequestError,
    ClockworkTransportError,
)
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.protocol.personalised import PersonalisedResult
from airflow_provider_clockwork.protocol.results import SmsError
from airflow_provider_clockwork.protocol.xml_api import Balance
from tests.conftest import TEST_KEY

A, B, C = "447700900123", "447700900456", "447700900789"
INVALID_TO = SmsError(10, "Invalid 'To' Parameter")


def customers(count: int) -> list[dict[str, str]]:
    """``count`` messages, each with its own text, to a few numbers (so numbers repeat)."""
    return [
        {"to": f"4477009{index % 7:05d}", "content": f"Order {index} is on its way", "client_id": f"o{index}"}
        for index in range(count)
    ]


def use_connection(monkeypatch: pytest.MonkeyPatch, emulator, **fields: object) -> None:
    connection = {"conn_type": "clockwork", "password": TEST_KEY, "host": emulator.url, **fields}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))


@pytest.fixture
def hook(clockwork_connection) -> ClockworkHook:
    """One request at a time, so faults hit the batches in order (concurrency has its own tests below)."""
    return ClockworkHook(max_concurrent_requests=1)


def sent_by_client_id(emulator) -> dict[str, dict]:
    return {message["client_id"]: message for message in emulator.messages()}


def xml_sends(emulator) -> list[dict]:
    return [r for r in emulator.requests() if r["path"] == "/xml/send.aspx"]


def test_one_message_takes_one_xml_request_with_the_key_in_the_body(hook, clockwork_emulator) -> None:
    result = hook.send_messages([{"to": "+44 7700 900123", "content": "Hi Ann"}])

    (record,) = clockwork_emulator.messages()
    assert isinstance(result, PersonalisedResult)
    assert result.message_ids == {"0": record["id"]}
    assert result.numbers == {"0": A}
    assert result.errors == {}
    assert (record["to"], record["content"], record["client_id"], record["interface"]) == (
        A,
        "Hi Ann",
        "0",
        "xml",
    )
    (request,) = clockwork_emulator.requests()
    assert (request["method"], request["path"], request["query"]) == ("POST", "/xml/send.aspx", "")
    assert request["content_type"].startswith("text/xml")
    assert {"Key", "SMS", "ClientID", "WrapperID"} <= set(request["param_names"])


@pytest.mark.parametrize(
    ("count", "request_sizes"),
    [
        pytest.param(1, [1], id="1"),
        pytest.param(500, [500], id="500"),
        pytest.param(501, [500, 1], id="501"),
    ],
)
def test_500_messages_per_request(hook, clockwork_emulator, count, request_sizes) -> None:
    messages = customers(count)

    result = hook.send_messages(messages)

    assert [len(r["numbers"]) for r in xml_sends(clockwork_emulator)] == request_sizes
    sent = sent_by_client_id(clockwork_emulator)
    assert result.message_ids == {client_id: record["id"] for client_id, record in sent.items()}
    assert list(result.message_ids) == [m["client_id"] for m in messages]
    assert all(
        (sent[m["client_id"]]["to"], sent[m["client_id"]]["content"]) == (m["to"], m["content"])
        for m in messages
    )


def test_the_same_number_gets_each_of_its_texts(hook, clockwork_emulator) -> None:
    result = hook.send_messages(
        [
            {"to": A, "content": "Your first parcel comes at 9", "client_id": "p1"},
            {"to": A, "content": "Your second parcel comes at 11", "client_id": "p2"},
        ]
    )

    sent = sent_by_client_id(clockwork_emulator)
    assert {client_id: record["content"] for client_id, record in sent.items()} == {
        "p1": "Your first parcel comes at 9",
        "p2": "Your second parcel comes at 11",
    }
    assert result.message_ids == {"p1": sent["p1"]["id"], "p2": sent["p2"]["id"]}
    assert result.numbers == {"p1": A, "p2": A}


def test_gsm_and_unicode_messages_share_one_request(hook, clockwork_emulator) -> None:
    hook.send_messages(
        [
            {"to": A, "content": "Plain text", "client_id": "gsm"},
            {"to": B, "content": "Zoë, ваш заказ готов ✓", "client_id": "ucs2"},
            {"to": C, "content": "Łódź " * 30, "long": True, "client_id": "long-ucs2"},
        ]
    )

    sent = sent_by_client_id(clockwork_emulator)
    assert {client_id: (r["msg_type"], r["parts"]) for client_id, r in sent.items()} == {
        "gsm": ("TEXT", 1),
        "ucs2": ("UCS2", 1),
        "long-ucs2": ("UCS2", 3),
    }
    assert sent["ucs2"]["content"] == "Zoë, ваш заказ готов ✓"
    assert len(xml_sends(clockwork_emulator)) == 1


def test_refused_messages_come_back_as_errors_by_client_id(hook, clockwork_emulator) -> None:
    clockwork_emulator.refuse(B)
    clockwork_emulator.credit = 2

    result = hook.send_messages(
        [
            {"to": A, "content": "one", "client_id": "c1"},
            {"to": B, "content": "two", "client_id": "c2"},
            {"to": A, "content": "three", "client_id": "c3"},
            {"to": C, "content": "four", "client_id": "c4"},
        ]
    )

    sent = sent_by_client_id(clockwork_emulator)
    assert result.message_ids == {"c1": sent["c1"]["id"], "c3": sent["c3"]["id"]}
    assert result.errors == {"c2": INVALID_TO, "c4": SmsError(3, "Insufficient Credits Available")}
    assert result.describe_errors() == (
        f"c2 ({B}): Error 10: Invalid 'To' Parameter; c4 ({C}): Error 3: Insufficient Credits Available"
    )


def test_connection_sender_is_the_default(monkeypatch, clockwork_emulator) -> None:
    use_connection(monkeypatch, clockwork_emulator, extra={"sender": "Ops"})

    ClockworkHook().send_messages(
        [
            {"to": A, "content": "a", "client_id": "a"},
            {"to": B, "content": "b", "sender": "Shop", "client_id": "b"},
        ]
    )

    assert {c: r["sender"] for c, r in sent_by_client_id(clockwork_emulator).items()} == {
        "a": "Ops",
        "b": "Shop",
    }


def test_on_batch_sees_each_answer(hook, clockwork_emulator) -> None:
    seen: list[int] = []

    hook.send_messages(customers(501), on_batch=lambda answer: seen.append(len(answer.message_ids)))

    assert seen == [500, 1]


@pytest.mark.parametrize(
    ("messages", "named"),
    [
        pytest.param(
            [{"to": A, "content": "ok"}, {"to": "07700 900456", "content": "x"}],
            r"messages\[1\] .*Recipient '07700 900456' is not a valid international number",
            id="bad-number",
        ),
        pytest.param(
            [{"to": A, "content": "ok", "client_id": "x"}, {"to": B, "content": "y", "client_id": "x"}],
            r"client_id 'x' is already used by messages\[0\]",
            id="dup",
        ),
        pytest.param("447700900123", "Messages '447700900123' must be a list of mappings", id="not-a-list"),
    ],
)
def test_bad_input_fails_before_any_request(hook, clockwork_emulator, messages, named) -> None:
    with pytest.raises(ClockworkInputError, match=named):
        hook.send_messages(messages)

    assert clockwork_emulator.requests() == []


def test_wrong_key_raises_with_clockworks_code_and_names_every_message(
    monkeypatch, clockwork_emulator
) -> None:
    use_connection(monkeypatch, clockwork_emulator, password="wrong-key")

    with pytest.raises(ClockworkRequestError) as raised:
        ClockworkHook(max_concurrent_requests=1).send_messages(customers(501))

    error = raised.value
    assert (error.code, error.description) == (2, "Invalid Username Or Password")
    assert "Error 2: Invalid Username Or Password" in str(error)
    assert error.unsent[:2] == ["o0 (447700900000)", "o1 (447700900001)"]
    assert len(error.unsent) == 501
    assert "0 message(s) got a message ID" in str(error)
    assert clockwork_emulator.messages() == []
    assert len(xml_sends(clockwork_emulator)) == 1  # no request after a refused one
    assert "wrong-key" not in str(error)


def test_a_whole_request_error_mid_way_keeps_earlier_ids(hook, clockwork_emulator) -> None:
    clockwork_emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "request_error", "code": 26})
    messages = customers(1001)

    with pytest.raises(ClockworkRequestError) as raised:
        hook.send_messages(messages)

    error = raised.value
    assert (error.code, error.known_code, error.permanent) == (26, None, False)  # unknown: transient
    sent = sent_by_client_id(clockwork_emulator)
    assert len(sent) == 500
    assert error.result.message_ids == {client_id: record["id"] for client_id, record in sent.items()}
    assert error.unsent == [f"o{n} (4477009{n % 7:05d})" for n in range(500, 1001)]
    assert error.unknown == []
    assert len(xml_sends(clockwork_emulator)) == 2


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "status_after", "status": 500}, id="http-500-after-processing"),
        pytest.param({"kind": "reset_after"}, id="reset-after-processing"),
        pytest.param({"kind": "truncate"}, id="cut-off-reply"),
        pytest.param({"kind": "garbage", "body": "<html>maintenance</html>"}, id="garbage"),
    ],
)
def test_a_fault_mid_way_reports_the_batch_as_unknown(hook, clockwork_emulator, fault) -> None:
    clockwork_emulator.inject({"kind": "delay", "seconds": 0}, fault)
    messages = customers(1001)

    with pytest.raises(ClockworkTransportError) as raised:
        hook.send_messages(messages)

    error = raised.value
    first_batch = {m["client_id"] for m in messages[:500]}
    assert set(error.result.message_ids) == first_batch
    assert error.result.message_ids == {
        c: r["id"] for c, r in sent_by_client_id(clockwork_emulator).items() if c in first_batch
    }
    assert error.unknown == [f"o{n} (4477009{n % 7:05d})" for n in range(500, 1000)]
    assert error.unsent == ["o1000 (447700900006)"]
    assert "outcome UNKNOWN" in str(error) and "o999 (447700900005)" in str(error)
    assert "500 message(s) got a message ID" in str(error)
    assert len(xml_sends(clockwork_emulator)) == 2


def test_balance_is_read_from_the_xml_balance_endpoint(hook, clockwork_emulator) -> None:
    assert hook.get_balance() == Balance(Decimal("500.00"), "GBP", "£")

    hook.send_messages(customers(10))
    clockwork_emulator.price_per_credit = "0.04"

    assert hook.get_balance() == Balance(Decimal("399.60"), "GBP", "£")  # 9990 credits at 4p
    balance_requests = [r for r in clockwork_emulator.requests() if r["path"] == "/xml/balance.aspx"]
    assert [(r["method"], r["query"]) for r in balance_requests] == [("POST", ""), ("POST", "")]
    assert all(r["content_type"].startswith("text/xml") for r in balance_requests)
    assert len(clockwork_emulator.messages()) == 10  # the balance checks sent nothing


def test_balance_with_a_wrong_key_raises_clockworks_error(monkeypatch, clockwork_emulator) -> None:
    use_connection(monkeypatch, clockwork_emulator, password="wrong-key")

    with pytest.raises(ClockworkRequestError, match="Error 2: Invalid Username Or Password"):
        ClockworkHook().get_balance()


def test_unreadable_balance_reply_is_a_transport_error(hook, clockwork_emulator, monkeypatch) -> None:
    use_connection(monkeypatch, clockwork_emulator, host=clockwork_emulator.url + "/nowhere")

    with pytest.raises(ClockworkTransportError, match="HTTP 404"):
        ClockworkHook().get_balance()


def test_concurrent_requests_give_the_same_result_in_message_order(clockwork_connection) -> None:
    emulator = clockwork_connection
    emulator.latency = 0.3  # so the concurrent requests are all held at the emulator together
    messages = customers(1501)

    results = {}
    for workers in (1, 4):
        emulator.reset()
        emulator.refuse("447700900003", code=10, description="Invalid 'To' Parameter")
        results[workers] = ClockworkHook(max_concurrent_requests=workers).send_messages(messages)
        requests = xml_sends(emulator)
        assert sorted(len(r["numbers"]) for r in requests) == [1, 500, 500, 500]
        peak = max(r["in_flight"] for r in requests)
        # A busy machine may not hold all four at once; any overlap proves they run together.
        assert (peak == 1) if workers == 1 else (2 <= peak <= workers)
        assert results[workers].message_ids == {c: r["id"] for c, r in sent_by_client_id(emulator).items()}

    sequential, concurrent = results[1], results[4]
    assert list(concurrent.message_ids) == list(sequential.message_ids)  # message order, not arrival order
    assert list(concurrent.message_ids)[:3] == ["o0", "o1", "o2"]
    assert concurrent.errors == sequential.errors
    assert set(concurrent.errors) == {f"o{n}" for n in range(3, 1501, 7)}


def test_a_concurrent_failure_lets_requests_in_flight_finish_and_starts_no_more(clockwork_connection) -> None:
    emulator = clockwork_connection
    emulator.latency = 1.0  # the second worker's request starts well before the first is refused
    # The first request to arrive is refused; the other, held 1 s longer, is still in flight then.
    emulator.inject(
        {"kind": "request_error", "code": 26, "description": "Temporary trouble"},
        {"kind": "delay", "seconds": 1},
    )
    messages = customers(3001)  # 7 requests; 2 workers

    with pytest.raises(ClockworkRequestError) as raised:
        ClockworkHook(max_concurrent_requests=2).send_messages(messages)

    error = raised.value
    sent = sent_by_client_id(emulator)
    requests = xml_sends(emulator)
    assert len(requests) == 2  # the refused one and the one in flight with it; none started after
    assert len(sent) == 500
    assert error.result.message_ids == {client_id: record["id"] for client_id, record in sent.items()}
    assert len(error.unsent) == 3001 - 500
    assert error.unknown == []
