"""The connection Test endpoint (``POST /api/v2/connections/test``), run by the real API server.

The server builds the connection, finds our hook through the provider's registration
and calls its ``test_connection``: it must reach the emulator, spend no credit and never
echo the key.
"""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol.xml_api import CREDIT_PATH

from .conftest import Deployment

pytestmark = [pytest.mark.deployment, pytest.mark.usefixtures("started_runs")]


def test_connection_test_with_the_key_passes_and_reports_the_credit(deployment: Deployment):
    before = len(deployment.emulator.requests())

    result = deployment.api.test_connection(
        connection_id="clockwork_form_check",
        conn_type="clockwork",
        host=deployment.emulator.url,
        password=deployment.api_key,
    )

    assert result["status"] is True, result
    assert deployment.emulator.url in result["message"]
    assert "credit: " in result["message"]
    # The DAG runs send meanwhile, so what the test itself asked is told by its path.
    asked = {request["path"].lower() for request in deployment.emulator.requests()[before:]}
    assert CREDIT_PATH.lower() in asked


def test_connection_test_with_a_wrong_key_fails_without_echoing_it(deployment: Deployment):
    result = deployment.api.test_connection(
        connection_id="clockwork_wrong_key",
        conn_type="clockwork",
        host=deployment.emulator.url,
        password="not-the-key-4711",
    )

    assert result["status"] is False
    assert result["message"] == (
        f"Clockwork at {deployment.emulator.url}{CREDIT_PATH} refused the API key: "
        "Error 2: Invalid Username Or Password."  # Clockwork's text for a wrong key
    )
    assert "not-the-key-4711" not in result["message"]


def test_stored_connection_with_a_port_passes_the_test_the_ui_runs(deployment: Deployment):
    # The UI tests a saved connection with its fields as shown, the key masked as "***";
    # Airflow then uses the stored key. (Without a port the UI sends port 0 and Airflow
    # answers 400 before any test: see the connection docs.)
    emulator = deployment.emulator
    fields = {"conn_type": "clockwork", "host": f"http://{emulator.host}", "port": emulator.port}
    deployment.api.create_connection(connection_id="clockwork_saved", password=deployment.api_key, **fields)

    result = deployment.api.test_connection(connection_id="clockwork_saved", password="***", **fields)

    assert result["status"] is True, result
    assert deployment.api_key not in str(result)
