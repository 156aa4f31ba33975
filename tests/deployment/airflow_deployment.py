"""A real Airflow 3 deployment on loopback, for the deployment tier.

The components a user runs (api-server, scheduler, dag-processor, triggerer) start as
separate processes in a throwaway ``AIRFLOW_HOME`` with SQLite and the LocalExecutor,
every one of them in one process group that this module creates, so stopping the group
stops what was started. Task processes leave that group (Airflow's supervisor gives each
task its own), so every process also carries a marker in its environment, inherited by
whatever it starts, and the ones still alive after the group stopped are ended by pid.

The API server runs as two processes, as Airflow allows: the REST API and UI (``--apps
core``, with the provider's receiver) and the execution API that tasks, the dag processor
and the triggerer call (``--apps execution``). In one process, Airflow 3.3.2 froze for the
whole SQLite busy timeout: a REST call's audit log commits on the server's event loop and
waits for the write lock, while an execution API request holds that lock until its
session closes, which needs the same event loop. Apart, that request finishes and the
audit entry follows.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from airflow_provider_clockwork.emulator.dag_runs import AirflowHome
from tests.ports import free_port

from .rest_api import AirflowApi, wait_for

COMPONENTS = {
    "api-server": ("api-server", "--apps", "core"),
    "execution-api": ("api-server", "--apps", "execution", "--port", "{execution_port}"),
    "scheduler": ("scheduler",),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer",),
}
EXECUTION_PORT_VARIABLE = "CLOCKWORK_DEPLOYMENT_EXECUTION_PORT"
MARKER_VARIABLE = "CLOCKWORK_DEPLOYMENT_MARKER"
STOP_GRACE_SECONDS = 10.0
MIGRATE_TIMEOUT_SECONDS = 300.0
# SQLite lets one writer in at a time and makes the others wait 5 s, then fail; on a busy
# 2-core machine a write can wait longer than that, so the components wait up to this long.
SQLITE_BUSY_SECONDS = 120
DATABASE_SETTINGS_MODULE = "clockwork_deployment_database"


def deployment_environment(root: Path, api_port: int, **extra: str) -> dict[str, str]:
    """The environment of every component: the shell's, less its Airflow settings, plus ours.

    The home is ``root/home`` and the DAGs folder ``root/dags``; ``root`` also holds a module
    with the database's connect arguments (Airflow takes them only as an import path).
    """
    settings = f"SQLITE_CONNECT_ARGS = {{'timeout': {SQLITE_BUSY_SECONDS}}}\n"
    (root / f"{DATABASE_SETTINGS_MODULE}.py").write_text(settings)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))
    }
    base_url = f"http://127.0.0.1:{api_port}"
    execution_port = free_port()
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")])),
        AIRFLOW_HOME=str(root / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(root / "dags"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS=f"{DATABASE_SETTINGS_MODULE}.SQLITE_CONNECT_ARGS",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC=f"{DATABASE_SETTINGS_MODULE}.SQLITE_CONNECT_ARGS",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__AUTH_MANAGER=(
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{execution_port}/execution/",
        **{EXECUTION_PORT_VARIABLE: str(execution_port)},
        # Tasks wait this long for the API server (default 5 s), which waits for SQLite.
        AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT=str(SQLITE_BUSY_SECONDS),
        AIRFLOW__API__BASE_URL=base_url,
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        # One Fernet key for all: left unset, each component starting in a home without
        # airflow.cfg may write its own, and the triggerer cannot read what the scheduler encrypted.
        AIRFLOW__CORE__FERNET_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # The scheduler starts runs as in a user's deployment: a daily DAG's run of the day once
        # unpaused, and a run of a DAG scheduled on an asset when an event of it comes.
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="True",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
    )
    env.update(extra)
    return env


class AirflowDeployment:
    """The components of one Airflow deployment, started and stopped together."""

    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = Path(root)
        self.env = dict(env)
        self.env[MARKER_VARIABLE] = secrets.token_hex(8)
        self.home = Path(self.env["AIRFLOW_HOME"])
        self.base_url = self.env["AIRFLOW__API__BASE_URL"]
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._group: int | None = None

    def output_path(self, component: str) -> Path:
        return self.root / f"{component}.out"

    def prepare_database(self, migrated: Path | None = None) -> None:
        """Start from a copy of an empty, migrated database when given one (a migration takes a
        minute on a busy machine), else migrate a new one."""
        self.home.mkdir(parents=True, exist_ok=True)
        if migrated is not None:
            with sqlite3.connect(migrated) as source, sqlite3.connect(self.home / "airflow.db") as copy:
                source.backup(copy)
            return
        dags_folder = Path(self.env["AIRFLOW__CORE__DAGS_FOLDER"])
        AirflowHome(self.home, dags_folder, env=self.env).migrate(timeout=MIGRATE_TIMEOUT_SECONDS)

    def start(self) -> None:
        execution_port = self.env[EXECUTION_PORT_VARIABLE]
        for component, arguments in COMPONENTS.items():
            command = [argument.format(execution_port=execution_port) for argument in arguments]
            with self.output_path(component).open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "airflow", *command],
                    env=self.env,
                    cwd=self.root,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    # The first one leads a new group; the others join it.
                    process_group=self._group or 0,
                )
            self._group = self._group or process.pid
            self._processes[component] = process

    def exited(self) -> dict[str, int]:
        """Components that are no longer running, with their exit codes."""
        return {
            name: code for name, process in self._processes.items() if (code := process.poll()) is not None
        }

    def tail(self, lines: int = 30) -> str:
        """The last lines each component printed, for a failure message."""
        parts = []
        for component in self._processes:
            path = self.output_path(component)
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {component} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)

    def stop(self) -> None:
        """SIGTERM the group, give it a grace period, then SIGKILL whatever we started that remains."""
        if self._group is not None:
            with suppress(ProcessLookupError):
                os.killpg(self._group, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and self._survivors():
            time.sleep(0.5)
        for pid in self._survivors():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for process in self._processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)

    def _survivors(self) -> list[int]:
        """Live processes (not zombies) that carry this deployment's marker."""
        for process in self._processes.values():
            process.poll()  # reaps a component that ended, so it is not counted
        return [pid for pid in _pids_with_variable(MARKER_VARIABLE, self.env[MARKER_VARIABLE])]


def wait_until_serving(
    airflow: AirflowDeployment, api: AirflowApi, dag_ids: list[str], timeout: float
) -> None:
    """Until the API server hands out a token and knows every DAG; fails at once if a component exited."""

    def logged_in() -> bool | None:
        if exited := airflow.exited():
            raise RuntimeError(f"Airflow components exited: {exited}\n{airflow.tail()}")
        api.log_in()
        return True

    wait_for("the API server to hand out a token", logged_in, timeout)
    api.wait_for_dags(dag_ids, timeout)


def _pids_with_variable(name: str, value: str) -> list[int]:
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0") and not _is_zombie(entry):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _is_zombie(entry: Path) -> bool:
    stat = (entry / "stat").read_text()
    return stat[stat.rindex(")") + 2] == "Z"
