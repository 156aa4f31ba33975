"""The send operators inside a real Airflow task, side by side with the bare hook (issue 12's scale table).

For each case the bare hook sends first, in a fresh interpreter of its own as a task has
(``ClockworkHook.send_sms`` or ``send_messages``, concurrency 4, a fresh hook each time);
then one ``airflow dags test`` run (a subprocess, in a throwaway Airflow home) runs every
case's operator tasks in turn
(``dags/clockwork_bench_dags.py``): the real task, template rendering, the retry ledger
(Airflow 3.3's task state store; Variables on older Airflow), the XCom push and the
success callback that deletes the ledger. Each case has its own emulator, in this
process on loopback with the case's latency, so its request log holds that case only;
each repetition texts its own range of numbers, so its requests can be told apart.

Per case and way: the operator's ``execute`` as the task timed it, the task run as
Airflow recorded it (start to end date) and the success callbacks (the ledger's
deletion, after that end date); the hook's ``send_*`` call. Every send is checked:
each number texted once, the task's ``return_value`` holding every ID, requests counted
from the emulator's log. The floor is the network's: ceil(N / per request) requests,
``CONCURRENCY`` at a time, each wave taking the latency.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.emulator.dag_runs import AirflowHome, DagTestRun

HERE = Path(__file__).resolve().parent
DAG_FILE = HERE / "dags" / "clockwork_bench_dags.py"
CONCURRENCY = 4
DAGS_TEST_TIMEOUT = 1800.0


def _load_dag_module() -> Any:
    """The bench DAG file, for its names and number ranges (the DAG itself is run by ``dags test``)."""
    spec = importlib.util.spec_from_file_location("clockwork_bench_dags", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH_DAGS = _load_dag_module()


@dataclass(frozen=True)
class Case:
    """One operator at one size and latency."""

    name: str
    operator: str
    kind: str
    """``sms`` (one text, 50 numbers a request) or ``personalised`` (500 messages a request)."""
    size: int
    latency: float
    target: float | None
    """Within this multiple of the floor (issue 12); None: reported only."""

    @property
    def per_request(self) -> int:
        return 50 if self.kind == "sms" else 500

    @property
    def requests(self) -> int:
        return math.ceil(self.size / self.per_request)

    @property
    def floor(self) -> float:
        """The network's minimum: the requests in waves of ``CONCURRENCY``, each wave one latency."""
        return math.ceil(self.requests / CONCURRENCY) * self.latency

    @property
    def conn_id(self) -> str:
        return f"clockwork_bench_{self.name}"


CASES = (
    Case("sms_20000", "ClockworkSendSmsOperator", "sms", 20_000, 0.020, 1.5),
    Case("sms_2000", "ClockworkSendSmsOperator", "sms", 2_000, 0.050, 1.2),
    Case("personalised_20000", "ClockworkSendPersonalisedSmsOperator", "personalised", 20_000, 0.020, None),
)


@dataclass
class Measured:
    """One case: seconds of each repetition, and the requests each send made."""

    case: Case
    hook: list[float] = field(default_factory=list)
    execute: list[float] = field(default_factory=list)
    task_run: list[float] = field(default_factory=list)
    callbacks: list[float] = field(default_factory=list)
    warm_up: list[float] = field(default_factory=list)
    """A first use of the hook in the task's process (imports, connection read), before ``execute``."""
    ledger_calls: list[int] = field(default_factory=list)
    ledger_seconds: list[float] = field(default_factory=list)
    """Calls ``execute`` made to Airflow's task state store and their time (none without one)."""
    phases: dict[str, float] = field(default_factory=dict)
    """For a personalised case: seconds of each CPU-bound step, measured alone in this process."""
    hook_requests: set[int] = field(default_factory=set)
    task_requests: set[int] = field(default_factory=set)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def scaled(cases: Sequence[Case], scale: float) -> list[Case]:
    """The cases with N multiplied by ``scale`` (at least 1): a quick check runs them small."""
    return [dataclasses.replace(case, size=max(1, round(case.size * scale))) for case in cases]


# -- the bare hook, in a process of its own as the task is -------------------------------


