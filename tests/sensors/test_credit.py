"""ClockworkCreditSensor against the emulator's credit endpoint."""

from __future__ import annotations

import json

import pytest

from airflow_provider_clockwork.exceptions import ClockworkRequestError, ClockworkTransportError
from airflow_provider_clockwork.sensors.credit import ClockworkCreditSensor


@pytest.mark.parametrize(
    ("credit", "min_credit", "satisfied"),
    [
        pytest.param(500, 500, True, id="exactly-enough"),
        pytest.param(500, 501, False, id="one-short"),
        pytest.param(0, 0, True, id="nothing-needed"),
        pytest.param(10, "5", True, id="templated-string"),
    ],
)
def test_pokes_until_credit_is_enough(clockwork_connection, credit, min_credit, satisfied) -> None:
    clockwork_connection.credit = credit
    sensor = ClockworkCreditSensor(task_id="enough_credit", min_credit=min_credit)

    assert sensor.poke({}) is satisfied
    assert clockwork_connection.messages() == []


def test_credit_spent_by_sends_is_seen(clockwork_connection) -> None:
    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

    clockwork_connection.credit = 3
    sensor = ClockworkCreditSensor(task_id="enough_credit", min_credit=2)
    assert sensor.poke({})

    ClockworkHook().send_sms("447700900123,447700900456", "two credits")

    assert not sensor.poke({})


@pytest.mark.parametrize("min_credit", ["lots", "-1", "2.5", None])
def test_bad_threshold_is_named(clockwork_connection, min_credit) -> None:
    sensor = ClockworkCreditSensor(task_id="enough_credit", min_credit=min_credit)

    with pytest.raises(ValueError, match=repr(min_credit)):
        sensor.poke({})
    assert clockwork_connection.requests() == []


def test_wrong_key_fails_instead_of_waiting(monkeypatch, clockwork_emulator) -> None:
    connection = {"conn_type": "clockwork", "password": "wrong", "host": clockwork_emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))

    with pytest.raises(ClockworkRequestError, match="Error 2: Invalid Username Or Password") as raised:
        ClockworkCreditSensor(task_id="enough_credit", min_credit=1).poke({})
    assert "number(s)" not in str(raised.value)  # a credit check texts no one: no send progress


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param({"kind": "status", "status": 503}, "HTTP 503", id="http-503"),
        pytest.param({"kind": "reset_before"}, "Connection aborted", id="connection-reset"),
        pytest.param({"kind": "delay", "seconds": 4}, "ReadTimeout", id="read-timeout"),
        pytest.param({"kind": "garbage"}, "could not be read", id="unreadable-reply"),
        pytest.param({"kind": "request_error", "code": 99}, "Error 99", id="transient-clockwork-error"),
    ],
)
def test_a_failure_that_may_pass_is_a_poke_that_waits(
    monkeypatch, clockwork_emulator, log_text, fault, reason
):
    connection = {"conn_type": "clockwork", "password": "test-key", "host": clockwork_emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps({**connection, "extra": {"timeout": 2}}))
    clockwork_emulator.inject({**fault, "on": "account"})
    sensor = ClockworkCreditSensor(task_id="enough_credit", min_credit=1)

    assert sensor.poke({}) is False
    logged = log_text()
    assert "Could not read the Clockwork credit; will poke again" in logged
    assert reason in logged
    assert sensor.poke({}) is True


def test_an_endpoint_that_is_not_clockwork_fails_at_once(clockwork_connection) -> None:
    clockwork_connection.inject({"kind": "status", "status": 404, "on": "account"})

    with pytest.raises(ClockworkTransportError, match="HTTP 404"):
        ClockworkCreditSensor(task_id="enough_credit", min_credit=1).poke({})
