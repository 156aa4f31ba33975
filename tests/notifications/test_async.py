"""The notifier awaited on a running event loop, as Airflow 3's triggerer runs Deadline Alerts."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier

NOTIFIER_PATH = "airflow_provider_clockwork.notifications.clockwork.ClockworkNotifier"


async def ticks_while(awaitable) -> int:
    """How often another coroutine got to run while ``awaitable`` was pending."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    ticks = 0
    try:
        await awaitable
    finally:
        done.set()
        await ticking
    return ticks


def test_async_notify_sends_without_blocking_the_event_loop(clockwork_connection) -> None:
    clockwork_connection.latency = 1.0  # a stalled process still leaves the loop time to tick
    notifier = ClockworkNotifier(to="447700900123", content="nightly missed its deadline")

    ticks = asyncio.run(ticks_while(notifier.async_notify({})))

    assert [m["content"] for m in clockwork_connection.messages()] == ["nightly missed its deadline"]
    assert ticks >= 3


def test_triggerer_runs_the_notifier_as_a_deadline_callback(clockwork_connection) -> None:
    callback_module = pytest.importorskip(
        "airflow.triggers.callback", reason="Deadline Alerts need Airflow 3.1+"
    )
    trigger = callback_module.CallbackTrigger(
        callback_path=NOTIFIER_PATH,
        callback_kwargs={
            "to": "447700900123",
            "content": "{{ dag_run.dag_id }} is still running",
            "context": {"dag_run": {"dag_id": "nightly"}},
        },
    )

    async def collect() -> list[dict]:
        return [event.payload async for event in trigger.run()]

    events = asyncio.run(collect())

    assert [e["state"] for e in events][-1] == "success", events
    assert [m["content"] for m in clockwork_connection.messages()] == ["nightly is still running"]


def run_deadline_callback(**kwargs) -> list[dict]:
    """The notifier run as Airflow 3's triggerer runs a Deadline Alert's callback."""
    callback_module = pytest.importorskip(
        "airflow.triggers.callback", reason="Deadline Alerts need Airflow 3.1+"
    )
    trigger = callback_module.CallbackTrigger(callback_path=NOTIFIER_PATH, callback_kwargs=kwargs)

    async def collect() -> list[dict]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def test_the_triggerer_tries_a_failed_alert_again(clockwork_connection, log_text) -> None:
    clockwork_connection.inject({"kind": "status", "status": 503})

    events = run_deadline_callback(
        to="447700900123", content="nightly missed its deadline", retry_delay=0.1, context={}
    )

    assert [e["state"] for e in events][-1] == "success", events
    assert len(clockwork_connection.requests()) == 2
    assert [m["content"] for m in clockwork_connection.messages()] == ["nightly missed its deadline"]
    assert "Clockwork alert attempt 1 of 3 failed" in log_text()


def test_the_connection_is_read_with_airflows_async_api(clockwork_connection, monkeypatch) -> None:
    from airflow.providers.common.compat.sdk import BaseHook

    if not hasattr(BaseHook, "aget_connection"):
        pytest.skip("this Airflow has no async connection API; the read runs in a thread")

    def blocking_read(*args, **kwargs):
        raise AssertionError("the synchronous get_connection would block the triggerer's event loop")

    monkeypatch.setattr(BaseHook, "get_connection", classmethod(blocking_read))
    notifier = ClockworkNotifier(to="447700900123", content="nightly missed its deadline")

    asyncio.run(notifier.async_notify({}))

    assert [m["content"] for m in clockwork_connection.messages()] == ["nightly missed its deadline"]
