"""Concurrent batches against the emulator (with latency): the same outcome as one at a time, bounded.

Overlap is read from the emulator's request records (``in_flight``: send requests being
answered when each one arrived), never from wall-clock time.
"""

from __future__ import annotations

import json
import math
import os
import threading

import pytest

from airflow_provider_clockwork.connection import DEFAULT_MAX_CONCURRENT_REQUESTS
from airflow_provider_clockwork.exceptions import (
    ClockworkConfigError,
    ClockworkRequestError,
    ClockworkSendError,
    ClockworkTransportError,
)
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator
from airflow_provider_clockwork.protocol.recipients import batches
from airflow_provider_clockwork.protocol.results import SendResult
from tests.conftest import TEST_KEY

NUMBERS = [f"4477009{index:05d}" for index in range(1000)]
LATENCY = 0.1
OVERLAP_LATENCY = 0.3  # long enough that every worker's request arrives while the others are held


def use_connection(monkeypatch: pytest.MonkeyPatch, emulator, **extra: object) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLOCKWORK_DEFAULT",
        json.dumps({"conn_type": "clockwork", "password": TEST_KEY, "host": emulator.url, "extra": extra}),
    )


def peak_in_flight(emulator) -> int:
    return max(request["in_flight"] for request in emulator.requests())


def ids_by_number(emulator) -> dict[str, str]:
    return {message["to"]: message["id"] for message in emulator.messages()}


def send_and_record(
    emulator, workers: int, numbers: list[str], refused: str | None
) -> tuple[SendResult, list[dict]]:
    emulator.reset()
    if refused is not None:
        emulator.refuse(refused, code=10, description="Invalid 'To' Parameter")
    result = ClockworkHook(max_concurrent_requests=workers).send_sms(numbers, "Nightly load done")
    return result, emulator.requests()


