"""A local stand-in for the Clockwork SMS API, for tests, demos and local DAG runs.

``ClockworkEmulator`` is loaded on first use rather than on import, so that the
pytest plugin (loaded by every pytest run of anyone who installs this package)
costs next to nothing and never pulls in more than it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_clockwork.emulator.server import ClockworkEmulator

__all__ = ["ClockworkEmulator"]


def __getattr__(name: str) -> Any:
    if name == "ClockworkEmulator":
        from airflow_provider_clockwork.emulator.server import ClockworkEmulator

        return ClockworkEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
