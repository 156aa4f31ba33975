"""The command line: start, announce the URL, log each message, stop cleanly on SIGTERM."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import requests

from tests.ports import free_port

from .helpers import SEND, TIMEOUT

MODULE = "airflow_provider_clockwork.emulator"
LINE_TIMEOUT = 10.0


class RunningCli:
    """The emulator in a subprocess, with its stdout readable line by line under a timeout."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", MODULE, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def next_line(self) -> str:
        try:
            return self._lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"no output from the emulator within {LINE_TIMEOUT}s")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=LINE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=LINE_TIMEOUT)
            pytest.fail("the emulator did not stop on its signal")


@pytest.fixture
def cli_port() -> Iterator[int]:
    yield free_port()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serves_logs_each_message_and_exits_cleanly(cli_port: int, signum: int) -> None:
    cli = RunningCli(
        "--port", str(cli_port), "--key", "cli-key", "--refuse", "447700900999:33:Number Blocked"
    )
    try:
        assert cli.next_line() == f"Clockwork emulator listening on http://127.0.0.1:{cli_port}"

        reply = requests.post(
            f"http://127.0.0.1:{cli_port}{SEND}",
            data={"Key": "cli-key", "To": "447700900123,447700900999", "Content": "Hello from the CLI"},
            timeout=TIMEOUT,
        )
        accepted = cli.next_line()
    finally:
        code = cli.stop(signum)

    message_id = reply.text.split()[3]
    assert reply.text == f"To: 447700900123 ID: {message_id} To: 447700900999 Error 33: Number Blocked"
    assert accepted == f"emulator: accepted {message_id} to 447700900123 (GSM-7, 1 part): Hello from the CLI"
    assert code == 0


def test_cli_queues_faults_given_on_the_command_line(cli_port: int) -> None:
    cli = RunningCli("--port", str(cli_port), "--fault", "status:status=503")
    try:
        cli.next_line()
        reply = requests.post(f"http://127.0.0.1:{cli_port}{SEND}", data={"Key": "test-key"}, timeout=TIMEOUT)
    finally:
        cli.stop()

    assert reply.status_code == 503


def test_cli_refuses_a_fault_it_cannot_follow() -> None:
    result = subprocess.run(
        [sys.executable, "-m", MODULE, "--port", "0", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=LINE_TIMEOUT,
    )

    assert result.returncode == 2
    assert "unknown fault kind 'explode'" in result.stderr
