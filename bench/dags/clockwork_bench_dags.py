"""The DAG `make bench` runs with `airflow dags test`: the send operators timed inside real tasks.

``CLOCKWORK_BENCH_CASES`` (JSON, read when the file is parsed) lists the cases: which
operator, how many numbers or messages, and the connection (one emulator per case, so
each case has its own latency and request log). Each case runs ``CLOCKWORK_BENCH_REPEATS``
times, one task after another; repetition ``k`` texts its own range of numbers, so the
bench can tell the requests of each task apart. A first task only imports the provider,
so that the in-process API server of ``airflow dags test`` starts outside the measured tasks.

The operators are subclassed only to log timings the bench reads from the run's
output: the imports and connection read of a first use of the hook (as the bench's hook
does before its timed sends), their own ``execute`` (``perf_counter`` around
``super().execute()``), the calls
it made to Airflow's task state store (the retry ledger, on Airflow 3.3+), and the
success callbacks that delete the ledger, which run after Airflow records the success
(so after the task instance's end date).
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


class TimedStateStore:
    """Airflow's task state store, counting the calls made to it and the seconds they took."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls = 0
        self.seconds = 0.0

    def _timed(self, method: str, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return getattr(self.store, method)(*args)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - started

    def get(self, key: str, default: Any = None) -> Any:
        return self._timed("get", key, default)

    def set(self, key: str, value: Any) -> None:
        self._timed("set", key, value)

    def delete(self, key: str) -> None:
        self._timed("delete", key)


class Timed:
    """Logs how long ``execute`` took, however it ends, and its calls to the task state store."""

    def execute(self, context: Any, **kwargs: Any) -> Any:
        # kwargs: Airflow 2 hands execute a sentinel that its wrapped execute checks
        self.warm_up()
        store = context.get("task_state_store")
        if store is not None:
            context["task_state_store"] = store = TimedStateStore(store)
        started = time.perf_counter()
        try:
            return super().execute(context, **kwargs)  # type: ignore[misc]
        finally:
            seconds = time.perf_counter() - started
            self.log.info("%s %s execute seconds: %.6f", MARK, self.task_id, seconds)
            if store is not None:
                calls, spent = store.calls, store.seconds
                self.log.info("%s %s ledger-calls %d seconds: %.6f", MARK, self.task_id, calls, spent)

    def warm_up(self) -> None:
        """What the bench's hook does before its timed sends: the imports and the connection read.

        A fresh task process (each task, in a deployment) pays them once; timed apart.
        """
        started = time.perf_counter()
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

        hook = ClockworkHook(clockwork_conn_id=self.clockwork_conn_id)  # type: ignore[attr-defined]
        hook.get_conn()
        hook.close()
        self.log.info("%s %s warm-up seconds: %.6f", MARK, self.task_id, time.perf_counter() - started)


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
