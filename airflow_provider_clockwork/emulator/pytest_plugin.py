"""Pytest fixtures for the Clockwork emulator, registered through the ``pytest11`` entry point.

Pytest loads this module in every run of anyone who installs the package, before
any test has set ``AIRFLOW_HOME``; so it imports nothing but pytest at load time,
and the emulator itself only inside the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_clockwork.emulator.server import ClockworkEmulator

CONNECTION_VARIABLE = "AIRFLOW_CONN_CLOCKWORK_DEFAULT"


@pytest.fixture
def clockwork_emulator() -> Iterator[ClockworkEmulator]:
    """A fresh emulator on a free port of 127.0.0.1 (key ``test-key``), stopped after the test."""
    from airflow_provider_clockwork.emulator.server import ClockworkEmulator

    with ClockworkEmulator() as emulator:
        yield emulator


@pytest.fixture
def clockwork_connection(
    clockwork_emulator: ClockworkEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ClockworkEmulator]:
    """The emulator, with ``clockwork_default`` pointing at it through the environment."""
    monkeypatch.setenv(CONNECTION_VARIABLE, clockwork_emulator.connection_json())
    yield clockwork_emulator
