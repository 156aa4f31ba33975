"""The provider's Airflow plugin, registered through the ``airflow.plugins`` entry point.

Installing the provider is enough: Airflow loads it in every component. On Airflow 2
it carries the listener that deletes a send's retry ledger once the task instance's
success is saved (see :mod:`airflow_provider_clockwork.plugins.ledger_listener`); on
Airflow 3 the operators' success callback does that. On Airflow 3.3 and newer it adds
the receiver of Clockwork's delivery receipts and inbound texts, which the API server
mounts under ``/clockwork`` (see :mod:`airflow_provider_clockwork.receiver`).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_clockwork.ledger import AIRFLOW_2


def _listeners() -> list[object]:
    if not AIRFLOW_2:
        return []
    from airflow_provider_clockwork.plugins import ledger_listener

    return [ledger_listener]


def _fastapi_apps() -> list[dict[str, object]]:
    from airflow_provider_clockwork.receiver.store import store_available

    if not store_available():
        return []
    from airflow_provider_clockwork.receiver.app import create_app

    return [{"app": create_app(), "url_prefix": "/clockwork", "name": "Clockwork receiver"}]


class ClockworkPlugin(AirflowPlugin):
    """Clockwork's additions to Airflow itself."""

    name = "clockwork"
    listeners = _listeners()
    fastapi_apps = _fastapi_apps()
