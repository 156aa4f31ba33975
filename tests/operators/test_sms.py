"""ClockworkSendSmsOperator outside a DAG run: templating, parse-time behaviour, imports.

What it does when it runs is checked in real `airflow dags test` runs (tests/system).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airflow_provider_clockwork.operators.sms import ClockworkSendSmsOperator


def test_recipients_content_sender_and_receipt_are_templated() -> None:
    assert set(ClockworkSendSmsOperator.template_fields) == {"to", "content", "sender", "delivery_receipt"}


@pytest.mark.parametrize(
    ("to", "content", "sender"),
    [
        pytest.param("not a number", "hi", None, id="bad-number"),
        pytest.param([], "hi", None, id="no-recipients"),
        pytest.param("447700900123", "", None, id="empty-content"),
        pytest.param("447700900123", "x" * 1000, None, id="too-long"),
        pytest.param("447700900123", "hi", "FarTooLongSender", id="long-sender"),
    ],
)
def test_nothing_is_checked_at_dag_parse_time(to, content, sender) -> None:
    operator = ClockworkSendSmsOperator(task_id="text", to=to, content=content, sender=sender)
    assert (operator.to, operator.content, operator.sender) == (to, content, sender)


def test_templates_render_numbers_and_text() -> None:
    operator = ClockworkSendSmsOperator(
        task_id="text",
        to="{{ params.numbers }}",
        content="Load {{ ds }}: {{ params.rows }} rows",
        sender="{{ params.sender }}",
    )

    operator.render_template_fields(
        {"ds": "2026-11-25", "params": {"numbers": "447700900123", "rows": 12, "sender": "Ops"}}
    )

    assert (operator.to, operator.content, operator.sender) == (
        "447700900123",
        "Load 2026-11-25: 12 rows",
        "Ops",
    )


@pytest.mark.parametrize(
    "module",
    [
        "airflow_provider_clockwork.operators.sms",
        "airflow_provider_clockwork.operators.personalised",
        "airflow_provider_clockwork.notifications.clockwork",
    ],
)
def test_importing_what_a_dag_file_imports_loads_no_http_stack(tmp_path, module) -> None:
    # Measured against what Airflow's own BaseOperator import already loads (Airflow 2 loads requests).
    code = (
        "import sys\n"
        "from airflow.providers.common.compat.sdk import AirflowException, BaseOperator\n"
        "before = set(sys.modules)\n"
        f"import {module}\n"
        "added = set(sys.modules) - before\n"
        "print(sorted(m for m in added if m.split('.')[0] in ('requests', 'urllib3') "
        "or m.startswith('airflow_provider_clockwork.hooks')))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
