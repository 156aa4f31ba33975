"""Human-in-the-loop questions the deployment tier answers by text (tests/deployment/test_hitl.py).

- ``clockwork_deploy_hitl_answered``: an ``ApprovalOperator`` texts its question to
  447700900781; the test replies from that phone (and from others, wrongly) through the
  emulator, and ``backfill`` runs once the right reply approved it.
- ``clockwork_deploy_hitl_timeout``: nobody replies; after 20 s the scheduler takes the
  default (Reject) and ``backfill`` is skipped.
- ``clockwork_deploy_hitl_branch``: a ``HITLBranchOperator`` asks two phones, but only its
  assigned user (by number) may choose; the chosen branch runs, the other is skipped.

Both use the connection ``clockwork_hitl``, which the test creates with a receiver token.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, task
from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLBranchOperator

from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier

START = pendulum.datetime(2024, 1, 1, tz="UTC")
CONN_ID = "clockwork_hitl"


def approval_dag(dag_id: str, to: str, response_timeout: timedelta) -> None:
    with DAG(dag_id=dag_id, schedule=None, start_date=START, catchup=False):
        approve = ApprovalOperator(
            task_id="approve_backfill",
            subject="Approve backfill {{ ds }}?",
            notifiers=[ClockworkNotifier(to=to, clockwork_conn_id=CONN_ID)],
            defaults="Reject",
            response_timeout=response_timeout,
        )

        @task
        def backfill(ds: str | None = None) -> str:
            return f"backfilled {ds}"

        approve >> backfill()


approval_dag("clockwork_deploy_hitl_answered", "447700900781", timedelta(minutes=10))
# Long enough for the scheduler to see the parked worker exit first (see test_hitl.wait_until_parked),
# even when the scheduler's database writes wait on a busy machine (5 s was not enough).
approval_dag("clockwork_deploy_hitl_timeout", "447700900782", timedelta(seconds=90))


with DAG(dag_id="clockwork_deploy_hitl_branch", schedule=None, start_date=START, catchup=False):
    choose = HITLBranchOperator(
        task_id="choose_load",
        subject="Which load tonight?",
        options=["Full load", "Delta"],
        options_mapping={"Full load": "full_load", "Delta": "delta_load"},
        notifiers=[ClockworkNotifier(to=["447700900783", "447700900784"], clockwork_conn_id=CONN_ID)],
        assigned_users=[{"id": "+44 7700 900783", "name": "On call"}],
        response_timeout=timedelta(minutes=10),
    )

    @task
    def full_load() -> str:
        return "full"

    @task
    def delta_load() -> str:
        return "delta"

    choose >> [full_load(), delta_load()]
