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
    clockwork_connection.latency = 0.3
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
