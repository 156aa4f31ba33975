"""Delivery receipts as Clockwork's callback sends them."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol.delivery import DeliveryState, parse_form_receipt
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
