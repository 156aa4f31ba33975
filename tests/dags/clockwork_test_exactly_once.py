"""DAGs whose first try fails *after* its send, for the exactly-once tests.

How try 1 fails comes from ``CLOCKWORK_TEST_LATE_FAILURE`` (read at parse time):

- ``raise``: a subclass raises after ``super().execute()`` returned;
- ``xcom``: the return value cannot be stored as an XCom, so Airflow's push fails;
- empty: nothing fails after the send.

``CLOCKWORK_TEST_RETRIES`` sets the retries and ``CLOCKWORK_TEST_TRY_IN_TEXT=1`` ends the
text with `` (try {{ ti.try_number }})``, so each try's text differs; numbers and text come
from the Variables ``clockwork_test_to`` and ``clockwork_test_content``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_clockwork.operators.personalised import ClockworkSendPersonalisedSmsOperator
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

START = pendulum.datetime(2024, 1, 1, tz="UTC")
LATE_FAILURE = os.environ.get("CLOCKWORK_TEST_LATE_FAILURE", "")
RETRIES = int(os.environ.get("CLOCKWORK_TEST_RETRIES", "1"))
FAILING_MAP_INDEX = 0
TRY_IN_TEXT = " (try {{ ti.try_number }})" if os.environ.get("CLOCKWORK_TEST_TRY_IN_TEXT") else ""
CONTENT = "{{ var.value.clockwork_test_content }}" + TRY_IN_TEXT


class Unstorable:
    """Not JSON: Airflow cannot push it as an XCom."""


def fail_late(context: Any, value: Any) -> Any:
    """Try 1 (of the failing map index) fails after the send, as ``LATE_FAILURE`` says."""
    ti = context["ti"]
    if ti.try_number > 1 or ti.map_index not in (-1, FAILING_MAP_INDEX):
        return value
    if LATE_FAILURE == "raise":
        raise RuntimeError(f"planned failure after the send of try {ti.try_number}")
    if LATE_FAILURE == "xcom":
        return {"ids": value, "unstorable": Unstorable()}
    return value


class SendThenFail(ClockworkSendSmsOperator):
    def execute(self, context: Any) -> Any:
        return fail_late(context, super().execute(context))


class SendPersonalisedThenFail(ClockworkSendPersonalisedSmsOperator):
    def execute(self, context: Any) -> Any:
        return fail_late(context, super().execute(context))


RETRY = {"retries": RETRIES, "retry_delay": timedelta(seconds=0)}

with DAG(dag_id="clockwork_test_late_failure", schedule=None, start_date=START, catchup=False):
    SendThenFail(task_id="send", to="{{ var.value.clockwork_test_to }}", content=CONTENT, long=True, **RETRY)

with DAG(dag_id="clockwork_test_late_failure_mapped", schedule=None, start_date=START, catchup=False):
    # The same text for every instance: only the map index tells their ledgers apart.
    SendThenFail.partial(task_id="send", content=CONTENT, **RETRY).expand(
        to=["447700900501,447700900502", "447700900503,447700900504"]
    )

with DAG(
    dag_id="clockwork_test_late_failure_personalised",
    schedule=None,
    start_date=START,
    catchup=False,
):
    SendPersonalisedThenFail(
        task_id="send",
        messages=[
            {"to": "447700900601", "content": "Hi Ann " + CONTENT, "client_id": "ann"},
            {"to": "447700900602", "content": "Hi Bob " + CONTENT, "client_id": "bob"},
            {"to": "447700900601", "content": "Ann again " + CONTENT, "client_id": "ann-2"},
        ],
        **RETRY,
    )
