"""Print the fault suite's totals at the end of the session."""

from __future__ import annotations

import pytest

from tests.reliability.harness import SUMMARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SUMMARY.scenarios:
        return
    terminalreporter.section("Clockwork fault suite")
    for line in SUMMARY.lines():
        terminalreporter.write_line(line)
