"""Fixtures for the emulator's callbacks: a local receiver for receipts and inbound texts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on a free port of 127.0.0.1, stopped after the test."""
    with running_receiver() as started:
        yield started
