"""One receiver server for the whole session, on the migrated test Airflow home (Airflow 3.3+ only)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_clockwork.receiver.store import store_available
from tests.receiver.running import RunningReceiver, connection_json, start_receiver

needs_store = pytest.mark.skipif(
    not store_available(), reason="the receiver stores into the asset state store, new in Airflow 3.3"
)


@pytest.fixture(scope="session")
def running_receiver(airflow_home) -> Iterator[RunningReceiver]:
    environment = airflow_home.environment(connection_json())
    receiver = start_receiver(environment, airflow_home.path / "airflow.db")
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(running_receiver: RunningReceiver) -> RunningReceiver:
    """The session's receiver, its store and events emptied first."""
    running_receiver.forget_everything()
    return running_receiver


@pytest.fixture
def no_codes(receiver: Any) -> Iterator[Any]:
    """No request holds a code before or after the test (the database is the session's)."""

    def forget() -> None:
        with sqlite3.connect(receiver.database, timeout=30) as db:
            db.execute("DELETE FROM task_state_store WHERE key LIKE 'clockwork_hitl/%'")

    forget()
    yield receiver
    forget()
