"""How the hook's batches are posted and reported: in turn or by worker threads, with progress logs.

A send's batches end in one result, or in one exception that says what went out.

The hook builds each batch's request; this module only decides when requests start
and hands their outcomes back to the calling thread, which alone talks to Airflow
(its task API is not thread-safe).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from airflow_provider_clockwork.exceptions import ClockworkSendError
from airflow_provider_clockwork.protocol.results import SendResult

BatchOutcome = SendResult | Exception
"""What one batch came to: Clockwork's answer, or the exception its request raised."""
Item = TypeVar("Item")
"""What a batch holds: numbers, or a personalised send's messages."""
Arrivals = Generator[list[tuple[int, BatchOutcome]], None, None]

PROGRESS_EVERY_SECONDS = 10.0
"""A long send logs its progress at INFO this often; each batch is logged at DEBUG."""


def attempt(send_one: Callable[[list[Item]], SendResult], group: list[Item]) -> BatchOutcome:
    """One batch's request; its exception is returned, so the calling thread decides."""
    try:
        return send_one(group)
    except Exception as error:
        return error


def sequential_outcomes(groups: list[list[Item]], send_one: Callable[[list[Item]], SendResult]) -> Arrivals:
    """Each batch's outcome in turn; after a failure no further batch starts."""
    for index, group in enumerate(groups):
        outcome = attempt(send_one, group)
        yield [(index, outcome)]
        if isinstance(outcome, Exception):
            return


def concurrent_outcomes(
    groups: list[list[Item]], send_one: Callable[[list[Item]], SendResult], workers: int
) -> Arrivals:
    """
    Batches posted by ``workers`` threads, each taking the next batch as soon as its
    request is answered, so a slow caller never holds requests back.

    Yields, in the calling thread, every outcome that arrived since the last yield.
    Once a request fails no batch starts; the requests in flight finish and are
    yielded. Closing the generator early (the caller raised) also starts nothing
    more and waits for the requests in flight.
    """
    arrived: queue.SimpleQueue[tuple[int, BatchOutcome] | None] = queue.SimpleQueue()
    waiting = iter(enumerate(groups))
    lock = threading.Lock()
    stopped = False

    def next_group() -> tuple[int, list[Item]] | None:
        with lock:
            return None if stopped else next(waiting, None)

    def stop() -> None:
        nonlocal stopped
        with lock:
            stopped = True

    def post_until_done() -> None:
        try:
            while (item := next_group()) is not None:
                outcome = attempt(send_one, item[1])
                if isinstance(outcome, Exception):
                    stop()
                arrived.put((item[0], outcome))
        finally:
            arrived.put(None)  # this worker is done

    threads = [
        threading.Thread(target=post_until_done, name=f"clockwork-send-{number}", daemon=True)
        for number in range(workers)
    ]
    for thread in threads:
        thread.start()
    running = workers
    try:
        while running:
            items = [arrived.get()]
            while not arrived.empty():
                items.append(arrived.get())
            running -= items.count(None)
            outcomes = [item for item in items if item is not None]
            if outcomes:
                yield outcomes
    finally:
        stop()
        for thread in threads:
            thread.join()


def answer_of(
    index: int,
    outcome: BatchOutcome,
    size: int,
    progress: BatchProgress,
    failures: list[tuple[int, Exception]],
) -> SendResult | None:
    """What one batch obtained (a failed request may carry IDs too); failures go to ``failures``."""
    if isinstance(outcome, ClockworkSendError):
        failures.append((index, outcome))
        return outcome.result
    if isinstance(outcome, Exception):
        failures.append((index, outcome))
        return None
    progress.answered_batch(index, size, outcome)
    return outcome


def combined_failure(
    groups: list[list[Item]],
    answers: dict[int, SendResult],
    failures: list[tuple[int, Exception]],
    result: SendResult,
    label: Callable[[Item], str],
) -> Exception:
    """
    The one exception a failed send raises: the first failure seen, completed.

    Its ``result`` becomes every ID obtained, ``unknown`` the numbers in doubt in
    every failed request, and ``unsent`` the numbers no request carried (or that a
    refused request carried), in recipient order. Anything but a
    ``ClockworkSendError`` first (a bug, not Clockwork) is raised as it is.
    """
    first = failures[0][1]
    if not isinstance(first, ClockworkSendError):
        return first
    failed = dict(failures)
    unknown: list[str] = []
    unsent: list[str] = []
    for index, group in enumerate(groups):
        error = failed.get(index)
        if isinstance(error, ClockworkSendError):
            unknown.extend(error.unknown)
            unsent.extend(error.unsent)
        elif error is not None:
            unknown.extend(map(label, group))  # its request failed in an unexpected way
        elif index not in answers:
            unsent.extend(map(label, group))
    first.result, first.unknown, first.unsent = result, unknown, unsent
    others = [error for _, error in failures if error is not first]
    if others:
        first.reason += " Other requests in flight failed too: " + " ".join(
            (error.reason if isinstance(error, ClockworkSendError) else repr(error)) for error in others
        )
    return first


class BatchProgress:
    """
    What a send logs as its answers come in: each batch at DEBUG, a count at INFO
    every :data:`PROGRESS_EVERY_SECONDS`, and a summary at INFO at the end.

    A line per request at INFO would cost a 20,000-number send 400 lines, and inside
    a task every line is a message to Airflow's supervisor.
    """

    def __init__(self, log: logging.Logger | Any, total: int, clock: Callable[[], float] = time.monotonic):
        self.log = log
        self.total = total
        self.answered = 0
        self.accepted = 0
        self.refused = 0
        self.clock = clock
        self._last_report = clock()

    def answered_batch(self, index: int, size: int, answer: SendResult) -> None:
        self.answered += 1
        self.accepted += len(answer.message_ids)
        self.refused += len(answer.errors)
        self.log.debug(
            "Batch %d/%d: Clockwork accepted %d of %d.", index + 1, self.total, len(answer.message_ids), size
        )
        now = self.clock()
        if self.answered < self.total and now - self._last_report >= PROGRESS_EVERY_SECONDS:
            self._last_report = now
            self.log.info(
                "%d of %d request(s) answered so far: Clockwork accepted %d, refused %d.",
                self.answered,
                self.total,
                self.accepted,
                self.refused,
            )

    def finished(self) -> None:
        self.log.info(
            "%d of %d request(s) answered: Clockwork accepted %d, refused %d.",
            self.answered,
            self.total,
            self.accepted,
            self.refused,
        )
