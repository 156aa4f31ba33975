"""Delivery receipts as Clockwork's callback sends them: form fields, DlrContent values and XML."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from airflow_provider_clockwork.protocol.delivery import (
    MAX_RECEIPTS_PER_XML_POST,
    DeliveryReceipt,
    DeliveryState,
    ReceiptRequest,
    ReceiptType,
    format_form_receipt,
    format_xml_receipt,
    format_xml_receipts,
    parse_dlr_content,
    parse_form_receipt,
    parse_xml_receipts,
    prepare_receipt_request,
    receipt_fields,
)
from airflow_provider_clockwork.protocol.errors import InvalidInputError


@pytest.mark.parametrize(
    ("status", "state", "final"),
    [
        pytest.param("DELIVRD", DeliveryState.DELIVERED, True, id="delivered"),
        pytest.param("delivrd", DeliveryState.DELIVERED, True, id="lower-case"),
        pytest.param("UNDELIV", DeliveryState.UNDELIVERABLE, True, id="undeliverable"),
        pytest.param("EXPIRED", DeliveryState.EXPIRED, True, id="expired"),
        pytest.param("REJECTD", DeliveryState.REJECTED, True, id="rejected"),
        pytest.param("ENROUTE", DeliveryState.ENROUTE, False, id="enroute"),
        pytest.param("ACCEPTD", DeliveryState.ACCEPTED, False, id="accepted"),
        pytest.param("BUFFERED", DeliveryState.UNKNOWN, False, id="unknown-kept"),
    ],
)
def test_states_by_status(status, state, final) -> None:
    receipt = parse_form_receipt({"msg_id": "AB_12345", "status": status, "to": "441234567890"})

    assert receipt.state is state
    assert receipt.state.is_final is final
    assert receipt.status == status


def test_the_documented_example_receipt() -> None:
    receipt = parse_form_receipt(
        {"msg_id": "AB_12345", "status": "DELIVRD", "err_code": "0", "to": "441234567890"}
    )

    assert (receipt.message_id, receipt.to, receipt.error_code, receipt.delivered) == (
        "AB_12345",
        "441234567890",
        0,
        True,
    )


def test_field_names_are_case_insensitive() -> None:
    receipt = parse_form_receipt({"MSG_ID": "X_1", "Status": "UNDELIV", "Detail": "absent", "ERR_CODE": "27"})

    assert (receipt.message_id, receipt.detail, receipt.error_code) == ("X_1", "absent", 27)
    assert not receipt.delivered


@pytest.mark.parametrize(
    ("params", "named"),
    [
        pytest.param({"status": "DELIVRD"}, "msg_id", id="no-message-id"),
        pytest.param({"msg_id": "X_1"}, "status", id="no-status"),
        pytest.param({"msg_id": "X_1", "status": "DELIVRD", "err_code": "zero"}, "'zero'", id="bad-code"),
    ],
)
def test_malformed_receipts_are_refused(params, named) -> None:
    with pytest.raises(InvalidInputError, match=named):
        parse_form_receipt(params)


# -- DlrContent: the sender's own values --


@pytest.mark.parametrize(
    ("text", "values"),
    [
        pytest.param(None, {}, id="none"),
        pytest.param("", {}, id="empty"),
        pytest.param("order=42&shop=north", {"order": "42", "shop": "north"}, id="pairs"),
        pytest.param("ref=a%26b+c", {"ref": "a&b c"}, id="encoded"),
        pytest.param("ref42", {"ref42": ""}, id="bare-word"),
        pytest.param("note=caf%C3%A9", {"note": "café"}, id="utf-8"),
        pytest.param("msg_id=X&STATUS=Y&err_code=1&keep=1", {"keep": "1"}, id="clockworks-names-dropped"),
    ],
)
def test_dlr_content_is_read_as_a_query_string(text, values) -> None:
    assert parse_dlr_content(text) == values


# -- building form receipts (the emulator's side) --

RECEIPT = DeliveryReceipt(
    message_id="AB_00007",
    to="447700900123",
    state=DeliveryState.UNDELIVERABLE,
    status="UNDELIV",
    detail="Absent subscriber",
    error_code=27,
    extra={"order": "42", "note": "a&b=c d"},
)


def test_a_form_receipt_round_trips_with_its_extra_values() -> None:
    fields = dict(parse_qsl(format_form_receipt(RECEIPT), keep_blank_values=True))

    assert parse_form_receipt(fields) == RECEIPT
    assert list(fields)[:5] == ["msg_id", "to", "status", "detail", "err_code"]


def test_extra_values_cannot_replace_clockworks_fields() -> None:
    receipt = DeliveryReceipt(
        "AB_1", "447700900123", DeliveryState.DELIVERED, "DELIVRD", extra={"Status": "X"}
    )

    assert receipt_fields(receipt) == {
        "msg_id": "AB_1",
        "to": "447700900123",
        "status": "DELIVRD",
        "detail": "",
        "err_code": "",
    }


def test_extra_fields_keep_their_names_as_sent() -> None:
    receipt = parse_form_receipt({"MSG_ID": "X_1", "Status": "DELIVRD", "OrderRef": "A-1"})

    assert receipt.extra == {"OrderRef": "A-1"}


# -- XML receipts (DlrType 3 and 4) --


def test_one_xml_receipt_round_trips() -> None:
    body = format_xml_receipt(RECEIPT)

    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Receipt><MessageID>AB_00007</MessageID>')
    assert parse_xml_receipts(body) == [RECEIPT]


def test_a_batch_of_xml_receipts_round_trips_in_order() -> None:
    receipts = [
        DeliveryReceipt(f"AB_{n:05d}", f"4477009{n:05d}", DeliveryState.DELIVERED, "DELIVRD", "ok\r\n", 0)
        for n in range(MAX_RECEIPTS_PER_XML_POST)
    ]

    assert parse_xml_receipts(format_xml_receipts(receipts)) == receipts


@pytest.mark.parametrize("count", [0, MAX_RECEIPTS_PER_XML_POST + 1])
def test_an_xml_batch_holds_1_to_100_receipts(count) -> None:
    receipt = DeliveryReceipt("AB_1", "447700900123", DeliveryState.DELIVERED, "DELIVRD")

    with pytest.raises(ValueError, match=str(count)):
        format_xml_receipts([receipt] * count)


XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "<Receipt><MessageID>AB_1</MessageID><To>441234567890</To><Status>DELIVRD</Status>"
            "<ErrCode>0</ErrCode></Receipt>",
            [("AB_1", DeliveryState.DELIVERED, 0, {})],
            id="minimal",
        ),
        pytest.param(
            "<Receipt><MessageID> AB_1 </MessageID><Status>BUFFERED</Status></Receipt>",
            [("AB_1", DeliveryState.UNKNOWN, None, {})],
            id="unknown-status-kept",
        ),
        pytest.param(
            "<Receipts><Receipt><MessageID>A_1</MessageID><Status>UNDELIV</Status><ErrCode>27</ErrCode>"
            "<DlrContent>order=42</DlrContent></Receipt><Receipt><MessageID>A_2</MessageID>"
            "<Status>ENROUTE</Status></Receipt></Receipts>",
            [
                ("A_1", DeliveryState.UNDELIVERABLE, 27, {"order": "42"}),
                ("A_2", DeliveryState.ENROUTE, None, {}),
            ],
            id="batch",
        ),
        pytest.param("<Receipts/>", [], id="empty-batch"),
    ],
)
def test_xml_receipts_are_read(body, expected) -> None:
    receipts = parse_xml_receipts(XML_HEAD + body)

    assert [(r.message_id, r.state, r.error_code, r.extra) for r in receipts] == expected


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param(b"", "Not an XML delivery receipt", id="empty"),
        pytest.param(b"msg_id=AB_1&status=DELIVRD", "Not an XML delivery receipt", id="form-body"),
        pytest.param(b"<Receipt><MessageID>AB_1</MessageID>", "Not an XML delivery receipt", id="truncated"),
        pytest.param(b"<html><body>502</body></html>", "<html>", id="wrong-root"),
        pytest.param(b"<Receipt><Status>DELIVRD</Status></Receipt>", "msg_id", id="no-message-id"),
        pytest.param(b"<Receipt><MessageID>AB_1</MessageID></Receipt>", "status", id="no-status"),
        pytest.param(
            b"<Receipt><MessageID>AB_1</MessageID><Status>UNDELIV</Status><ErrCode>x1</ErrCode></Receipt>",
            "'x1'",
            id="bad-code",
        ),
        pytest.param(
            b"<Receipts><Receipt><MessageID>AB_1</MessageID><Status>DELIVRD</Status></Receipt>"
            b"<Receipt><Status>DELIVRD</Status></Receipt></Receipts>",
            "msg_id",
            id="one-bad-in-a-batch",
        ),
    ],
)
def test_malformed_xml_receipts_are_refused(body, named) -> None:
    with pytest.raises(InvalidInputError, match=named):
        parse_xml_receipts(body)


URL = "https://hooks.example.com/clockwork/dlr"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param(URL, ReceiptRequest(URL), id="url-is-form-post"),
        pytest.param(
            " http://127.0.0.1:8099/dlr ", ReceiptRequest("http://127.0.0.1:8099/dlr"), id="trimmed"
        ),
        pytest.param({"url": URL}, ReceiptRequest(URL), id="mapping-url-only"),
        pytest.param({"url": URL, "type": "get"}, ReceiptRequest(URL, ReceiptType.GET), id="get"),
        pytest.param({"url": URL, "type": "XML"}, ReceiptRequest(URL, ReceiptType.XML), id="xml-any-case"),
        pytest.param({"url": URL, "type": 4}, ReceiptRequest(URL, ReceiptType.XML_BATCH), id="clockwork-4"),
        pytest.param(
            {"url": URL, "type": ReceiptType.XML_BATCH},
            ReceiptRequest(URL, ReceiptType.XML_BATCH),
            id="member",
        ),
        pytest.param(
            {"url": URL, "content": "run=r1&n=2"}, ReceiptRequest(URL, content="run=r1&n=2"), id="query"
        ),
        pytest.param(
            {"url": URL, "content": {"run_id": "manual__2026-11-25", "try": 2, "none": None}},
            ReceiptRequest(URL, content="run_id=manual__2026-11-25&try=2&none="),
            id="mapping-content-encoded",
        ),
        pytest.param(
            ReceiptRequest(URL, ReceiptType.GET), ReceiptRequest(URL, ReceiptType.GET), id="request"
        ),
    ],
)
def test_receipt_request_accepted(given: object, expected: ReceiptRequest | None) -> None:
    assert prepare_receipt_request(given) == expected


@pytest.mark.parametrize(
    ("given", "named"),
    [
        pytest.param("hooks.example.com/dlr", "'hooks.example.com/dlr'", id="no-scheme"),
        pytest.param("ftp://example.com/dlr", "'ftp://example.com/dlr'", id="ftp"),
        pytest.param("file:///etc/passwd", "'file:///etc/passwd'", id="file"),
        pytest.param("http://", "'http://'", id="no-host"),
        pytest.param("", "''", id="empty"),
        pytest.param(42, "42", id="number"),
        pytest.param({"type": "get"}, "no 'url'", id="mapping-without-url"),
        pytest.param({"url": URL, "kind": "get"}, "'kind'", id="unknown-key"),
        pytest.param({"url": URL, "type": "sms"}, "'sms'", id="unknown-type"),
        pytest.param({"url": URL, "type": 5}, "5", id="type-5"),
        pytest.param({"url": URL, "type": True}, "True", id="type-bool"),
        pytest.param({"url": URL, "content": ["a"]}, "['a']", id="content-list"),
        pytest.param({"url": URL, "content": {"status": "x"}}, "'status'", id="content-clashes-with-fields"),
        pytest.param(
            {"url": URL, "content": "msg_id=x&Status=y"}, "'Status', 'msg_id'", id="query-clashes-too"
        ),
        pytest.param({"url": URL, "content": "a=\x01"}, "'a=\\x01'", id="content-control-character"),
        pytest.param("http://exa mple.com/dlr", "'http://exa mple.com/dlr'", id="space-in-url"),
        pytest.param("http://example.com/dlr\x01", "'http://example.com/dlr\\x01'", id="control-in-url"),
    ],
)
def test_receipt_request_refused_naming_the_value(given: object, named: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        prepare_receipt_request(given)
    assert named in str(raised.value)


def test_values_sent_as_content_come_back_in_each_receipt() -> None:
    request = prepare_receipt_request({"url": URL, "content": {"run_id": "r 1", "task": "alert&page"}})
    assert request is not None
    receipt = parse_form_receipt(
        {
            "msg_id": "AB_1",
            "to": "447700900123",
            "status": "DELIVRD",
            **dict(parse_qsl(request.content or "")),
        }
    )
    assert receipt.extra == {"run_id": "r 1", "task": "alert&page"}