@pytest.mark.parametrize("count", [1, 50, 51, 500])
def test_concurrent_and_sequential_sends_give_the_same_result(clockwork_connection, count) -> None:
    emulator = clockwork_connection
    emulator.latency = LATENCY
    numbers = NUMBERS[:count]
    refused = numbers[count // 2] if count > 1 else None

    outcomes = {}
    for workers in (1, DEFAULT_MAX_CONCURRENT_REQUESTS):
        result, requests = send_and_record(emulator, workers, numbers, refused)
        outcomes[workers] = (result, requests)
        assert len(requests) == math.ceil(count / 50)
        assert sorted(request["numbers"] for request in requests) == sorted(batches(numbers))
        assert result.message_ids == ids_by_number(emulator)
        assert list(result.message_ids) == [n for n in numbers if n != refused]  # recipient order

    (sequential, sequential_requests), (concurrent, _) = (
        outcomes[1],
        outcomes[DEFAULT_MAX_CONCURRENT_REQUESTS],
    )
    assert list(sequential.message_ids) == list(concurrent.message_ids)
    assert sequential.errors == concurrent.errors
    assert list(sequential.errors) == ([refused] if refused else [])
    assert [request["in_flight"] for request in sequential_requests] == [1] * len(sequential_requests)


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_requests_overlap_within_the_bound_over_reused_connections(
    clockwork_connection, workers
) -> None:
    emulator = clockwork_connection
    emulator.latency = OVERLAP_LATENCY
    hook = ClockworkHook(max_concurrent_requests=workers)

    result = hook.send_sms(NUMBERS[:500], "broadcast")

    requests = emulator.requests()
    assert len(requests) == 10
    assert 2 <= peak_in_flight(emulator) <= workers
    assert len({request["client_port"] for request in requests}) <= workers  # kept-alive connections
    assert list(result.message_ids) == NUMBERS[:500]


@pytest.mark.parametrize(
    ("extra", "argument", "expected"),
    [
        pytest.param({}, None, DEFAULT_MAX_CONCURRENT_REQUESTS, id="default"),
        pytest.param({"max_concurrent_requests": "6"}, None, 6, id="connection-extra"),
        pytest.param({"max_concurrent_requests": 6}, 2, 2, id="argument-overrides"),
        pytest.param({}, 1, 1, id="sequential"),
    ],
)
def test_the_session_pool_holds_one_connection_per_request_in_flight(
    monkeypatch, clockwork_emulator, extra, argument, expected
) -> None:
    use_connection(monkeypatch, clockwork_emulator, **extra)
    hook = ClockworkHook(max_concurrent_requests=argument)

    adapter = hook.get_conn().get_adapter(clockwork_emulator.url)

    assert hook.max_concurrent_requests == expected
    assert adapter._pool_maxsize == expected
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == expected


@pytest.mark.parametrize("value", [0, -1, 33, 2.5, "four", True])
def test_a_bad_hook_argument_is_named_before_any_request(clockwork_connection, value) -> None:
    with pytest.raises(ClockworkConfigError) as raised:
        ClockworkHook(max_concurrent_requests=value)

    assert repr(value) in str(raised.value)
    assert "max_concurrent_requests" in str(raised.value)
    assert clockwork_connection.requests() == []


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        pytest.param(
            {"kind": "status", "status": 502, "body": ""}, ClockworkTransportError, id="502-unknown"
        ),
        pytest.param({"kind": "request_error", "code": 2}, ClockworkRequestError, id="refused-request"),
    ],
)
@pytest.mark.parametrize("workers", [1, 4])
def test_failure_mid_way_stops_new_requests_and_accounts_for_every_number(
    clockwork_connection, workers, fault, error_type
) -> None:
    emulator = clockwork_connection
    emulator.latency = LATENCY
    emulator.inject({"kind": "delay", "seconds": 0, "times": 5}, fault)  # the 6th request to arrive fails
    main_thread = threading.get_ident()
    seen: list[tuple[int, SendResult]] = []

    with pytest.raises(ClockworkSendError) as raised:
        ClockworkHook(max_concurrent_requests=workers).send_message(
            NUMBERS,
            ClockworkHook().prepare(NUMBERS[:1], "broadcast")[1],
            on_batch=lambda answer: seen.append((threading.get_ident(), answer)),
        )

    error = raised.value
    assert type(error) is error_type
    requests = emulator.requests()
    (failing,) = [request for request in requests if request["fault"] and request["fault"]["kind"] != "delay"]
    requested = {number for request in requests for number in request["numbers"]}
    ids = ids_by_number(emulator)

    # Requests in flight when the failure came back finished, and their IDs count.
    assert error.result.message_ids == ids
    assert set(ids) == requested - set(failing["numbers"])
    assert list(error.result.message_ids) == [n for n in NUMBERS if n in ids]
    # The failed batch is in doubt (it may have reached Clockwork) or not sent (refused as a whole).
    if error_type is ClockworkTransportError:
        assert error.unknown == failing["numbers"]
        assert error.unsent == [n for n in NUMBERS if n not in requested]
    else:
        assert error.unknown == []
        assert error.unsent == [n for n in NUMBERS if n not in requested or n in failing["numbers"]]
    assert len(requests) < len(batches(NUMBERS))  # no new request after the failure
    assert sorted([*error.result.message_ids, *error.unknown, *error.unsent]) == NUMBERS
    # Every answer went to on_batch, in the calling thread only.
    assert {thread for thread, _ in seen} == {main_thread}
    assert {n: i for _, answer in seen for n, i in answer.message_ids.items()} == ids
    if workers == 1:
        assert list(ids) == NUMBERS[:250]
        assert failing["numbers"] == NUMBERS[250:300]


def test_operator_xcom_is_the_same_whatever_the_concurrency(clockwork_connection) -> None:
    emulator = clockwork_connection
    emulator.latency = LATENCY
    numbers = NUMBERS[:230]
    returned = {}
    for workers in (1, 4):
        emulator.reset()
        operator = ClockworkSendSmsOperator(
            task_id="text", to=numbers, content="Load done", max_concurrent_requests=workers
        )
        returned[workers] = operator.execute(context={})
        assert returned[workers] == ids_by_number(emulator)
        assert list(returned[workers]) == numbers

    assert list(returned[1]) == list(returned[4])


@pytest.mark.parametrize(("argument", "expected_peak"), [(None, 1), (4, None)])
def test_operator_argument_overrides_the_connection(monkeypatch, clockwork_emulator, argument, expected_peak):
    clockwork_emulator.latency = OVERLAP_LATENCY
    use_connection(monkeypatch, clockwork_emulator, max_concurrent_requests=1)
    operator = ClockworkSendSmsOperator(
        task_id="text", to=NUMBERS[:200], content="Load done", max_concurrent_requests=argument
    )

    operator.execute(context={})

    if expected_peak is not None:
        assert peak_in_flight(clockwork_emulator) == expected_peak
    else:
        assert 2 <= peak_in_flight(clockwork_emulator) <= argument


def test_operator_checks_its_argument_when_it_runs_not_at_parse_time(clockwork_connection) -> None:
    operator = ClockworkSendSmsOperator(
        task_id="text", to="447700900123", content="hi", max_concurrent_requests=0
    )

    with pytest.raises(ClockworkConfigError, match="max_concurrent_requests"):
        operator.execute(context={})

    assert clockwork_connection.requests() == []


