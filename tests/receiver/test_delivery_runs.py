"""Delivery receipts end to end: a real `airflow dags test` sends through the emulator, the emulator
calls the real receiver, the receiver stores, and the sensor (each mode) reads the store.

The deployment tier (tests/deployment/test_receipts.py) covers, in a real deployment, the deferred
sensor succeeding on a receipt that comes while it waits, the escalation example and the reply DAG;
they are not repeated here.
"""

from __future__ import annotations

import pytest

from tests.receiver.conftest import needs_store
from tests.receiver.running import connection_json, last_tries

pytestmark = [pytest.mark.dags_test, needs_store]
MODES = ["reschedule", "deferrable"]
RECEIPTS_EXPECTED_WITHIN = 120  # the sensor's timeout where receipts come; it ends when they land


def _run(airflow_home, dag_id, emulator, receiver_url, sensor_timeout=RECEIPTS_EXPECTED_WITHIN):
    return airflow_home.dags_test(
        dag_id,
        connection_json=connection_json(emulator.url, receiver_url),
        CLOCKWORK_TEST_SENSOR_TIMEOUT=str(sensor_timeout),
    )


def test_the_rescheduled_sensor_succeeds_once_every_text_is_delivered(
    airflow_home, receiver, clockwork_emulator
):
    dag_id = "clockwork_test_delivery_reschedule"  # deferrable: the deployment tier, real triggerer
    run = _run(airflow_home, dag_id, clockwork_emulator, receiver.base_url)

    assert run.task_states == {"alert": "success", "wait_for_delivery": "success"}, run.output[-5000:]
    # The last try of each receipt (a first call to a cold receiver on a loaded machine may time out).
    assert set(last_tries(clockwork_emulator.receipts()).values()) == {200}
    (extra,) = {str(r["extra"]) for r in clockwork_emulator.receipts()}
    assert "'task_id': 'alert'" in extra and dag_id in extra


def test_the_deferred_sensor_fails_naming_each_undelivered_number(airflow_home, receiver, clockwork_emulator):
    clockwork_emulator.set_delivery("447700900124", "REJECTD", err_code=9, interim="ENROUTE")
    run = _run(airflow_home, "clockwork_test_delivery_deferrable", clockwork_emulator, receiver.base_url)

    assert run.task_states["wait_for_delivery"] == "failed"
    assert "Not delivered: 447700900124 (" in run.output
    assert "): REJECTD error 9" in run.output
    assert "447700900123 (" not in run.output.split("Not delivered:", 1)[1].split("\n", 1)[0]


@pytest.mark.parametrize("mode", MODES)
def test_a_receipt_that_never_comes_times_the_sensor_out(mode, airflow_home, receiver, clockwork_emulator):
    run = _run(
        airflow_home,
        f"clockwork_test_delivery_{mode}",
        clockwork_emulator,
        "http://127.0.0.1:9/clockwork",
        sensor_timeout=8,
    )

    assert run.task_states == {"alert": "success", "wait_for_delivery": "failed"}, run.output[-5000:]
    expected = {"reschedule": "AirflowSensorTimeout", "deferrable": "No final receipt within 8 s for 2 of 2"}
    assert expected[mode] in run.output, run.output[-5000:]
