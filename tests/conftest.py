"""Test-wide setup: a private Airflow home, and a migrated one for `airflow dags test` runs."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow reads AIRFLOW_HOME when it is first imported: point this process at a
# throwaway home before any test module imports it, and drop connections,
# variables and settings inherited from the developer's shell.
for _name in list(os.environ):
    if _name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_")):
        del os.environ[_name]
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="clockwork-tests-airflow-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

REPO = Path(__file__).resolve().parent.parent
TEST_KEY = "test-key"


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A migrated Airflow home whose DAGs folder holds the example DAGs and the test DAGs."""
    from airflow_provider_clockwork.emulator.dag_runs import AirflowHome

    root = tmp_path_factory.mktemp("dags-test-home")
    dags = root / "dags"
    dags.mkdir()
    for source in [*(REPO / "example_dags").glob("*.py"), *(REPO / "tests" / "dags").glob("*.py")]:
        shutil.copy(source, dags / source.name)
    home = AirflowHome(root / "home", dags)
    home.migrate()
    yield home


@pytest.fixture
def log_text(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]):
    """Everything logged so far: Airflow 3 logs through structlog to stdout, Airflow 2 through logging."""
    import logging

    caplog.set_level(logging.DEBUG)

    def read() -> str:
        captured = capsys.readouterr()
        return caplog.text + captured.out + captured.err

    return read


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    """A loopback URL where nothing listens: a server that is down.

    The port stays bound but not listening while the test runs, so the kernel refuses each
    connection and no server another test starts meanwhile can take it.
    """
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{placeholder.getsockname()[1]}"