def test_an_unexpected_error_in_a_worker_still_lets_requests_in_flight_report(
    clockwork_connection, monkeypatch
) -> None:
    clockwork_connection.latency = LATENCY
    real_send_batch = ClockworkHook.send_batch

    def send_batch(self, numbers, message):
        if NUMBERS[100] in numbers:
            raise RuntimeError("a bug, not Clockwork")
        return real_send_batch(self, numbers, message)

    monkeypatch.setattr(ClockworkHook, "send_batch", send_batch)
    main_thread = threading.get_ident()
    seen: list[tuple[int, SendResult]] = []

    with pytest.raises(RuntimeError, match="a bug"):
        ClockworkHook(max_concurrent_requests=4).send_message(
            NUMBERS[:500],
            ClockworkHook().prepare(NUMBERS[:1], "broadcast")[1],
            on_batch=lambda answer: seen.append((threading.get_ident(), answer)),
        )

    ids = ids_by_number(clockwork_connection)
    assert {n: i for _, answer in seen for n, i in answer.message_ids.items()} == ids
    assert {thread for thread, _ in seen} == {main_thread}
    assert len(clockwork_connection.requests()) < 9


def code_run_by_workers(send) -> tuple[set[str], set[str]]:
    """What ``clockwork-send`` worker threads ran while ``send()`` ran: their names, and the
    Airflow functions they entered."""
    workers: set[str] = set()
    entered: set[str] = set()
    airflow_dir = f"{os.sep}airflow{os.sep}"

    def profile(frame, event, arg) -> None:
        name = threading.current_thread().name
        if not name.startswith("clockwork-send"):
            return  # e.g. the emulator's own threads
        workers.add(name)
        if event == "call" and airflow_dir in frame.f_code.co_filename:
            entered.add(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    threading.setprofile(profile)  # applies to threads started from now on
    try:
        send()
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    return workers, entered


@pytest.mark.parametrize(
    "sender", [pytest.param(None, id="no-sender"), pytest.param("Ops", id="with-sender")]
)
def test_worker_threads_only_post_whatever_the_arguments(monkeypatch, clockwork_emulator, sender) -> None:
    # The connection is read (get_connection, mask_secret) in the calling thread before any worker starts.
    use_connection(monkeypatch, clockwork_emulator, sender="Default")
    hook = ClockworkHook(max_concurrent_requests=4)

    workers, entered = code_run_by_workers(lambda: hook.send_sms(NUMBERS[:120], "Nightly load done", sender))

    assert len(clockwork_emulator.messages()) == 120
    assert len(workers) == 3  # one per batch of 50
    assert entered == set()


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def debug(self, message: str, *args: object) -> None:
        self.lines.append(("debug", message % args))

    def info(self, message: str, *args: object) -> None:
        self.lines.append(("info", message % args))


def test_a_long_send_logs_counts_at_info_every_few_seconds_and_each_batch_only_at_debug():
    """400 requests must not mean 400 INFO lines: inside a task each is a message to Airflow."""
    from airflow_provider_clockwork.hooks._batches import PROGRESS_EVERY_SECONDS, BatchProgress

    seconds = iter(range(0, 10_000, 3))  # each reading of the clock is 3 s after the last
    log = RecordingLog()
    progress = BatchProgress(log, 40, clock=lambda: next(seconds))
    for index in range(40):
        progress.answered_batch(index, 50, SendResult(message_ids={f"4477009{index:05d}": "VE1"}))
    progress.finished()

    info = [line for level, line in log.lines if level == "info"]
    debug = [line for level, line in log.lines if level == "debug"]
    assert debug[0] == "Batch 1/40: Clockwork accepted 1 of 50." and len(debug) == 40
    assert info[-1] == "40 of 40 request(s) answered: Clockwork accepted 40, refused 0."
    # 40 batches over about 40 x 3 s: a progress line every PROGRESS_EVERY_SECONDS, not one per batch.
    assert 3 <= len(info) - 1 <= 40 * 3 / PROGRESS_EVERY_SECONDS
    assert all("answered so far" in line for line in info[:-1])


def test_a_send_ends_with_one_summary_line(monkeypatch, log_text):
    from airflow_provider_clockwork.emulator import ClockworkEmulator

    with ClockworkEmulator(keys=(TEST_KEY,), credit=10**6) as emulator:
        use_connection(monkeypatch, emulator)
        ClockworkHook().send_sms(NUMBERS[:120], "Nightly load done")

    assert "3 of 3 request(s) answered: Clockwork accepted 120, refused 0." in log_text()
