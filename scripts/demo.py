"""`make demo`: run an example DAG for real against a local Clockwork emulator.

Starts the emulator (the same server users run with
``python -m airflow_provider_clockwork.emulator``), runs ``airflow dags test`` in a
throwaway Airflow home, prints what the emulator received and the message IDs the
task put in XCom, then stops everything. No real text is sent.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import IO

from airflow_provider_clockwork.emulator.dag_runs import AirflowHome

REPO = Path(__file__).resolve().parent.parent
DAG_ID = "clockwork_pipeline_complete"
TASK_ID = "text_the_team"
API_KEY = "demo-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_emulator(port: int) -> subprocess.Popen[str]:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_clockwork.emulator", "--port", str(port), "--key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert emulator.stdout is not None
    first_line = emulator.stdout.readline().strip()
    if "listening" not in first_line:
        emulator.kill()
        raise SystemExit(f"The emulator did not start: {first_line!r}")
    print(f"[demo] {first_line}")
    # Keep reading its log (one line per accepted text) so its pipe never fills up.
    threading.Thread(target=_echo_lines, args=(emulator.stdout,), daemon=True).start()
    return emulator


def _echo_lines(stream: IO[str]) -> None:
    for line in stream:
        print(f"[emulator] {line.rstrip()}", flush=True)


def received_texts(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/_emulator/messages", timeout=10) as reply:
        return list(json.load(reply))


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    emulator = start_emulator(port)
    try:
        with tempfile.TemporaryDirectory(prefix="clockwork-demo-") as home_dir:
            home = AirflowHome(Path(home_dir), REPO / "example_dags")
            print("[demo] Preparing a throwaway Airflow home (airflow db migrate) ...")
            home.migrate()
            connection = json.dumps({"conn_type": "clockwork", "password": API_KEY, "host": url})
            print(f"[demo] airflow dags test {DAG_ID} ...")
            run = home.dags_test(DAG_ID, connection_json=connection)
        texts = received_texts(url)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    print(f"\n[demo] DAG run {run.run_id}: {run.state}; tasks: {run.task_states}")
    print(f"\n[demo] The emulator received {len(texts)} text(s):")
    for text in texts:
        print(f"  {text['id']} -> {text['to']}: {text['content']}")
    ids = run.xcom(TASK_ID) or {}
    print(f"\n[demo] XCom return_value of {TASK_ID}: {json.dumps(ids)}")
    if run.state != "success" or not texts or set(ids.values()) != {t["id"] for t in texts}:
        print("\n[demo] FAILED: the run did not succeed or XCom does not match the texts received.")
        print(run.output[-6000:])
        return 1
    print("\n[demo] OK: every text the emulator received is in XCom with its message ID.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
