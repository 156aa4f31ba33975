"""Personalised fan-out with dynamic task mapping, for the end-to-end tests.

- ``clockwork_test_mapped_content``: one number list, one mapped task instance per text
  (``partial(to=...).expand(content=[...])``).
- ``clockwork_test_mapped_to``: one text, one mapped task instance per number
  (``partial(content=...).expand(to=[...])``); the text is templated per instance.
- ``clockwork_test_mapped_kwargs``: a text per person, built by an upstream task
  (``expand_kwargs`` over its XCom).

Numbers come from the Variable ``clockwork_test_to`` (comma-separated), as in the other
test DAGs, so the tests decide them at run time.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

START = pendulum.datetime(2024, 1, 1, tz="UTC")
CONTENTS = ["Shift starts 08:00", "Shift starts 14:00", "Shift starts 22:00"]
NUMBERS = ["447700900301", "447700900302", "447700900303", "447700900304"]

with DAG(dag_id="clockwork_test_mapped_content", schedule=None, start_date=START, catchup=False):
    ClockworkSendSmsOperator.partial(task_id="send", to="{{ var.value.clockwork_test_to }}").expand(
        content=CONTENTS
    )

with DAG(dag_id="clockwork_test_mapped_to", schedule=None, start_date=START, catchup=False):
    ClockworkSendSmsOperator.partial(
        task_id="send", content="Your number is entry {{ ti.map_index }} of the rota"
    ).expand(to=NUMBERS)

with DAG(dag_id="clockwork_test_mapped_kwargs", schedule=None, start_date=START, catchup=False):

    @task
    def messages(numbers: str) -> list[dict[str, str]]:
        entries = [number.strip() for number in numbers.split(",") if number.strip()]
        return [
            {"to": number, "content": f"Hello {index}, your code is {1000 + index}"}
            for index, number in enumerate(entries)
        ]

    ClockworkSendSmsOperator.partial(task_id="send").expand_kwargs(
        messages("{{ var.value.clockwork_test_to }}")
    )
