"""The receiver served for real (``python -m airflow_provider_clockwork.receiver``) on a test Airflow home.

It writes to the home's SQLite database, which the tests read back directly, as
``dag_runs`` reads task states: what is stored is what a sensor would see.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = "receiver-token-for-tests-0123456789"
ALLOWED_SENDER = "447700900555"
STARTUP_SECONDS = 120.0
LOG_WAIT_SECONDS = 30.0


def last_tries(receipts: list[dict[str, Any]]) -> dict[tuple[str, str], int | None]:
    """The HTTP status of the last try at each receipt (message and state) in the emulator's record."""
    return {(r["message_id"], r["status"]): r["http_status"] for r in receipts}


def connection_json(host: str = "http://127.0.0.1:9", receiver_url: str | None = None) -> str:
    extra: dict[str, Any] = {"receiver_token": TOKEN, "allowed_senders": [ALLOWED_SENDER]}
    if receiver_url:
        extra["receiver_url"] = receiver_url
    return json.dumps({"conn_type": "clockwork", "password": "test-key", "host": host, "extra": extra})


@dataclass
class RunningReceiver:
    process: subprocess.Popen[str]
    database: Path
    base_url: str = ""
    lines: list[str] = field(default_factory=list)

    def url(
        self, path: str = "receipts", conn_id: str = "clockwork_default", token: str | None = TOKEN
    ) -> str:
        query = "" if token is None else f"?token={token}"
        return f"{self.base_url}/{conn_id}/{path}{query}"

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_for_log(self, *texts: str) -> str:
        """The log, once it holds every text: a line reaches it through a reader thread, a moment
        after the receiver wrote it (and so maybe after the reply to the request that logged it)."""
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while not all(text in self.log for text in texts):
            if time.monotonic() > deadline:
                raise AssertionError(f"not logged within {LOG_WAIT_SECONDS:g} s: {texts}\n{self.log[-3000:]}")
            time.sleep(0.05)
        return self.log

    def _rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database, timeout=30) as db:
            return db.execute(sql, args).fetchall()

    def stored(self, asset_uri: str) -> dict[str, dict[str, Any]]:
        """Every record of the asset's state store, by key."""
        rows = self._rows(
            "SELECT s.key, s.value FROM asset_state_store s JOIN asset a ON a.id = s.asset_id"
            " WHERE a.uri = ?",
            asset_uri,
        )
        return {key: json.loads(value) for key, value in rows}

    def events(self, asset_uri: str) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id"
            " WHERE a.uri = ? ORDER BY e.id",
            asset_uri,
        )
        return [json.loads(extra) for (extra,) in rows]

    def forget_everything(self) -> None:
        with sqlite3.connect(self.database, timeout=30) as db:
            db.execute("DELETE FROM asset_state_store")
            db.execute("DELETE FROM asset_event")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def start_receiver(environment: dict[str, str], database: Path) -> RunningReceiver:
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_clockwork.receiver", "--port", "0"],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    receiver = RunningReceiver(process, database)
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            receiver.lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        for line in list(receiver.lines):
            if line.startswith("Clockwork receiver listening on "):
                receiver.base_url = line.split(" on ", 1)[1].strip()
                return receiver
        time.sleep(0.2)
    receiver.stop()
    raise RuntimeError(f"the receiver did not start:\n{receiver.log[-3000:]}")
