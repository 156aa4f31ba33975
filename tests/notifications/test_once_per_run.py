"""``once_per="dag_run"``: each recipient texted at most once per DAG run, and never zero times.

In-process, with the alert record in memory (a real ``airflow dags test`` run, with Airflow
Variables, is in tests/system/test_alert_runs.py).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from airflow_provider_clockwork.notifications import _once
from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier
from tests.notifications.test_clockwork import task_context

ONCALL = "447700900123"


@pytest.fixture
def store(monkeypatch) -> _once.MemoryAlertStore:
    memory = _once.MemoryAlertStore()
    monkeypatch.setattr(_once, "default_store", memory)
    monkeypatch.setattr(_once, "SETTLE_SECONDS", 0.0)
    return memory


def failed_task(task_id: str, run_id: str = "manual__1") -> dict[str, object]:
    return task_context(
        task_id=task_id, run_id=run_id, dag_run=SimpleNamespace(dag_id="nightly", run_id=run_id)
    )


def notifier(**options: object) -> ClockworkNotifier:
    return ClockworkNotifier(
        **{
            "to": ONCALL,
            "content": "{{ ti.task_id }} failed",
            "once_per": "dag_run",
            "retry_delay": 0,
            **options,
        }
    )


def test_a_shared_notifier_texts_once_per_run_however_many_tasks_fail(clockwork_connection, store, log_text):
    alert = notifier()

    for task_id in ("extract", "transform", "load"):
        alert(failed_task(task_id))
    alert(failed_task("extract", run_id="manual__2"))

    assert [m["content"] for m in clockwork_connection.messages()] == ["extract failed", "extract failed"]
    assert "1 of 1 recipient(s) already alerted about run manual__1; not texted again" in log_text()
    assert all(ONCALL not in key and ONCALL not in str(value) for key, value in store.snapshot().items())


def test_an_alert_already_sent_in_the_run_says_nothing_of_a_cut(
    clockwork_connection, store, log_text, caplog
) -> None:
    long_alert = notifier(content="{{ ti.task_id }} failed: " + "x" * 300)

    long_alert(failed_task("extract"))
    assert "Clockwork alert cut to fit" in log_text()
    caplog.clear()
    long_alert(failed_task("load"))  # the run's on-call was texted: nothing goes out

    logged = log_text()
    assert len(clockwork_connection.messages()) == 1
    assert "already alerted" in logged
    assert "cut to fit" not in logged


def test_each_recipient_is_counted_on_its_own(clockwork_connection, store) -> None:
    notifier(to=ONCALL)(failed_task("extract"))
    notifier(to=f"{ONCALL},447700900456")(failed_task("load"))

    assert [(m["to"], m["content"]) for m in clockwork_connection.messages()] == [
        (ONCALL, "extract failed"),
        ("447700900456", "load failed"),
    ]


def test_an_alert_that_could_not_be_sent_leaves_the_next_failure_free_to_text(clockwork_connection, store):
    clockwork_connection.inject({"kind": "status", "status": 503, "times": 3})

    notifier()(failed_task("extract"))  # every attempt fails
    notifier()(failed_task("load"))

    assert [m["content"] for m in clockwork_connection.messages()] == ["load failed"]


def test_a_claim_left_by_a_callback_that_died_expires(clockwork_connection, store, monkeypatch) -> None:
    alerts = _once.RunAlerts("nightly", "manual__1", log=None)
    store.set(alerts.key(ONCALL), {"token": "dead", "state": "sending", "at": 0}, "left behind")

    notifier()(failed_task("load"))

    assert [m["content"] for m in clockwork_connection.messages()] == ["load failed"]


@pytest.mark.parametrize(
    ("outcome", "texts"),
    [
        pytest.param("withdrawn", 1, id="its-send-failed-so-this-one-texts"),
        pytest.param("sent", 0, id="it-sent"),
    ],
)
def test_a_send_under_way_elsewhere_is_waited_for(clockwork_connection, store, monkeypatch, outcome, texts):
    import time

    monkeypatch.setattr(_once, "POLL_SECONDS", 0.05)
    other = _once.RunAlerts("nightly", "manual__1", log=None)
    store.set(other.key(ONCALL), {"token": "other", "state": "sending", "at": time.time()}, "under way")

    def finish_elsewhere() -> None:
        time.sleep(0.3)
        if outcome == "sent":
            store.set(other.key(ONCALL), {"token": "other", "state": "sent", "at": time.time()}, "sent")
        else:
            store.delete(other.key(ONCALL))

    elsewhere = threading.Thread(target=finish_elsewhere)
    elsewhere.start()
    notifier(retry_within=10)(failed_task("load"))
    elsewhere.join(timeout=10)

    assert len(clockwork_connection.messages()) == texts


def test_two_tasks_failing_at_the_same_instant_text_once(clockwork_connection, store, monkeypatch) -> None:
    monkeypatch.setattr(_once, "SETTLE_SECONDS", 0.3)
    start = threading.Barrier(2)

    def fail(task_id: str) -> None:
        start.wait()
        notifier()(failed_task(task_id))

    callbacks = [threading.Thread(target=fail, args=(task_id,)) for task_id in ("extract", "load")]
    for callback in callbacks:
        callback.start()
    for callback in callbacks:
        callback.join(timeout=30)

    assert len(clockwork_connection.messages()) == 1


def test_an_unreadable_record_never_silences_the_alert(clockwork_connection, monkeypatch, log_text) -> None:
    class Broken(_once.MemoryAlertStore):
        def get(self, key):
            raise RuntimeError("metadata database unreachable")

    monkeypatch.setattr(_once, "default_store", Broken())

    notifier()(failed_task("extract"))

    assert len(clockwork_connection.messages()) == 1
    assert (
        "could not read or write the alert record (metadata database unreachable); sending anyway"
        in log_text()
    )
