"""The pytest fixtures, and that loading the plugin stays cheap and Airflow-free."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator

from .helpers import KEY, TIMEOUT, send_http

PLUGIN = "airflow_provider_clockwork.emulator.pytest_plugin"


def test_clockwork_emulator_fixture_serves_a_fresh_emulator(clockwork_emulator: ClockworkEmulator) -> None:
    reply = send_http(clockwork_emulator, Key=KEY, To="447700900123", Content="Hi")

    assert clockwork_emulator.running
    assert clockwork_emulator.url.startswith("http://127.0.0.1:")
    assert reply.text.startswith("To: 447700900123 ID: ")


def test_clockwork_connection_points_clockwork_default_at_the_emulator(
    clockwork_connection: ClockworkEmulator,
) -> None:
    connection = json.loads(os.environ["AIRFLOW_CONN_CLOCKWORK_DEFAULT"])

    assert connection == {"conn_type": "clockwork", "password": "test-key", "host": clockwork_connection.url}
    credit = requests.post(
        connection["host"] + "/http/credit.aspx", data={"Key": connection["password"]}, timeout=TIMEOUT
    )
    assert credit.text == "Credit: 10000"


def test_connection_json_can_carry_another_key() -> None:
    with ClockworkEmulator(keys=("first", "second")) as emulator:
        assert json.loads(emulator.connection_json())["password"] == "first"
        assert json.loads(emulator.connection_json(key="wrong"))["password"] == "wrong"


def test_loading_the_plugin_and_the_emulator_imports_neither_airflow_nor_requests() -> None:
    probe = (
        "import sys\n"
        f"import {PLUGIN}\n"
        "loaded_by_plugin = sorted(m for m in sys.modules if m.startswith('airflow_provider_clockwork.'))\n"
        "from airflow_provider_clockwork.emulator import ClockworkEmulator\n"
        "ClockworkEmulator().start().stop()\n"
        "print(loaded_by_plugin)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'airflow', 'requests', 'urllib3'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stderr
    plugin_modules, heavy_modules = result.stdout.splitlines()
    assert plugin_modules == str(["airflow_provider_clockwork.emulator", PLUGIN])
    assert heavy_modules == "[]"
