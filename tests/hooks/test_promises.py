"""The hook's promises, counted where they happen: connect attempts, and replies that do not
match the request.

A refused connection leaves no trace at the server, so the attempts are counted from both
ends: each backoff the hook sleeps is one refused attempt, and the emulator that comes up
on the same port counts the requests that reached it.
"""

from __future__ import annotations

import re
import socket
import types
from collections.abc import Iterator

import pytest

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.exceptions import ClockworkConfigError, ClockworkTransportError
from airflow_provider_clockwork.hooks import clockwork as hook_module
from airflow_provider_clockwork.hooks.clockwork import (
    CONNECT_ATTEMPTS,
    CONNECT_BACKOFF_SECONDS,
    ClockworkHook,
)
from airflow_provider_clockwork.protocol.results import SendResult
from tests.conftest import TEST_KEY
from tests.hooks.test_clockwork import use_connection

A, B, C = "447700900123", "447700900456", "447700900789"
OUTSIDER = "447700900999"


class LateServer:
    """A loopback port that refuses connections until the hook's ``up_after``-th backoff, when an
    emulator starts on it. Until then a socket holds the port bound but not listening: the kernel
    answers each connection attempt with a reset, exactly as for a server that is down."""

    def __init__(self, up_after: int | None) -> None:
        self.up_after = up_after
        self.backoffs: list[float] = []
        self.emulator: ClockworkEmulator | None = None
        self._placeholder = socket.socket()
        self._placeholder.bind(("127.0.0.1", 0))
        self.port = self._placeholder.getsockname()[1]

    def sleep(self, seconds: float) -> None:
        """Stands in for the hook's backoff: one call per refused attempt."""
        self.backoffs.append(seconds)
        if len(self.backoffs) == self.up_after:
            self._placeholder.close()
            self.emulator = ClockworkEmulator(port=self.port, keys=(TEST_KEY,)).start()

    def close(self) -> None:
        self._placeholder.close()
        if self.emulator is not None:
            self.emulator.stop()


@pytest.fixture
def late_server(request, monkeypatch) -> Iterator[LateServer]:
    server = LateServer(up_after=request.param)
    monkeypatch.setattr(hook_module, "time", types.SimpleNamespace(sleep=server.sleep))
    use_connection(monkeypatch, password=TEST_KEY, host=f"http://127.0.0.1:{server.port}")
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("late_server", [1, 2], indirect=True, ids=["up-for-attempt-2", "up-for-attempt-3"])
def test_a_server_that_comes_up_between_attempts_gets_the_send(late_server) -> None:
    result = ClockworkHook().send_sms([A, B], "Nightly load done")

    assert late_server.emulator is not None
    (request,) = late_server.emulator.requests()
    assert request["numbers"] == [A, B]
    assert result.message_ids == {m["to"]: m["id"] for m in late_server.emulator.messages()}
    refused = late_server.up_after
    assert late_server.backoffs == [CONNECT_BACKOFF_SECONDS * n for n in range(1, refused + 1)]


@pytest.mark.parametrize("late_server", [None], indirect=True, ids=["never-up"])
def test_a_server_that_stays_down_is_tried_three_times_and_nothing_is_sent(late_server) -> None:
    with pytest.raises(
        ClockworkTransportError, match=r"Could not connect to Clockwork at .* in 3 attempt\(s\)"
    ):
        ClockworkHook().send_sms([A, B], "Nightly load done")

    assert len(late_server.backoffs) == CONNECT_ATTEMPTS - 1 == 2


@pytest.mark.parametrize("late_server", [None], indirect=True, ids=["never-up"])
def test_the_message_counts_the_attempts_made_not_the_limit(late_server) -> None:
    with pytest.raises(ClockworkTransportError, match=r"in 2 attempt\(s\)\.") as raised:
        ClockworkHook(connect_attempts=2).send_sms([A], "hi")

    assert (raised.value.unsent, raised.value.unknown) == ([A], [])
    assert len(late_server.backoffs) == 1


@pytest.mark.parametrize("value", [0, -1, True, "3", 1.5])
def test_connect_attempts_must_be_a_whole_number_of_one_or_more(value) -> None:
    with pytest.raises(
        ClockworkConfigError, match=rf"'connect_attempts' must be .*, not {re.escape(repr(value))}\."
    ):
        ClockworkHook(connect_attempts=value)


# A reply that does not match the request: the emulator sends the given body as its answer.


def send_with_reply(clockwork_emulator: ClockworkEmulator, body: str) -> SendResult:
    clockwork_emulator.inject({"kind": "garbage", "body": body})
    return ClockworkHook().send_sms([A, B], "hi")


def test_a_number_outside_the_request_is_ignored_and_the_silent_one_is_unknown(
    clockwork_connection, clockwork_emulator
) -> None:
    with pytest.raises(ClockworkTransportError, match="gave no ID and no error for some numbers") as raised:
        send_with_reply(clockwork_emulator, f"To: {A} ID: AB_1 To: {OUTSIDER} ID: AB_2")

    error = raised.value
    assert error.result.message_ids == {A: "AB_1"}
    assert error.unknown == [B]
    assert OUTSIDER not in error.result.answered()
    assert f"may have been texted): {B}." in str(error)


def test_a_number_outside_the_request_never_gets_an_id_even_when_all_are_answered(
    clockwork_connection, clockwork_emulator
) -> None:
    result = send_with_reply(clockwork_emulator, f"To: {OUTSIDER} ID: AB_9 To: {A} ID: AB_1 To: {B} ID: AB_2")

    assert result.message_ids == {A: "AB_1", B: "AB_2"}
    assert result.errors == {}


def test_a_reply_missing_a_requested_number_leaves_it_unknown(
    clockwork_connection, clockwork_emulator
) -> None:
    with pytest.raises(ClockworkTransportError, match="gave no ID and no error for some numbers") as raised:
        send_with_reply(clockwork_emulator, f"To: {B} Error 10: Invalid 'To' Parameter")

    error = raised.value
    assert error.result.message_ids == {}
    assert {n: (e.code, e.description) for n, e in error.result.errors.items()} == {
        B: (10, "Invalid 'To' Parameter")
    }
    assert (error.unknown, error.unsent) == ([A], [])


def test_a_reply_naming_only_outsiders_leaves_every_requested_number_unknown(
    clockwork_connection, clockwork_emulator
) -> None:
    with pytest.raises(ClockworkTransportError, match="gave no ID and no error for some numbers") as raised:
        send_with_reply(clockwork_emulator, f"To: {OUTSIDER} ID: AB_9 To: {C} ID: AB_8")

    assert raised.value.result.answered() == set()
    assert raised.value.unknown == [A, B]
