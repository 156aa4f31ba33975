"""`make bench`: how many requests and how much time a send costs, written to docs/benchmarks.md.

A Clockwork emulator runs in this process with injected latency (50 ms by default,
roughly a real round trip to an API). For each recipient count, four ways of texting
everyone are measured side by side in one run:

(a) ``ClockworkHook.send_sms`` with ``max_concurrent_requests=1`` (batches of 50, one at a time);
(b) ``ClockworkHook.send_sms`` with the default concurrency (4 batches in flight);
(c) naive: one ``requests.post`` per number, each on a fresh connection;
(d) naive: one request per number over one kept-alive ``requests.Session``.

Requests are counted from the emulator's own request log. Wall time is the median of a
few repetitions. The naive ways cost one round trip per number, so they are timed in
passes over the numbers with a split time at each recipient count (a naive loop does
the same work for its first k numbers whatever the total): a few passes for the small
counts, one pass for the large ones. Every pass has a time budget and stops by itself:
(c), the baseline of every ratio, gets enough for the whole pass; (d) gets less, so that
``make bench`` stays within a few minutes, and a count it does not reach is reported as
a lower bound (with the estimate its measured rate gives), never as a measurement.

Then the send operators inside a real Airflow task (run by ``airflow dags test`` and by a
real deployment, the retry ledger included), side by side with the bare hook: see
``in_task.py``.

Then the import cost of the operator module, next to the Slack provider's operator
module, from ``python -X importtime`` in fresh interpreters, after Airflow's
``BaseOperator`` (which both need) has been imported.

Nothing here is asserted: the report shows the numbers and the targets side by side.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import importlib.metadata
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Airflow reads AIRFLOW_HOME when it is first imported: keep this run out of ~/airflow.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="clockwork-bench-airflow-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

import in_task
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator

# The Airflow home made above is this run's alone: it goes when the run ends.
atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)

REPO = Path(__file__).resolve().parent.parent
CONN_ID = "clockwork_bench"
KEY = "bench-key"
TEXT = "Nightly load done: 1234 rows"
REQUEST_TIMEOUT = 30.0
OUR_MODULE = "airflow_provider_clockwork.operators.sms"
SLACK_MODULE = "airflow.providers.slack.operators.slack"
SHARED_IMPORT = "from airflow.providers.common.compat.sdk import BaseOperator"
IMPORT_TIMEOUT = 120.0

PROVIDER_SEQUENTIAL = "(a) provider, sequential (`max_concurrent_requests=1`)"
PROVIDER_CONCURRENT = "(b) provider, concurrent (default 4)"
NAIVE_FRESH = "(c) naive: `requests.post` per number, fresh connection"
NAIVE_SESSION = "(d) naive: one request per number over one Session"
METHODS = (PROVIDER_SEQUENTIAL, PROVIDER_CONCURRENT, NAIVE_FRESH, NAIVE_SESSION)


def numbers_for(count: int) -> list[str]:
    return [f"4477009{index:05d}" for index in range(count)]


@dataclass
class Case:
    """One method at one recipient count: requests per send and the wall times measured."""

    requests: int | None = None
    seconds: list[float] = field(default_factory=list)
    stopped: tuple[int, float] | None = None
    """When a budget cut the pass short: (numbers done, seconds taken) instead of a timing."""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None


Results = dict[str, dict[int, Case]]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- the provider ------------------------------------------------------------------------


def provider_send(emulator: ClockworkEmulator, numbers: list[str], workers: int | None) -> tuple[float, int]:
    """One send through a fresh hook (as each task run makes one); seconds and requests made."""
    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

    emulator.reset()
    hook = ClockworkHook(clockwork_conn_id=CONN_ID, max_concurrent_requests=workers)
    started = time.perf_counter()
    try:
        result = hook.send_sms(numbers, TEXT)
    finally:
        hook.close()
    seconds = time.perf_counter() - started
    if len(result.message_ids) != len(numbers) or len(emulator.messages()) != len(numbers):
        raise RuntimeError(f"the provider sent {len(result.message_ids)} of {len(numbers)} messages")
    return seconds, len(emulator.requests())


def measure_provider(
    emulator: ClockworkEmulator, sizes: Sequence[int], repeats: int, results: Results
) -> None:
    provider_send(emulator, numbers_for(1), None)  # warm-up: imports, connection reading
    for method, workers in ((PROVIDER_SEQUENTIAL, 1), (PROVIDER_CONCURRENT, None)):
        for size in sizes:
            case = results[method][size]
            for _ in range(repeats):
                seconds, made = provider_send(emulator, numbers_for(size), workers)
                case.seconds.append(seconds)
                case.requests = made
            log(f"{method} N={size}: {case.requests} requests, median {case.median:.3f} s")


# -- the naive ways ----------------------------------------------------------------------


def naive_pass(
    emulator: ClockworkEmulator,
    post: Callable[..., requests.Response],
    total: int,
    splits: Sequence[int],
    budget: float,
) -> tuple[dict[int, float], dict[int, int], int, float]:
    """Text ``total`` numbers one request each.

    :return: the time at each split reached, requests per split reached, the numbers done
        and the seconds taken (less than ``total`` numbers when the budget ran out).
    """
    emulator.reset()
    url = f"{emulator.url}/http/send.aspx"
    numbers = numbers_for(total)
    times: dict[int, float] = {}
    started = time.perf_counter()
    done = 0
    for number in numbers:
        response = post(url, data={"Key": KEY, "To": number, "Content": TEXT}, timeout=REQUEST_TIMEOUT)
        if response.status_code != 200 or "ID:" not in response.text:
            raise RuntimeError(
                f"naive send to {number} failed: HTTP {response.status_code} {response.text!r}"
            )
        done += 1
        if done in splits:
            times[done] = time.perf_counter() - started
        if time.perf_counter() - started > budget:
            break
    elapsed = time.perf_counter() - started
    # Requests per split, from the emulator's log: those whose numbers are all among the first k.
    position = {number: index for index, number in enumerate(numbers)}
    last_number = [max(position[n] for n in request["numbers"]) for request in emulator.requests()]
    counts = {split: sum(1 for last in last_number if last < split) for split in splits if split <= done}
    return times, counts, done, elapsed


def measure_naive(
    emulator: ClockworkEmulator,
    sizes: Sequence[int],
    repeats: int,
    latency: float,
    small_pass_seconds: float,
    budgets: dict[str, float],
    results: Results,
) -> None:
    """One pass over the largest count, timed at every count; more passes over the cheap counts only."""
    small = [size for size in sizes if size * latency <= small_pass_seconds]
    passes = [max(sizes)] + [max(small)] * (repeats - 1 if small else 0)
    for method in (NAIVE_FRESH, NAIVE_SESSION):
        for total in passes:
            splits = [size for size in sizes if size <= total]
            if method == NAIVE_FRESH:
                outcome = naive_pass(emulator, requests.post, total, splits, budgets[method])
            else:
                with requests.Session() as session:
                    outcome = naive_pass(emulator, session.post, total, splits, budgets[method])
            times, counts, done, elapsed = outcome
            for split in splits:
                case = results[method][split]
                if split in times:
                    case.seconds.append(times[split])
                    case.requests = counts[split]
                elif not case.seconds:
                    case.stopped = (done, elapsed)
        for size in sizes:
            case = results[method][size]
            median = f"median {case.median:.3f} s" if case.median is not None else f"stopped: {case.stopped}"
            log(f"{method} N={size}: {case.requests} requests, {len(case.seconds)} timing(s), {median}")


# -- imports -----------------------------------------------------------------------------


@dataclass
class ImportCost:
    module: str
    microseconds: list[int] = field(default_factory=list)
    modules_added: int | None = None
    error: str = ""

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.microseconds) / 1000 if self.microseconds else None


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$")


def import_cost_once(module: str) -> tuple[int, int]:
    """Microseconds the import adds after the shared import (sum of its top-level lines), modules added."""
    code = (
        f"{SHARED_IMPORT}\n"
        "import sys\n"
        "before = len(sys.modules)\n"
        "sys.stderr.write('BENCH-START\\n'); sys.stderr.flush()\n"
        f"import {module}\n"
        "sys.stderr.write('BENCH-END\\n'); sys.stderr.flush()\n"
        "print(len(sys.modules) - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT,
        check=False,
        env=os.environ.copy(),
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    lines = done.stderr.split("BENCH-START\n", 1)[1].split("BENCH-END\n", 1)[0].splitlines()
    total = 0
    for line in lines:
        match = IMPORT_LINE.match(line)
        if match and len(match.group(3)) == 1:  # top level: what the import statement itself costs
            total += int(match.group(2))
    return total, int(done.stdout.strip().splitlines()[-1])


def measure_imports(repeats: int) -> list[ImportCost]:
    costs = [ImportCost(OUR_MODULE), ImportCost(SLACK_MODULE)]
    for _ in range(repeats):
        for cost in costs:  # alternate, so drift hits both alike
            if cost.error:
                continue
            try:
                microseconds, added = import_cost_once(cost.module)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                cost.error = str(error)
                continue
            cost.microseconds.append(microseconds)
            cost.modules_added = added
    for cost in costs:
        shown = f"{cost.median_ms:.1f} ms" if cost.median_ms is not None else cost.error
        log(f"import {cost.module}: {shown}")
    return costs


# -- the report --------------------------------------------------------------------------


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}×"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def render(
    results: Results,
    in_task_results: dict[str, list[in_task.Measured]],
    imports: list[ImportCost],
    sizes: Sequence[int],
    args: argparse.Namespace,
    took: float,
) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    latency_ms = f"{args.latency * 1000:g}"
    out = [
        "# Benchmarks",
        "",
        "What sending costs: the requests and the time to text 1 to 2000 numbers with the hook, next to",
        "naive one-request-per-number loops; the send operators at scale inside a real Airflow task,",
        "retry ledger included, next to the bare hook; and what importing the operator adds to a DAG",
        "file's parse.",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand.",
        "Targets are reported, not asserted.",
        "",
        f"- Date: {today}; the run took {took:.0f} s; load average (1 min) {args.load_at_start:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end (other work on the machine slows every figure)",
        f"- Machine: {os.cpu_count()} CPU core(s), {platform.machine()}, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}",
        f"- apache-airflow {version_of('apache-airflow')}, requests {version_of('requests')}, "
        f"apache-airflow-providers-slack {version_of('apache-airflow-providers-slack')}",
        f"- Clockwork emulator in the same process, {args.latency * 1000:.0f} ms latency on every reply, "
        "on 127.0.0.1",
        f"- Wall time: median of {args.repeats} repetitions. The naive ways are timed as split times",
        f"  of passes over the numbers: one pass over {max(sizes)} numbers with a split at every N,",
        f"  plus {args.repeats - 1} more over the N whose pass takes at most {args.small_pass_seconds:g} s;",
        "  so their times at the large N are single measurements (the *timings* column). Each naive",
        f"  pass has a time budget: (c) {args.budget_c:g} s, (d) {args.budget_d:g} s (see † below)",
        "- Requests: counted from the emulator's request log",
        "",
        "## Sending one text to N recipients",
        "",
        "| N | way | requests | wall time | timings | fewer requests than (c) | faster than (c) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    stopped_notes = []
    for size in sizes:
        baseline = results[NAIVE_FRESH][size]
        for method in METHODS:
            case = results[method][size]
            made, wall = case.requests, fmt_seconds(case.median)
            if case.stopped is not None and case.median is None:
                done, elapsed = case.stopped
                made, wall = size, f"> {fmt_seconds(elapsed)} †"  # one request per number, by construction
                stopped_notes.append(
                    f"- † {method} at N={size}: its pass was stopped by its {budget_of(args, method):g} s "
                    f"budget after {done} numbers and {elapsed:.1f} s, so this is a lower bound, not a "
                    f"measurement; at that rate ({elapsed / done * 1000:.1f} ms a number) N={size} would "
                    f"take about {elapsed / done * size:.0f} s. Requests: one per number by construction "
                    f"(the emulator logged the {done} made)."
                )
            out.append(
                f"| {size} | {method} | {made if made is not None else '–'} "
                f"| {wall} | {len(case.seconds)} "
                f"| {fmt_ratio(ratio(baseline.requests, made))} "
                f"| {fmt_ratio(ratio(baseline.median, case.median))} |"
            )
    out += ["", *stopped_notes] if stopped_notes else []
    top = max(sizes)
    seq, conc = results[PROVIDER_SEQUENTIAL][top], results[PROVIDER_CONCURRENT][top]
    naive = results[NAIVE_FRESH][top]
    request_ratio = ratio(naive.requests, conc.requests)
    time_ratio = ratio(naive.median, conc.median)
    speedup = ratio(seq.median, conc.median)
    ceil_ok = all(
        results[method][size].requests == math.ceil(size / 50)
        for method in (PROVIDER_SEQUENTIAL, PROVIDER_CONCURRENT)
        for size in sizes
    )
    ours, slack = imports
    requests_made = ", ".join(f"N={size}: {results[PROVIDER_CONCURRENT][size].requests}" for size in sizes)
    import_ok = (
        None if ours.median_ms is None or slack.median_ms is None else ours.median_ms < slack.median_ms
    )
    out += [
        "",
        "Concurrent over sequential, same requests: "
        + ", ".join(f"N={size}: {fmt_ratio(speedup_at(results, size))}" for size in sizes)
        + ".",
        "",
        *in_task.render(in_task_results, args.in_task_repeats, verdict),
        "",
        "## Importing the operator module",
        "",
        f"Each module imported in a fresh `python -X importtime` after `{SHARED_IMPORT}` (which both",
        "operators need anyway): the time is the sum of the cumulative times of the import's top-level",
        f"entries, median of {args.import_repeats} runs; modules added counts new `sys.modules` entries.",
        "",
        "| module | import time | modules added |",
        "|---|---:|---:|",
    ]
    for cost in imports:
        shown = f"{cost.median_ms:.1f} ms" if cost.median_ms is not None else f"not measured: {cost.error}"
        added = cost.modules_added if cost.modules_added is not None else "–"
        out.append(f"| `{cost.module}` | {shown} | {added} |")
    out += [
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| requests = ceil(N/50) for (a) and (b) | {requests_made} | {verdict(ceil_ok)} |",
        f"| at N={top}, ≥ 40× fewer requests than (c) | {fmt_ratio(request_ratio)} | "
        f"{verdict(None if request_ratio is None else request_ratio >= 40)} |",
        f"| at N={top}, ≥ 20× less wall time than (c) | {fmt_ratio(time_ratio)} | "
        f"{verdict(None if time_ratio is None else time_ratio >= 20)} |",
        f"| concurrent ≥ 2.5× faster than sequential (N={top}) | {fmt_ratio(speedup)} | "
        f"{verdict(None if speedup is None else speedup >= 2.5)} |",
        f"| our operator import adds less than Slack's | "
        f"{fmt_seconds_ms(ours.median_ms)} vs {fmt_seconds_ms(slack.median_ms)} | {verdict(import_ok)} |",
        "",
        "## Notes",
        "",
        "- The provider's time includes building the hook, reading the connection and opening the",
        "  session, as in a task run; the naive ways skip all of that.",
        f"- With {latency_ms} ms per round trip, N numbers one request at a time take at least",
        f"  N × {latency_ms} ms; batching divides the round trips by 50 and concurrency overlaps up to 4",
        "  of them. Over a real network a fresh connection per request also pays TCP and TLS",
        "  handshakes, which loopback hides, so (c) is slower in practice than here.",
        "- Mapped tasks (one task instance per recipient) cost at least one request *and* one task",
        "  run each; see docs/sending.md on mapping.",
        "- Importing `BaseOperator` already runs every installed provider's `get_provider_info`",
        "  (Airflow 3's provider discovery), so each provider's registration cost is in the shared",
        "  part, not in the figures above.",
    ]
    return "\n".join(out) + "\n"


def budget_of(args: argparse.Namespace, method: str) -> float:
    return float(args.budget_c if method == NAIVE_FRESH else args.budget_d)


def speedup_at(results: Results, size: int) -> float | None:
    return ratio(results[PROVIDER_SEQUENTIAL][size].median, results[PROVIDER_CONCURRENT][size].median)


def fmt_seconds_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--sizes", default="1,50,500,2000", help="recipient counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the emulator holds each reply")
    parser.add_argument(
        "--small-pass-seconds",
        type=float,
        default=5.0,
        help="naive counts whose pass should take at most this long get --repeats passes; others one",
    )
    parser.add_argument(
        "--budget-c", type=float, default=200.0, help="seconds a pass of (c), the baseline, may take at most"
    )
    parser.add_argument("--budget-d", type=float, default=35.0, help="seconds a pass of (d) may take at most")
    parser.add_argument("--import-repeats", type=int, default=3)
    parser.add_argument("--in-task-repeats", type=int, default=3, help="task runs of each in-task case")
    parser.add_argument(
        "--in-task-scale", type=float, default=1.0, help="multiplies N of each in-task case (a quick check)"
    )
    parser.add_argument(
        "--in-task-home", type=Path, help="an Airflow home already migrated, to reuse for the in-task runs"
    )
    parser.add_argument(
        "--in-task-venues",
        default=",".join(in_task.VENUES),
        help="what runs the in-task DAG: 'dags test', 'deployment' (Airflow 3 only), comma-separated",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if not sizes or sizes[0] < 1 or min(args.repeats, args.import_repeats, args.in_task_repeats) < 1:
        parser.error("sizes and repeats must be positive")

    started = time.perf_counter()
    args.load_at_start = os.getloadavg()[0]
    results: Results = {method: {size: Case() for size in sizes} for method in METHODS}
    with ClockworkEmulator(keys=(KEY,), credit=10**9, latency=args.latency) as emulator:
        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = emulator.connection_json()
        measure_provider(emulator, sizes, args.repeats, results)
        measure_naive(
            emulator,
            sizes,
            args.repeats,
            args.latency,
            args.small_pass_seconds,
            {NAIVE_FRESH: args.budget_c, NAIVE_SESSION: args.budget_d},
            results,
        )
    in_task_results = in_task.measure(
        in_task.scaled(in_task.CASES, args.in_task_scale),
        args.in_task_repeats,
        args.in_task_home,
        args.in_task_venues.split(","),
    )
    imports = measure_imports(args.import_repeats)
    report = render(results, in_task_results, imports, sizes, args, time.perf_counter() - started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
