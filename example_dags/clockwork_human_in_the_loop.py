"""Approve a backfill from your phone: a Human-in-the-loop question answered by a reply text.

``ApprovalOperator`` (Airflow's standard provider) asks; ``ClockworkNotifier`` texts the
question with a code, e.g.::

    Approve backfill 2026-11-28?
    Reply YES 4711 or NO 4711

and the reply "yes 4711" approves it through Airflow's own response path, as the UI
would; ``backfill`` then runs. No reply within the hour: the default, Reject, is taken
and ``backfill`` is skipped. Needs Airflow 3.3 or newer and a Clockwork connection whose
receiver gets your Clockwork number's texts and gives the codes (``receiver_token`` and
``receiver_url``; see docs/delivery-and-replies.md). On older Airflow the file defines no DAG.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier

try:
    from airflow.providers.standard.operators.hitl import ApprovalOperator
except Exception:  # Airflow 2 and 3.0 have no Human-in-the-loop operators
    ApprovalOperator = None

ON_CALL = "{{ var.value.get('clockwork_oncall_number', '447700900123') }}"

if ApprovalOperator is not None:
    with DAG(
        dag_id="clockwork_approve_backfill",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
        tags=["clockwork"],
    ):
        approve = ApprovalOperator(
            task_id="approve_backfill",
            subject="Approve backfill {{ ds }}?",
            notifiers=[ClockworkNotifier(to=ON_CALL)],
            defaults="Reject",
            response_timeout=timedelta(hours=1),
        )

        @task
        def backfill(ds: str | None = None) -> str:
            return f"backfilled {ds}"

        approve >> backfill()
