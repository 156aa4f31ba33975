"""The API key stays secret: registered with Airflow's masker, absent from errors, reprs and logs.

The fault suite checks every fault kind for the key in exceptions, XComs, operator
fields and logs; these tests cover what it does not: the masker, a real wrong key,
and the reprs users print.
"""

from __future__ import annotations

import json
import uuid

import pytest
from airflow.providers.common.compat.sdk import redact

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.exceptions import AirflowFailException
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.operators.sms import PARTIAL_XCOM_KEY, ClockworkSendSmsOperator
from tests.reliability.harness import exception_texts, memory_ledger, run_tries


def use_connection(monkeypatch: pytest.MonkeyPatch, password: str, host: str) -> None:
    connection = {"conn_type": "clockwork", "password": password, "host": host}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))


def test_reading_the_settings_registers_the_key_with_the_masker(monkeypatch) -> None:
    # Padded, as pasted into a form: Airflow masks the password as stored, the hook must
    # mask the key it actually sends (stripped), or a log line quoting it would show it.
    key = f"cw-mask-{uuid.uuid4().hex}"
    use_connection(monkeypatch, f"  {key}  ", "http://127.0.0.1:9")
    assert key in redact(f"sending with {key}")  # nothing has registered it yet

    hook = ClockworkHook()
    assert hook.settings.api_key == key

    assert key not in redact(f"sending with {key}")
    assert key not in repr(hook) + repr(hook.settings)


def test_a_wrong_key_fails_at_once_without_showing_it(monkeypatch, log_text) -> None:
    wrong = f"cw-wrong-{uuid.uuid4().hex}"
    with ClockworkEmulator(keys=("the-right-key",)) as emulator, memory_ledger():
        use_connection(monkeypatch, wrong, emulator.url)
        operator = ClockworkSendSmsOperator(task_id="send", to="447700900123", content="hi", retries=3)

        outcome = run_tries(operator, retries=3, run_id="manual__wrong_key")

    (only,) = outcome.tries  # Error 2 is permanent: Airflow must not spend the 3 retries on it
    assert isinstance(only.error, AirflowFailException)
    assert "Error 2: Invalid Username Or Password" in only.message
    assert "not sent: 447700900123" in only.message
    assert only.xcoms[PARTIAL_XCOM_KEY] == {}
    assert emulator.messages() == []
    assert not any(wrong in text for text in exception_texts(only.error))
    assert wrong not in json.dumps(only.xcoms) + repr(operator) + log_text()
