"""One real Airflow 3 deployment for the whole tier, with the emulator as Clockwork.

Started once per session: the api-server, scheduler, dag-processor and triggerer in a
throwaway ``AIRFLOW_HOME`` on loopback, the provider as installed in this environment, the
example DAGs the tier runs and ``dags/`` here. ``started_runs`` starts every DAG run the
tier checks at once, so they run side by side while the tests wait on each.

The Clockwork connection names the provider's receiver in that API server
(``receiver_url``, ``receiver_token``), so every send asks for delivery receipts there,
and the emulator forwards texts to its account to the same receiver's inbound path.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from airflow_provider_clockwork.emulator.dag_runs import AirflowHome
from airflow_provider_clockwork.emulator.server import ClockworkEmulator
from tests.ports import free_port

from .airflow_deployment import AirflowDeployment, deployment_environment, wait_until_serving
from .rest_api import AirflowApi

TIER = Path(__file__).resolve().parent
REPO = TIER.parent.parent
EXAMPLE_DAGS = (
    "clockwork_pipeline_complete.py",
    "clockwork_credit_then_personalised.py",
    "clockwork_delivery_and_replies.py",
)
# Triggered through the API; the deadline run first: it lasts longest.
TRIGGERED_DAGS = (
    "clockwork_deploy_deadline",
    "clockwork_deploy_retry",
    "clockwork_deploy_failure",
    "clockwork_deploy_mapped",
    "clockwork_deploy_delivery",
    "clockwork_escalate_undelivered",
)
# Daily examples: unpausing one starts its run of the day, the run the tier checks (a run
# triggered on top would text everyone twice).
SCHEDULED_DAGS = ("clockwork_pipeline_complete", "clockwork_credit_then_personalised")
# Scheduled on the asset of replies: the scheduler runs it when an allowed sender's text comes.
REPLY_DAG = "clockwork_acknowledge_on_reply"
TEAM_NUMBERS = "+44 7700 900751, +44 7700 900752"
RETRY_REFUSED_NUMBERS = ("447700900722", "447700900725")
START_TIMEOUT_SECONDS = 240.0
CONN_ID = "clockwork_default"
ALLOWED_SENDER = "447700900771"
"""The one number in the connection's ``allowed_senders``: its texts become asset events."""
UNKNOWN_SENDER = "447700900772"
LATE_RECEIPT_NUMBER = "447700900761"
"""Texted by clockwork_deploy_delivery; the emulator holds its receipt until the test releases it."""
ON_CALL_NUMBER = "447700900762"
"""The escalation example's on-call number, whose text is undeliverable."""
BACKUP_NUMBER = "447700900763"


@dataclass
class Deployment:
    api: AirflowApi
    emulator: ClockworkEmulator
    api_key: str
    airflow: AirflowDeployment
    receiver_token: str

    @property
    def ui_url(self) -> str:
        return self.api.base_url

    def receiver_url(self, path: str, token: str | None = None, conn_id: str = CONN_ID) -> str:
        """The URL of the receiver's ``path`` (receipts or inbound) in the API server, as Clockwork calls."""
        token = self.receiver_token if token is None else token
        return f"{self.api.base_url}/clockwork/{conn_id}/{path}?token={token}"


def _fill_dags_folder(dags: Path) -> None:
    dags.mkdir()
    for name in EXAMPLE_DAGS:
        shutil.copy(REPO / "example_dags" / name, dags / name)
    for source in (TIER / "dags").glob("*.py"):
        shutil.copy(source, dags / source.name)


def _connection_json(emulator: ClockworkEmulator, api_base_url: str, receiver_token: str) -> str:
    """The emulator as Clockwork, with the receiver of the deployment's API server."""
    connection = json.loads(emulator.connection_json())
    connection["extra"] = {
        "receiver_url": f"{api_base_url}/clockwork",
        "receiver_token": receiver_token,
        "allowed_senders": [ALLOWED_SENDER],
    }
    return json.dumps(connection)


