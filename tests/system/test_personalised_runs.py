"""The credit-then-personalised example DAG, run for real with `airflow dags test` against the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_KEY

pytestmark = pytest.mark.dags_test

DAG_ID = "clockwork_credit_then_personalised"
# What the example DAG's build_messages task makes of its deliveries: order -> (number, text).
EXPECTED = {
    "A-1001": ("447700900123", "Hi Ann, order A-1001 arrives tomorrow between 08:00-10:00."),
    "A-1002": ("447700900456", "Hi Bob, order A-1002 arrives tomorrow between 10:00-12:00."),
    "A-1003": ("447700900789", "Hi Zoë, order A-1003 arrives tomorrow between 12:00-14:00."),
    "A-1004": ("447700900123", "Hi Ann, order A-1004 arrives tomorrow between 16:00-18:00."),
}


def test_each_customer_gets_exactly_their_own_text_after_the_credit_check(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(DAG_ID, connection_json=clockwork_emulator.connection_json())

    assert run.state == "success", run.output[-5000:]
    assert run.task_states == {
        "build_messages": "success",
        "enough_credit": "success",
        "send_slots": "success",
    }
    messages = clockwork_emulator.messages()
    assert sorted(m["client_id"] for m in messages) == sorted(EXPECTED)  # each order texted once
    assert {m["client_id"]: (m["to"], m["content"]) for m in messages} == EXPECTED
    assert {m["client_id"]: m["msg_type"] for m in messages}["A-1003"] == "UCS2"  # "ë" needs Unicode
    assert run.xcom("send_slots") == {m["client_id"]: m["id"] for m in messages}
    # The credit check came first, then one XML request carried all four texts.
    assert [(r["method"], r["path"]) for r in clockwork_emulator.requests()] == [
        ("POST", "/xml/credit.aspx"),
        ("POST", "/xml/send.aspx"),
    ]
    assert TEST_KEY not in run.output


def test_a_refused_customer_fails_the_task_naming_the_order_after_texting_the_others(
    airflow_home, clockwork_emulator
):
    clockwork_emulator.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    run = airflow_home.dags_test(DAG_ID, connection_json=clockwork_emulator.connection_json())

    assert run.task_states["send_slots"] == "failed"
    assert run.try_numbers["send_slots"] == 1
    sent = {m["client_id"]: m["id"] for m in clockwork_emulator.messages()}
    assert set(sent) == {"A-1001", "A-1003", "A-1004"}
    assert run.xcom("send_slots", "message_ids") == sent
    assert run.xcom("send_slots") is None
    assert "A-1002 (447700900456): Error 10: Invalid 'To' Parameter" in run.output
