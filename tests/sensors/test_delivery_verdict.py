"""What the delivery sensor makes of what it is given and of the stored receipts (a unit table)."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.sensors.delivery_verdict import expected_messages, judge


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"447700900123": "AB_1"}, {"AB_1": "447700900123"}),
        (
            "{'447700900123': 'AB_1', '447700900124': 'AB_2'}",
            {"AB_1": "447700900123", "AB_2": "447700900124"},
        ),
        (["AB_1", "AB_2"], {"AB_1": None, "AB_2": None}),
        ("['AB_1']", {"AB_1": None}),
        ("AB_1, AB_2", {"AB_1": None, "AB_2": None}),
    ],
)
def test_message_ids_come_as_the_sends_xcom_a_list_or_text(given, expected):
    assert expected_messages(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (None, "message_ids None is a NoneType"),
        ({}, "names no message"),
        ("", "holds '', which is not a message ID"),
        ("{'447700900123': 5}", "holds 5, which is not a message ID"),
        ("{'447700900123': ", "is neither a dict, a list nor IDs"),
        ("NOTSET", "message_ids 'NOTSET' is what a template renders for a missing value"),
        ("None", "message_ids 'None' is what a template renders for a missing value"),
    ],
)
def test_bad_message_ids_are_refused_naming_the_value(given, message):
    with pytest.raises(ValueError, match=message):
        expected_messages(given)


def _record(status, to="447700900999", error_code=0):
    return {"status": status, "to": to, "error_code": error_code}


def test_all_delivered_is_finished_without_failures():
    verdict = judge({"AB_1": "447700900123"}, {"AB_1": _record("DELIVRD")})
    assert (verdict.finished, verdict.failed, verdict.delivered) == (True, [], ["AB_1"])


def test_interim_and_missing_receipts_are_pending():
    verdict = judge({"AB_1": None, "AB_2": None}, {"AB_1": _record("ENROUTE"), "AB_2": None})
    assert (verdict.finished, verdict.pending) == (False, ["AB_1", "AB_2"])


def test_a_failure_names_the_number_the_id_the_state_and_the_code():
    verdict = judge(
        {"AB_1": "447700900123", "AB_2": None, "AB_3": None},
        {"AB_1": _record("UNDELIV", error_code=27), "AB_2": _record("EXPIRED", to="447700900124")},
    )
    assert verdict.finished
    assert verdict.failure_message() == (
        "Not delivered: 447700900123 (AB_1): UNDELIV error 27, 447700900124 (AB_2): EXPIRED; 1 not final yet."
    )
