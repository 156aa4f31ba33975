"""DAGs the deployment tier triggers through the REST API, next to two of the example DAGs.

All of them run at once in one deployment against one emulator, so each texts numbers
of its own (447700900 7xx) and a test can tell its messages apart.

- ``clockwork_deploy_failure``: a failing task with a task-level and a DAG-level
  failure notifier (the DAG-level one runs in the dag processor).
- ``clockwork_deploy_retry``: two sends with one retry each; the test makes the emulator
  refuse one number of each once, so try 1 is a partial send and try 2 must text only
  that number, also when the text names the try (``send_rendered_per_try``).
- ``clockwork_deploy_deadline``: a Deadline Alert five seconds after the run is queued,
  fired by the triggerer; the task keeps the run going until the alert has reached the
  emulator (a finished run's deadlines are dropped), so the test needs no guess at timing.
- ``clockwork_deploy_mapped``: one mapped task instance per number.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.request import urlopen

import pendulum
from airflow.providers.common.compat.sdk import DAG, BaseHook, task
from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

from airflow_provider_clockwork.notifications.clockwork import (
    ClockworkNotifier,
    send_clockwork_notification,
)
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

START = pendulum.datetime(2024, 1, 1, tz="UTC")
DEADLINE_ALERT_TO = "447700900731"
ALERT_WAIT_SECONDS = 240

with DAG(
    dag_id="clockwork_deploy_failure",
    schedule=None,
    start_date=START,
    catchup=False,
    on_failure_callback=send_clockwork_notification(
        to="447700900711", content="DAG {{ dag_run.dag_id }} failed: {{ dag_run.run_id }}", long=True
    ),
):

    @task(
        retries=0,
        on_failure_callback=send_clockwork_notification(
            to="447700900712",
            content="{{ ti.task_id }} failed on try {{ ti.try_number }}: {{ exception }}",
            long=True,
        ),
    )
    def load() -> None:
        raise RuntimeError("planned failure")

    load()

with DAG(
    dag_id="clockwork_deploy_retry",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
):
    ClockworkSendSmsOperator(
        task_id="send",
        to=["447700900721", "447700900722", "447700900723"],
        content="Stock check {{ run_id }}",
        long=True,
    )
    ClockworkSendSmsOperator(
        task_id="send_rendered_per_try",
        to=["447700900724", "447700900725", "447700900726"],
        content="Stock check {{ run_id }} (try {{ ti.try_number }})",
        long=True,
    )

with DAG(
    dag_id="clockwork_deploy_deadline",
    schedule=None,
    start_date=START,
    catchup=False,
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(seconds=5),
        callback=AsyncCallback(
            ClockworkNotifier,
            # A deadline's context holds the run as the REST API shows it: its ID is dag_run_id.
            kwargs={
                "to": DEADLINE_ALERT_TO,
                "content": "{{ dag_run.dag_id }} is late: {{ dag_run.dag_run_id }}",
            },
        ),
    ),
):

    @task
    def outlast_the_deadline() -> None:
        """Runs until the deadline's text reached the emulator (its inspection endpoint), bounded."""
        messages_url = BaseHook.get_connection("clockwork_default").host.rstrip("/") + "/_emulator/messages"
        deadline = time.monotonic() + ALERT_WAIT_SECONDS
        while time.monotonic() < deadline:
            with urlopen(messages_url, timeout=10) as reply:
                if any(message["to"] == DEADLINE_ALERT_TO for message in json.load(reply)):
                    return
            time.sleep(1)
        raise RuntimeError(f"no deadline alert reached the emulator within {ALERT_WAIT_SECONDS} s")

    outlast_the_deadline()

with DAG(dag_id="clockwork_deploy_mapped", schedule=None, start_date=START, catchup=False):
    ClockworkSendSmsOperator.partial(
        task_id="send", content="You are on rota slot {{ ti.map_index }}"
    ).expand(to=["447700900741", "447700900742", "447700900743"])
