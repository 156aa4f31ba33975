"""The notifier keeps an alert from being lost: cut to fit, retried while the failure may pass.

Against the emulator over HTTP, with its fault injection; ``retry_delay=0`` so nothing sleeps.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator

import pytest

from airflow_provider_clockwork.notifications._attempts import AlertDelivery, RetryPolicy
from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier
from tests.notifications.test_clockwork import task_context

ONCALL = "447700900123"
EXCEPTION = "ValueError: " + "row 17 has a malformed date; " * 20


def quick(**options: object) -> ClockworkNotifier:
    """A notifier that retries at once (tests never sleep)."""
    return ClockworkNotifier(**{"to": ONCALL, "retry_delay": 0, **options})


def test_over_long_alert_is_cut_to_fit_and_sent(clockwork_connection, log_text) -> None:
    quick(content="FAILED {{ ti.task_id }}: {{ params.error }}")(task_context(params={"error": EXCEPTION}))

    (text,) = clockwork_connection.messages()
    assert text["content"].startswith("FAILED load: ValueError: row 17 has a malformed date;")
    assert text["content"].endswith("...")
    assert (len(text["content"]), text["parts"]) == (160, 1)
    assert "Clockwork alert cut to fit" in log_text()


def test_unicode_alert_is_cut_to_70_and_a_long_one_to_201(clockwork_connection) -> None:
    quick(content="Сбой: " + "ошибка " * 30)(task_context())
    quick(content="Сбой: " + "ошибка " * 50, long=True)(task_context())

    short, joined = clockwork_connection.messages()
    assert (len(short["content"]), short["msg_type"], short["parts"]) == (70, "UCS2", 1)
    assert (len(joined["content"]), joined["msg_type"], joined["parts"]) == (201, "UCS2", 3)


def test_truncate_false_sends_nothing_and_says_why(clockwork_connection, log_text) -> None:
    quick(content=EXCEPTION, truncate=False)(task_context())

    assert clockwork_connection.requests() == []
    assert "over the 160 of one message" in log_text()


@pytest.mark.parametrize(
    ("fault", "texts", "in_doubt"),
    [
        pytest.param({"kind": "status", "status": 503}, 1, True, id="http-503"),
        pytest.param({"kind": "reset_before"}, 1, True, id="connection-reset"),
        pytest.param({"kind": "garbage"}, 1, True, id="unreadable-reply"),
        pytest.param({"kind": "request_error", "code": 3}, 1, False, id="transient-clockwork-code"),
        pytest.param({"kind": "status_after", "status": 500}, 2, True, id="sent-then-500"),
        pytest.param({"kind": "reset_after"}, 2, True, id="sent-then-reset"),
    ],
)
def test_a_failure_that_may_pass_is_tried_again(
    clockwork_connection, log_text, fault, texts, in_doubt
) -> None:
    # in_doubt: the client cannot tell whether Clockwork acted (the emulator shows whether it did).
    clockwork_connection.inject(fault)

    quick(content="load failed")(task_context())

    assert len(clockwork_connection.requests()) == 2
    assert [m["to"] for m in clockwork_connection.messages()] == [ONCALL] * texts
    logged = log_text()
    assert "Clockwork alert attempt 1 of 3 failed; trying 1 number(s) again" in logged
    assert "Clockwork alert sent to 1 number(s) in 2 attempt(s)." in logged
    twice = (
        "may have received the alert twice (an earlier attempt's outcome was unknown, so it was sent again)"
    )
    assert (f"{twice}: {ONCALL}" in logged) is in_doubt


def test_a_timeout_is_tried_again_within_the_time_allowed(monkeypatch, clockwork_emulator, log_text) -> None:
    connection = {"conn_type": "clockwork", "password": "test-key", "host": clockwork_emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))
    clockwork_emulator.inject({"kind": "delay", "seconds": 5})

    # Each request may take retry_within / attempts = 2 seconds, not the connection's 30.
    quick(content="load failed", retry_within=6)(task_context())

    assert len(clockwork_emulator.requests()) == 2
    assert "ReadTimeout" in log_text()


@pytest.fixture
def dropping_host() -> Iterator[str]:
    """A loopback URL whose connections are never accepted, as a firewall or a dead host drops them.

    Its listener's queue is full, so the kernel drops each new SYN and a connect waits out its timeout.
    """
    with socket.socket() as listener, socket.socket() as queued:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        queued.settimeout(5)
        queued.connect(listener.getsockname())
        try:
            socket.create_connection(listener.getsockname(), timeout=0.3).close()
        except TimeoutError:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        else:
            pytest.fail("this kernel accepts connections on a full listen queue: no host that drops them")


def test_a_host_that_drops_connections_gets_one_connect_try_per_attempt(
    monkeypatch, dropping_host, log_text
) -> None:
    connection = {"conn_type": "clockwork", "password": "test-key", "host": dropping_host}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))

    # Each attempt may take retry_within / attempts = 1 second, for one connect try (about three
    # attempts fit); the hook's three tries of 1 s would fill the window with one attempt.
    quick(content="load failed", attempts=4, retry_within=4)(task_context())

    logged = log_text()
    attempts = re.search(r"Clockwork alert not sent after (\d) attempt\(s\): Could not connect", logged)
    assert attempts is not None and int(attempts[1]) >= 2, logged
    assert "ConnectTimeoutError" in logged and "in 1 attempt(s)" in logged
    assert "in 3 attempt(s)" not in logged and "(try 1)" not in logged


def test_every_attempt_failing_is_logged_with_what_went_out(clockwork_connection, log_text) -> None:
    clockwork_connection.inject({"kind": "status", "status": 503, "times": 3})

    quick(content="load failed")(task_context())

    assert len(clockwork_connection.requests()) == 3
    assert clockwork_connection.messages() == []
    assert "Clockwork alert not sent after 3 attempt(s): Clockwork answered HTTP 503" in log_text()


def test_a_wrong_key_is_not_tried_again(monkeypatch, clockwork_emulator, log_text) -> None:
    connection = {"conn_type": "clockwork", "password": "wrong-key", "host": clockwork_emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))

    quick(content="load failed")(task_context())

    assert len(clockwork_emulator.requests()) == 1
    assert "not retried (a retry gets the same answer)" in log_text()


def test_a_refused_number_is_not_tried_again(clockwork_connection, log_text) -> None:
    clockwork_connection.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    quick(to=f"{ONCALL},447700900456", content="load failed")(task_context())

    assert len(clockwork_connection.requests()) == 1
    assert "447700900456: Error 10: Invalid 'To' Parameter" in log_text()


def test_only_numbers_without_an_answer_are_tried_again(clockwork_connection) -> None:
    numbers = [f"4477009{index:05d}" for index in range(60)]
    clockwork_connection.inject(
        {"kind": "status", "status": 502}, {"kind": "status", "status": 200, "body": "x"}
    )

    quick(to=numbers, content="load failed", attempts=4)(task_context())

    texted = [m["to"] for m in clockwork_connection.messages()]
    assert sorted(texted) == sorted(numbers)  # each once: the batch that got IDs is not sent again


def test_no_recipient_anywhere_is_logged_and_nothing_sent(clockwork_connection, log_text) -> None:
    ClockworkNotifier(content="load failed")(task_context())

    assert clockwork_connection.requests() == []
    assert "No recipient: 'to' is not given" in log_text()


def test_the_connection_recipient_is_texted_when_to_is_not_given(monkeypatch, clockwork_emulator) -> None:
    connection = {"conn_type": "clockwork", "password": "test-key", "host": clockwork_emulator.url}
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps({**connection, "extra": {"to": "+44 7700 900999"}})
    )

    ClockworkNotifier(content="load failed")(task_context())
    ClockworkNotifier(to=ONCALL, content="load failed")(task_context())

    assert [m["to"] for m in clockwork_emulator.messages()] == ["447700900999", ONCALL]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        pytest.param({"attempts": 0}, "attempts 0", id="no-attempts"),
        pytest.param({"retry_delay": -1}, "retry_delay -1", id="negative-delay"),
        pytest.param({"retry_within": "a minute"}, "retry_within 'a minute'", id="text-window"),
        pytest.param({"retry_within": 0}, "retry_within 0 must be at least 1 second", id="no-window"),
        pytest.param({"once_per": "task"}, "once_per 'task'", id="unknown-once-per"),
    ],
)
def test_bad_options_are_named_when_the_dag_is_parsed(options, named) -> None:
    with pytest.raises(ValueError, match=named):
        ClockworkNotifier(to=ONCALL, content="x", **options)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_attempt_starts_after_the_time_allowed() -> None:
    import logging

    clock = FakeClock()
    delivery = AlertDelivery(
        [ONCALL], RetryPolicy(attempts=10, delay=5, within=60), logging.getLogger(), clock
    )
    waits = []
    while (wait := delivery.next_wait()) is not None:
        waits.append(wait)
        clock.now += wait + 1  # each attempt takes a second, and fails

    assert waits == [0.0, 5.0, 10.0, 20.0]  # a fifth would start 40 s later, past the minute


@pytest.mark.parametrize(
    ("policy", "timeouts"),
    [
        pytest.param(RetryPolicy(), [15.0, 15.0, 15.0], id="default: (60 - 5 - 10) / 3"),
        pytest.param(RetryPolicy(attempts=10, delay=5, within=60), [6.25] * 4, id="ten-asked-four-fit"),
        pytest.param(RetryPolicy(attempts=2, delay=0, within=90), [30.0, 30.0], id="the-connection's-30"),
    ],
)
def test_a_clockwork_that_never_answers_costs_an_alert_at_most_the_time_allowed(policy, timeouts) -> None:
    import logging

    clock = FakeClock()
    delivery = AlertDelivery([ONCALL], policy, logging.getLogger(), clock)
    used = []
    while (wait := delivery.next_wait()) is not None:
        clock.now += wait
        used.append(delivery.request_timeout(configured=30.0))
        clock.now += used[-1]  # the request hangs until its timeout

    assert used == timeouts
    assert clock.now <= policy.within
