"""Provider metadata read by Airflow's providers manager (``airflow providers list``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_clockwork import __version__
from airflow_provider_clockwork.connection_form import CONNECTION_TYPE, HOOK_NAME, declarative_form


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-clockwork",
        "name": "Clockwork SMS",
        "description": "Send SMS text messages through the Clockwork SMS API (https://www.clockworksms.com/).",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Clockwork SMS",
                "external-doc-url": "https://www.clockworksms.com/doc/",
                "tags": ["service"],
            }
        ],
        "operators": [
            {
                "integration-name": "Clockwork SMS",
                "python-modules": [
                    "airflow_provider_clockwork.operators.sms",
                    "airflow_provider_clockwork.operators.personalised",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Clockwork SMS",
                "python-modules": ["airflow_provider_clockwork.sensors.credit"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Clockwork SMS",
                "python-modules": ["airflow_provider_clockwork.hooks.clockwork"],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_clockwork.hooks.clockwork.ClockworkHook",
                "hook-name": HOOK_NAME,
                "connection-type": CONNECTION_TYPE,
                **declarative_form(),
            }
        ],
        "notifications": ["airflow_provider_clockwork.notifications.clockwork.ClockworkNotifier"],
    }
