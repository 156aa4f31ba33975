"""ClockworkCreditSensor against the emulator's credit endpoint."""

from __future__ import annotations

import json

import pytest

from airflow_provider_clockwork.exceptions import ClockworkRequestError
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

    with pytest.raises(ClockworkRequestError, match="Error 2: Invalid Username Or Password"):
        ClockworkCreditSensor(task_id="enough_credit", min_credit=1).poke({})
