"""The DAG `make bench` runs with `airflow dags test`: the send operators timed inside real tasks.

``CLOCKWORK_BENCH_CASES`` (JSON, read when the file is parsed) lists the cases: which
operator, how many numbers or messages, and the connection (one emulator per case, so
each case has its own latency and request log). Each case runs ``CLOCKWORK_BENCH_REPEATS``
times, one task after another; repetition ``k`` texts its own range of numbers, so the
bench can tell the requests of each task apart. A first task only imports the provider,
so that the in-process API server of ``airflow dags test`` starts outside the measured tasks.

The operators are subclassed only to log two timings the bench reads from the run's
output: their own ``execute`` (``perf_counter`` around ``super().execute()``) and the
success callbacks that delete the retry ledger, which run after Airflow records the
success (so after the task instance's end date).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, chain, task

from airflow_provider_clockwork.operators.personalised import ClockworkSendPersonalisedSmsOperator
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator

TEXT = "Nightly load done: 1234 rows"
MARK = "CLOCKWORK-BENCH"
DAG_ID = "clockwork_bench_in_task"
START = pendulum.datetime(2024, 1, 1, tz="UTC")


def numbers(count: int, first: int = 0) -> list[str]:
    return [f"4477009{index:05d}" for index in range(first, first + count)]


def personalised_messages(count: int, first: int = 0) -> list[dict[str, str]]:
    return [{"to": number, "content": f"{TEXT}, run {number[-5:]}"} for number in numbers(count, first)]


def _callbacks_started(context: Any) -> None:
    context["task"].bench_callbacks_started = time.perf_counter()


def _callbacks_done(context: Any) -> None:
    task = context["task"]
    seconds = time.perf_counter() - task.bench_callbacks_started
    task.log.info("%s %s success-callbacks seconds: %.6f", MARK, task.task_id, seconds)


def timed_callbacks(operator: Any) -> Any:
    """The operator, its success callbacks (the ledger's cleanup first) bracketed by a timer."""
    operator.on_success_callback = [_callbacks_started, *operator.on_success_callback, _callbacks_done]
    return operator


class Timed:
    """Logs how long ``execute`` took, however it ends."""

    def execute(self, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().execute(context)  # type: ignore[misc]
        finally:
            seconds = time.perf_counter() - started
            self.log.info("%s %s execute seconds: %.6f", MARK, self.task_id, seconds)  # type: ignore[attr-defined]


class TimedSendSms(Timed, ClockworkSendSmsOperator):
    pass


class TimedSendPersonalised(Timed, ClockworkSendPersonalisedSmsOperator):
    pass


CASES = json.loads(os.environ.get("CLOCKWORK_BENCH_CASES", "[]"))
REPEATS = int(os.environ.get("CLOCKWORK_BENCH_REPEATS", "1"))

with DAG(dag_id=DAG_ID, schedule=None, start_date=START, catchup=False):

    @task
    def warm_up() -> None:
        import airflow_provider_clockwork.hooks.clockwork  # noqa: F401

    @task
    def make_messages(count: int, first: int) -> list[dict[str, str]]:
        return personalised_messages(count, first)

    steps: list[Any] = [warm_up()]
    for case in CASES:
        for repeat in range(REPEATS):
            task_id = f"{case['name']}_{repeat + 1}"
            first, size, conn_id = repeat * case["size"], case["size"], case["conn_id"]
            if case["kind"] == "sms":
                to = ",".join(numbers(size, first))
                send = TimedSendSms(task_id=task_id, to=to, content=TEXT, clockwork_conn_id=conn_id)
                steps.append(timed_callbacks(send))
            else:
                messages = make_messages.override(task_id=f"{task_id}_messages")(size, first)
                send = TimedSendPersonalised(task_id=task_id, messages=messages, clockwork_conn_id=conn_id)
                steps += [messages, timed_callbacks(send)]
    chain(*steps)
