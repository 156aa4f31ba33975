"""An alert's send, tried again while the failure may pass: Airflow never retries a callback.

:class:`AlertDelivery` decides, attempt by attempt, what is sent next and how long to
wait first; the notifier drives it with ``time.sleep`` in a callback and with
``asyncio.sleep`` in the triggerer, so both behave the same. What is retried: a request
that failed as a whole for a reason that may pass (connection error, timeout, HTTP 5xx,
an unreadable reply, a transient Clockwork code), including one whose outcome is unknown
(an alert that may arrive twice beats one that never arrives). What is not: a permanent
refusal (wrong key), and per-number refusals (an invalid number stays invalid).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from airflow_provider_clockwork.exceptions import ClockworkSendError
from airflow_provider_clockwork.protocol.results import SendResult

DEFAULT_ATTEMPTS = 3
DEFAULT_RETRY_DELAY = 5.0
DEFAULT_RETRY_WITHIN = 60.0
MIN_REQUEST_SECONDS = 1.0
"""No attempt starts with less time than this left, and no request gets a shorter timeout."""


def _seconds(value: float | timedelta, name: str) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
        raise ValueError(f"{name} {value!r} must be a number of seconds (or a timedelta), 0 or more.")
    return float(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard an alert tries: ``attempts`` in all, waiting ``delay`` seconds before the second
    and twice as long before each next one, every attempt ended within ``within`` seconds of the
    first one's start: each request may take at most its share (see :meth:`request_share`)."""

    attempts: int = DEFAULT_ATTEMPTS
    delay: float = DEFAULT_RETRY_DELAY
    within: float = DEFAULT_RETRY_WITHIN

    @classmethod
    def checked(cls, attempts: Any, delay: float | timedelta, within: float | timedelta) -> RetryPolicy:
        """The policy, or ``ValueError`` naming the bad argument (raised when the DAG is parsed)."""
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValueError(f"attempts {attempts!r} must be a whole number, 1 or more.")
        window = _seconds(within, "retry_within")
        if window < MIN_REQUEST_SECONDS:
            raise ValueError(
                f"retry_within {within!r} must be at least {MIN_REQUEST_SECONDS:g} second: "
                "every attempt must end within it."
            )
        return cls(attempts, _seconds(delay, "retry_delay"), window)

    def wait_before(self, attempt: int) -> float:
        return 0.0 if attempt <= 1 else self.delay * 2 ** (attempt - 2)

    def attempts_that_fit(self) -> int:
        """How many attempts can start within ``within`` when each fails at once."""
        count, waited = 1, 0.0
        while count < self.attempts and waited + self.wait_before(count + 1) <= self.within:
            count += 1
            waited += self.wait_before(count)
        return count

    def request_share(self) -> float:
        """Seconds a request may take so that those attempts and the waits between them end within
        ``within``, however long Clockwork takes to answer (15 s by default: (60 - 5 - 10) / 3)."""
        count = self.attempts_that_fit()
        waits = sum(self.wait_before(attempt) for attempt in range(2, count + 1))
        return max((self.within - waits) / count, MIN_REQUEST_SECONDS)


class AlertDelivery:
    """One alert's attempts: what went out, what is still to send, who may get it twice."""

    def __init__(
        self,
        numbers: Sequence[str],
        policy: RetryPolicy,
        log: Any,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.numbers = list(numbers)
        self.pending = list(numbers)
        self.policy = policy
        self.log = log
        self.clock = clock
        self.result = SendResult()
        self.in_doubt: list[str] = []
        """Numbers an attempt may have texted although no ID came back."""
        self.failure: ClockworkSendError | None = None
        self.attempt = 0
        self.started = clock()

    def next_wait(self) -> float | None:
        """Seconds to wait before the next attempt; None when the alert is done or out of attempts."""
        if not self.pending or self.attempt >= self.policy.attempts:
            return None
        wait = self.policy.wait_before(self.attempt + 1)
        if self.attempt and self.clock() + wait - self.started > self.policy.within - MIN_REQUEST_SECONDS:
            return None
        self.attempt += 1
        return wait

    def request_timeout(self, configured: float) -> float:
        """The connection's timeout for this attempt, cut to its share and to the time left."""
        left = self.policy.within - (self.clock() - self.started)
        return min(configured, self.policy.request_share(), max(left, MIN_REQUEST_SECONDS))

    def succeeded(self, answer: SendResult) -> None:
        self.result.update(answer)
        self.pending = []
        self.failure = None

    def failed(self, error: ClockworkSendError) -> None:
        """An attempt failed as a whole: keep its IDs, retry what was not answered unless it is permanent."""
        self.result.update(error.result)
        self.failure = error
        self.in_doubt.extend(number for number in error.unknown if number not in self.in_doubt)
        self.pending = [] if error.permanent else [*error.unknown, *error.unsent]
        if error.permanent:
            self.log.error(
                "Clockwork alert not sent, and not retried (a retry gets the same answer): %s", error
            )
        elif self.attempt < self.policy.attempts:
            self.log.warning(
                "Clockwork alert attempt %d of %d failed; trying %d number(s) again: %s",
                self.attempt,
                self.policy.attempts,
                len(self.pending),
                error,
            )

    def report(self) -> None:
        """The final log lines: refusals, what never went out, who may have the alert twice."""
        if self.result.errors:
            self.log.error(
                "Clockwork refused the alert for %d number(s): %s",
                len(self.result.errors),
                self.result.describe_errors(),
            )
        if self.pending and self.failure is not None:
            self.log.error("Clockwork alert not sent after %d attempt(s): %s", self.attempt, self.failure)
        twice = [number for number in self.in_doubt if number in self.result.message_ids]
        if twice:
            self.log.warning(
                "These number(s) may have received the alert twice (an earlier attempt's outcome was "
                "unknown, so it was sent again): %s",
                ", ".join(twice),
            )
        if self.result.message_ids:
            self.log.info(
                "Clockwork alert sent to %d number(s) in %d attempt(s).",
                len(self.result.message_ids),
                self.attempt,
            )