def _unused_database(airflow_home: AirflowHome) -> Path | None:
    """The session's migrated database (see tests/conftest.py) while no DAG has run in it."""
    path = airflow_home.path / "airflow.db"
    with sqlite3.connect(path) as db:
        (runs,) = db.execute("SELECT count(*) FROM dag_run").fetchone()
    return path if runs == 0 else None


@pytest.fixture(scope="session")
def airflow3() -> None:
    """Skips the tier on Airflow 2 before anything is started or migrated."""
    from airflow import __version__ as airflow_version

    if int(airflow_version.split(".")[0]) < 3:
        pytest.skip(f"the deployment tier runs on Airflow 3 only (this is {airflow_version})")


@pytest.fixture(scope="package")
def deployment(
    airflow3: None, tmp_path_factory: pytest.TempPathFactory, airflow_home: AirflowHome
) -> Iterator[Deployment]:
    api_key = f"deploy-{secrets.token_hex(12)}"
    root = tmp_path_factory.mktemp("deployment")
    _fill_dags_folder(root / "dags")
    receiver_token = secrets.token_urlsafe(24)
    # The API server answers a receipt once its database write is done, which can wait on the scheduler's.
    with ClockworkEmulator(keys=(api_key,), callback_timeout=60) as emulator:
        port = free_port()
        connection = _connection_json(emulator, f"http://127.0.0.1:{port}", receiver_token)
        env = deployment_environment(root, port, AIRFLOW_CONN_CLOCKWORK_DEFAULT=connection)
        airflow = AirflowDeployment(root, env)
        airflow.prepare_database(_unused_database(airflow_home))
        airflow.start()
        try:
            api = AirflowApi(airflow.base_url)
            try:
                dag_ids = [*TRIGGERED_DAGS, *SCHEDULED_DAGS, REPLY_DAG]
                wait_until_serving(airflow, api, dag_ids, START_TIMEOUT_SECONDS)
            except AssertionError as error:
                raise AssertionError(f"{error}\n{airflow.tail()}") from None
            deployment = Deployment(api, emulator, api_key, airflow, receiver_token)
            emulator.inbound_url = deployment.receiver_url("inbound")
            yield deployment
        finally:
            airflow.stop()


@pytest.fixture(scope="package")
def started_runs(deployment: Deployment) -> dict[str, str]:
    """Every checked run, started at once: DAG ID → run ID.

    The reply DAG is unpaused and two texts come in (one from a sender not allowed), so the
    scheduler starts its run meanwhile; its test finds that run.
    """
    api, emulator = deployment.api, deployment.emulator
    # The retry scenario: try 1 of each send gets a passing refusal (no credit) for one of its numbers.
    for number in RETRY_REFUSED_NUMBERS:
        emulator.refuse(number, code=3, description="Insufficient Credits", times=1)
    emulator.set_delivery(LATE_RECEIPT_NUMBER, hold=True)
    emulator.set_delivery(ON_CALL_NUMBER, "UNDELIV", err_code=27)
    api.set_variable("clockwork_team_numbers", TEAM_NUMBERS)
    api.set_variable("clockwork_oncall_number", ON_CALL_NUMBER)
    api.set_variable("clockwork_backup_number", BACKUP_NUMBER)
    assert api.import_errors() == []
    api.unpause(REPLY_DAG)
    emulator.receive_sms(UNKNOWN_SENDER, "ACK")
    emulator.receive_sms(ALLOWED_SENDER, "ACK")
    runs = {dag_id: api.unpause_and_trigger(dag_id) for dag_id in TRIGGERED_DAGS}
    for dag_id in SCHEDULED_DAGS:
        api.unpause(dag_id)
    runs.update({dag_id: api.wait_for_first_run(dag_id, START_TIMEOUT_SECONDS) for dag_id in SCHEDULED_DAGS})
    return runs
