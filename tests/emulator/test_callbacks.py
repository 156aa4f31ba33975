"""The callback worker on its own: bounded tries and timeouts, order, waiting, stopping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_clockwork.emulator.callbacks import Callback, CallbackWorker, check_callback_url

from .receiver import Receiver

TIMEOUT = 5.0


class Tries:
    """Collects what the worker reports for each try."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int | None, str | None]] = []

    def __call__(self, attempt: int, http_status: int | None, error: str | None) -> None:
        self.seen.append((attempt, http_status, error))


def started_worker(timeout: float, tries: int) -> Iterator[CallbackWorker]:
    started = CallbackWorker(announce=lambda line: None, timeout=timeout, tries=tries)
    started.start()
    yield started
    started.stop(TIMEOUT)


@pytest.fixture
def worker() -> Iterator[CallbackWorker]:
    yield from started_worker(TIMEOUT, tries=2)


@pytest.fixture
def impatient_worker() -> Iterator[CallbackWorker]:
    """Gives up on a call after half a second: for a receiver that never answers."""
    yield from started_worker(0.5, tries=2)


def call(url: str, tries: Tries, method: str = "POST", body: bytes | None = b"x=1") -> Callback:
    return Callback(method, url, body, "application/x-www-form-urlencoded", tries, "test call")


def test_calls_are_made_in_order(worker: CallbackWorker, receiver: Receiver) -> None:
    tries = Tries()
    for index in range(5):
        worker.submit(call(f"{receiver.url}/{index}", tries))

    assert worker.wait_idle(TIMEOUT)
    assert [request.path for request in receiver.received()] == [f"/{index}" for index in range(5)]
    assert tries.seen == [(1, 200, None)] * 5


def test_a_receiver_that_does_not_answer_times_out_each_try(
    impatient_worker: CallbackWorker, receiver: Receiver
) -> None:
    receiver.hold = True
    tries = Tries()

    impatient_worker.submit(call(receiver.url, tries))

    assert impatient_worker.wait_idle(TIMEOUT * 2)
    assert [(attempt, status) for attempt, status, _ in tries.seen] == [(1, None), (2, None)]
    assert all("no answer within 0.5 s" in (error or "") for _, _, error in tries.seen)


def test_stop_drops_queued_calls_and_refuses_new_ones(receiver: Receiver) -> None:
    receiver.hold = True
    worker = CallbackWorker(announce=lambda line: None, timeout=TIMEOUT, tries=3)
    worker.start()
    tries = Tries()
    for _ in range(3):
        worker.submit(call(receiver.url, tries))
    assert receiver.wait_for(1)

    worker.stop(TIMEOUT)

    assert worker.wait_idle(0)
    assert [(attempt, status) for attempt, status, _ in tries.seen] == [(1, None)]
    assert not worker.submit(call(receiver.url, tries))


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/dlr", "https://example.com/dlr?x=1", "HTTP://example.com", " http://h/ "],
)
def test_callback_urls_it_calls(url: str) -> None:
    assert check_callback_url(url) == url.strip()


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com", "http://", "example.com/dlr", "http://h:99999/", ""]
)
def test_callback_urls_it_refuses(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        check_callback_url(url)