def hook_worker(kind: str, size: int, repeats: int, conn_id: str) -> list[float]:
    """In the hook's process: ``repeats`` sends through a fresh hook each, to their own numbers."""
    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

    warm = ClockworkHook(clockwork_conn_id=conn_id)  # imports and the connection, as a task's warm-up
    warm.get_conn()
    warm.close()
    timings = []
    for repeat in range(repeats):
        hook = ClockworkHook(clockwork_conn_id=conn_id, max_concurrent_requests=CONCURRENCY)
        started = time.perf_counter()
        try:
            if kind == "sms":
                result = hook.send_sms(BENCH_DAGS.numbers(size, repeat * size), BENCH_DAGS.TEXT)
            else:
                result = hook.send_messages(BENCH_DAGS.personalised_messages(size, repeat * size))
        finally:
            hook.close()
        timings.append(time.perf_counter() - started)
        if len(result.message_ids) != size:
            raise RuntimeError(f"the hook got {len(result.message_ids)} IDs of {size}")
    return timings


def hook_sends(emulator: ClockworkEmulator, case: Case, repeats: int) -> list[float]:
    """The hook's sends of this case, in a fresh interpreter (``hook_worker``): seconds of each."""
    emulator.reset()
    env = {**os.environ, f"AIRFLOW_CONN_{case.conn_id.upper()}": emulator.connection_json()}
    done = subprocess.run(
        [sys.executable, __file__, case.kind, str(case.size), str(repeats), case.conn_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=DAGS_TEST_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the hook's sends failed ({case.name}):\n{done.stderr[-4000:]}")
    return [float(seconds) for seconds in json.loads(done.stdout.strip().splitlines()[-1])]


def requests_by_repeat(
    emulator: ClockworkEmulator, case: Case, repeats: int
) -> tuple[list[int], dict[str, str]]:
    """The requests of each repetition (each texts its own numbers) and every ID; texting twice raises."""
    texted: dict[str, str] = {}
    for message in emulator.messages():
        if message["to"] in texted:
            raise RuntimeError(f"{message['to']} was texted twice ({case.name})")
        texted[message["to"]] = message["id"]
    if len(texted) != case.size * repeats:
        raise RuntimeError(f"{len(texted)} numbers texted, not {case.size * repeats} ({case.name})")
    requests = [0] * repeats
    for request in emulator.requests():
        requests[int(request["numbers"][0][-5:]) // case.size] += 1
    return requests, texted


def personalised_phases(emulator: ClockworkEmulator, case: Case) -> dict[str, float]:
    """CPU seconds a personalised send spends besides the network: each step alone, no latency.

    CPU time, not wall time, so that other work on the machine does not count; the
    emulator's step counts this process's CPU, the client's share and the emulator's.
    """
    import requests

    from airflow_provider_clockwork.protocol import xml_api
    from airflow_provider_clockwork.protocol.personalised import prepare_personalised
    from airflow_provider_clockwork.protocol.recipients import batches

    phases: dict[str, float] = {}
    started = time.process_time()
    prepared = prepare_personalised(BENCH_DAGS.personalised_messages(case.size))
    phases["checking the messages"] = time.process_time() - started
    started = time.process_time()
    documents = [xml_api.personalised_document("bench-key", group) for group in batches(prepared, 500)]
    phases["building the XML documents"] = time.process_time() - started
    emulator.reset()
    latency, emulator.latency = emulator.latency, 0.0
    started = time.process_time()
    with requests.Session() as session:
        replies = [
            session.post(
                emulator.url + xml_api.SEND_PATH,
                data=document,
                headers={"Content-Type": xml_api.CONTENT_TYPE},
            ).content
            for document in documents
        ]
    phases["the emulator answering them (in this process)"] = time.process_time() - started
    emulator.latency = latency
    started = time.process_time()
    for group, reply in zip(batches(prepared, 500), replies, strict=True):
        xml_api.parse_personalised_reply(reply, group)
    phases["reading the replies"] = time.process_time() - started
    return phases


# -- the operator in a task --------------------------------------------------------------

TIMING = re.compile(rf"{BENCH_DAGS.MARK} (\S+) (execute|success-callbacks|warm-up) seconds: ([0-9.]+)")
LEDGER = re.compile(rf"{BENCH_DAGS.MARK} (\S+) ledger-calls (\d+) seconds: ([0-9.]+)")


def task_ids(case: Case, repeats: int) -> list[str]:
    return [f"{case.name}_{repeat + 1}" for repeat in range(repeats)]


DAGS_TEST = "dags test"
DEPLOYMENT = "deployment"
VENUES = (DAGS_TEST, DEPLOYMENT)
"""What runs the tasks: ``airflow dags test`` (one process, the execution API inside the task's),
or a real deployment (LocalExecutor, the API server a process of its own: see ``deployed.py``)."""


def run_dag(
    workspace: Path,
    home: AirflowHome,
    emulators: dict[str, ClockworkEmulator],
    cases: Sequence[Case],
    repeats: int,
    venue: str,
) -> tuple[DagTestRun, Path]:
    """One run of the bench DAG (every case's tasks, one after another); the run and its database."""
    env = {f"AIRFLOW_CONN_{case.conn_id.upper()}": emulators[case.name].connection_json() for case in cases}
    env["CLOCKWORK_BENCH_CASES"] = json.dumps(
        [{"name": c.name, "kind": c.kind, "size": c.size, "conn_id": c.conn_id} for c in cases]
    )
    env["CLOCKWORK_BENCH_REPEATS"] = str(repeats)
    for emulator in emulators.values():
        emulator.reset()
    started = time.perf_counter()
    if venue == DEPLOYMENT:
        from deployed import run_dag_deployed

        return run_dag_deployed(workspace, DAG_FILE, BENCH_DAGS.DAG_ID, env, DAGS_TEST_TIMEOUT, log)
    run = home.dags_test(BENCH_DAGS.DAG_ID, timeout=DAGS_TEST_TIMEOUT, **env)
    log(f"in-task: airflow dags test took {time.perf_counter() - started:.1f} s, run {run.state}")
    return run, home.path / "airflow.db"


def task_durations(database: Path, run: DagTestRun) -> dict[str, float]:
    """Each task instance's recorded run, end date minus start date, from the run's database."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (run.dag_id, run.run_id),
        ).fetchall()
    return {
        task_id: (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        for task_id, start, end in rows
        if start and end
    }


def check_task_sends(emulator: ClockworkEmulator, run: DagTestRun, case: Case, repeats: int) -> list[int]:
    """Each task texted its own numbers once and returned every ID; the requests of each task."""
    if run.state != "success":
        raise RuntimeError(f"the bench DAG run ended {run.state}:\n{run.output[-6000:]}")
    requests, texted = requests_by_repeat(emulator, case, repeats)
    for repeat, task_id in enumerate(task_ids(case, repeats)):
        returned = run.xcom(task_id) or {}
        sent = {texted[number] for number in BENCH_DAGS.numbers(case.size, repeat * case.size)}
        if len(returned) != case.size or set(returned.values()) != sent:
            raise RuntimeError(f"{task_id} returned {len(returned)} IDs of {case.size} texted")
    return requests


def measure(
    cases: Sequence[Case], repeats: int, home_path: Path | None = None, venues: Sequence[str] = VENUES
) -> dict[str, list[Measured]]:
    """The hook's sends, then a run of every case's tasks in each venue; each case on its own emulator.

    ``home_path``: an Airflow home already migrated, to reuse for ``dags test``; by default a
    throwaway one.
    """
    hooks = [Measured(case) for case in cases]
    workspace = Path(tempfile.mkdtemp(prefix="clockwork-bench-in-task-"))
    dags = workspace / "dags"
    dags.mkdir()
    shutil.copy(DAG_FILE, dags / DAG_FILE.name)
    home = AirflowHome(home_path or workspace / "home", dags)
    emulators = {
        c.name: ClockworkEmulator(keys=("bench-key",), credit=10**9, latency=c.latency) for c in cases
    }
    by_venue: dict[str, list[Measured]] = {}
    try:
        for emulator in emulators.values():
            emulator.start()
        if home_path is None and DAGS_TEST in venues:
            started = time.perf_counter()
            home.migrate()
            log(f"in-task: airflow db migrate took {time.perf_counter() - started:.1f} s")
        _measure_hooks(emulators, hooks, repeats)
        for venue in venues:
            results = [
                Measured(m.case, hook=m.hook, phases=m.phases, hook_requests=m.hook_requests) for m in hooks
            ]
            run, database = run_dag(workspace, home, emulators, cases, repeats, venue)
            _read_task_timings(database, emulators, run, results, repeats)
            by_venue[venue] = results
    finally:
        for emulator in emulators.values():
            emulator.stop()
        shutil.rmtree(workspace, ignore_errors=True)
    return by_venue


def _measure_hooks(emulators: dict[str, ClockworkEmulator], results: list[Measured], repeats: int) -> None:
    for measured in results:
        case = measured.case
        measured.hook = hook_sends(emulators[case.name], case, repeats)
        measured.hook_requests.update(requests_by_repeat(emulators[case.name], case, repeats)[0])
        log(f"in-task: hook {case.name}: median {statistics.median(measured.hook):.3f} s")
        if case.kind == "personalised":
            measured.phases = personalised_phases(emulators[case.name], case)


def _read_task_timings(
    database: Path,
    emulators: dict[str, ClockworkEmulator],
    run: DagTestRun,
    results: list[Measured],
    repeats: int,
) -> None:
    timings: dict[tuple[str, str], float] = {
        (task_id, what): float(seconds) for task_id, what, seconds in TIMING.findall(run.output)
    }
    ledger = {task_id: (int(calls), float(seconds)) for task_id, calls, seconds in LEDGER.findall(run.output)}
    durations = task_durations(database, run)
    for measured in results:
        case = measured.case
        measured.task_requests.update(check_task_sends(emulators[case.name], run, case, repeats))
        for task_id in task_ids(case, repeats):
            measured.execute.append(timings[(task_id, "execute")])
            if task_id in durations:
                measured.task_run.append(durations[task_id])
            if (task_id, "warm-up") in timings:
                measured.warm_up.append(timings[(task_id, "warm-up")])
            if (task_id, "success-callbacks") in timings:
                measured.callbacks.append(timings[(task_id, "success-callbacks")])
            if task_id in ledger:
                measured.ledger_calls.append(ledger[task_id][0])
                measured.ledger_seconds.append(ledger[task_id][1])
        log(
            f"in-task: task {case.name}: execute median {_seconds(_median(measured.execute))}, "
            f"task run median {_seconds(_median(measured.task_run))}"
        )


# -- the report --------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _per(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def _requests(made: set[int]) -> str:
    return ", ".join(str(count) for count in sorted(made)) or "–"


def _ledger(measured: Measured) -> str:
    if not measured.ledger_calls:
        return "–"
    calls = statistics.median(measured.ledger_calls)
    return f"{calls:g} calls, {_seconds(_median(measured.ledger_seconds))}"


def render(
    by_venue: dict[str, list[Measured]], repeats: int, verdict: Callable[[bool | None], str]
) -> list[str]:
    """The section of docs/benchmarks.md: timings, targets, and where a personalised send's time goes."""
    out = [
        "## The send operators inside a real Airflow task",
        "",
        "Each operator in real tasks of one DAG run (template rendering, the retry ledger, XCom, the",
        "success callbacks), side by side with the bare hook in a process of its own, "
        f"{CONCURRENCY} requests in",
        "flight for both, each case on its own emulator with the latency shown. The DAG runs twice:",
        "under `airflow dags test` (one process) and in a real Airflow 3 deployment (LocalExecutor;",
        "API server, scheduler and dag processor each a process of their own, as users run it).",
        "*first use* is what the task's process pays once before it (importing the hook, reading the",
        "connection: the bench's hook does the same before its timed sends); *execute* is the",
        "operator's `execute` as the task timed it; *ledger* the calls it made to",
        "Airflow's task state store (reading earlier tries' IDs, writing the IDs a chunk at a time)",
        "and their time, which overlaps the requests in flight; *task run* is Airflow's recorded",
        "duration of the task instance (start to end date); *success callbacks* run after that end",
        f"date and delete the retry ledger. Medians of {repeats} repetitions; the floor is",
        f"ceil(ceil(N / per request) / {CONCURRENCY}) × latency.",
        "",
        "| operator | N | latency | run by | requests (hook / task) | floor | hook | first use | execute "
        "| ledger | task run | success callbacks | execute / floor | execute / hook | task run / floor |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for venue, results in by_venue.items():
        for m in results:
            out.append(_row(venue, m))
    out += ["", "| target (in a task) | run by | measured | |", "|---|---|---|---|"]
    for venue, results in by_venue.items():
        for m in results:
            out += _targets(venue, m, verdict)
    hooks = next(iter(by_venue.values()), [])
    out += [
        "",
        "- The hook sends in a fresh interpreter of its own, as a task does, not beside the emulator;",
        "  *execute / hook* is what the operator and Airflow add to the same send. The bare hook alone",
        "  takes "
        + ", ".join(
            f"{_times(_per(_median(m.hook), m.case.floor))} the floor at N={m.case.size:,}"
            for m in hooks
            if m.case.target is not None
        )
        + " on this machine (its own CPU per request, and the emulator's on the same cores): a target",
        "  below that cannot be met by the operator, whatever it adds.",
        "- The emulator's latency is a server's: from a request's arrival (its head read) to its reply.",
        "  Until 2026-11-30 it held each reply for the whole latency *after* reading and answering the",
        "  request, so every round trip also carried the emulator's own CPU time, spent on the cores",
        "  the client runs on: a slower server than the one the floor assumes. That was a fix of the",
        "  model, not a speed-up of the provider.",
        "- Under `airflow dags test` the execution API runs inside the task's own process (Airflow's",
        "  in-process test supervisor): each task state store call passes through an HTTP client,",
        "  FastAPI and a SQLite commit on other threads of the same interpreter, competing with the",
        "  request threads for it. In a deployment the call is a message to the task's supervisor",
        "  process and the API server does that work elsewhere.",
        "- The ledger's first call (reading earlier tries' IDs) comes before the first request and its",
        "  last write after the last answer: two calls no send with a ledger can overlap.",
        "- That first read is made in every try, try 1 included, although a try 1 normally finds",
        "  nothing: Airflow can give a try 1 a ledger that is not empty. The task state store reads by",
        "  `(dag_id, run_id, task_id, map_index)`, and its rows outlive the task instance: deleting a",
        "  task instance (`DELETE .../taskInstances/{task_id}` in the REST API) leaves them, and clearing",
        "  the run on the latest DAG version re-creates that task instance at try 1 (`verify_integrity`).",
        "  Common-io's object-storage state backend keeps them by path even when the run itself is",
        "  deleted and re-created under the same run_id, and so do the Variables of Airflow 2.11, 3.1",
        "  and 3.2. Skipping the read would text again every number such a ledger names and mix its",
        "  chunks with the new try's; the exactly-once promise outranks the call (about 20 ms under",
        "  `airflow dags test`).",
        "- A ledger chunk holds its IDs as one JSON text rather than a JSON object of up to 1,000",
        "  members, which Airflow validates member by member in the task, its supervisor and the API",
        "  server: under `airflow dags test` a full chunk's write went from about 27 to 21 ms of CPU and",
        "  its read from 23 to 18 ms (interleaved, 30 of each).",
        "- Each request goes straight to the urllib3 connection pool `requests` sets up for Clockwork's",
        "  URL (proxy, CA bundle and TLS settings as `requests` resolves them), with a body URL-encoded",
        "  by the provider. `Session.send` added cookies, redirects, hooks and a streamed read to every",
        "  request: 1.2 to 1.8 ms of the client's CPU a request, against 0.5 to 0.65 ms through the pool",
        "  (one thread, 300 requests each way, interleaved twice, the emulator in another process).",
    ]
    for m in next(iter(by_venue.values()), []):
        if m.phases:
            steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in m.phases.items())
            out += [
                "",
                f"Where a personalised send of {m.case.size:,} messages spends its time besides the network "
                f"(CPU seconds, each step alone in the bench process, no latency): {steps}. Its floor "
                f"({_seconds(m.case.floor)}) is not what limits it: CPU is, the provider's and the "
                "emulator's, on the same cores and each under one interpreter lock.",
            ]
    return out


def _row(venue: str, m: Measured) -> str:
    c = m.case
    hook, execute, task_run = _median(m.hook), _median(m.execute), _median(m.task_run)
    return (
        f"| `{c.operator}` | {c.size:,} | {c.latency * 1000:g} ms | {venue} "
        f"| {_requests(m.hook_requests)} / {_requests(m.task_requests)} | {_seconds(c.floor)} "
        f"| {_seconds(hook)} | {_seconds(_median(m.warm_up))} | {_seconds(execute)} | {_ledger(m)} "
        f"| {_seconds(task_run)} "
        f"| {_seconds(_median(m.callbacks))} | {_times(_per(execute, c.floor))} "
        f"| {_times(_per(execute, hook))} | {_times(_per(task_run, c.floor))} |"
    )


def _targets(venue: str, m: Measured, verdict: Callable[[bool | None], str]) -> list[str]:
    c = m.case
    lines = []
    ratio = _per(_median(m.execute), c.floor)
    if c.target is not None:
        met = None if ratio is None else ratio <= c.target
        lines.append(
            f"| `{c.operator}`, N={c.size:,} at {c.latency * 1000:g} ms: execute within "
            f"{c.target:g}× the floor | {venue} | {_times(ratio)} | {verdict(met)} |"
        )
    exact = m.task_requests == {c.requests} and m.hook_requests == {c.requests}
    lines.append(
        f"| `{c.operator}`, N={c.size:,}: requests = ceil(N/{c.per_request}) = {c.requests} "
        f"| {venue} | {_requests(m.task_requests)} | {verdict(exact)} |"
    )
    return lines


if __name__ == "__main__":  # the hook's process (see hook_sends): prints the seconds of each send
    kind, size, repeats, conn_id = sys.argv[1:5]
    print(json.dumps(hook_worker(kind, int(size), int(repeats), conn_id)))
