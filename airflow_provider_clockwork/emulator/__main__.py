"""Run the Clockwork emulator from a shell: ``python -m airflow_provider_clockwork.emulator``.

It prints ``Clockwork emulator listening on http://HOST:PORT`` first (scripts wait
for that line), then one line per accepted message and per callback (receipt or inbound
text) try, and exits 0 on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from airflow_provider_clockwork.emulator.callbacks import INBOUND_FORMATS
from airflow_provider_clockwork.emulator.faults import FaultError, fault_from_text
from airflow_provider_clockwork.emulator.server import INVALID_TO, ClockworkEmulator
from airflow_provider_clockwork.emulator.state import DEFAULT_PRICE_PER_CREDIT

DEFAULT_PORT = 8089
DEFAULT_KEY = "test-key"
REFUSED_TEXT = "Refused by the emulator"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_clockwork.emulator",
        description="A local Clockwork SMS API for tests, demos and local DAG runs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port; 0 picks a free one (default 8089)"
    )
    parser.add_argument(
        "--key", action="append", help=f"an API key to accept; repeat for several (default {DEFAULT_KEY})"
    )
    parser.add_argument("--credit", type=int, default=10_000, help="starting message credit (default 10000)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds from a request's arrival to its reply"
    )
    parser.add_argument(
        "--price-per-credit",
        default=str(DEFAULT_PRICE_PER_CREDIT),
        metavar="GBP",
        help=f"what one credit is worth in the balance reply (default {DEFAULT_PRICE_PER_CREDIT})",
    )
    parser.add_argument(
        "--inbound-url",
        metavar="URL",
        help="where texts to the account are forwarded (POST /_emulator/inbound makes one)",
    )
    parser.add_argument(
        "--inbound-format",
        choices=INBOUND_FORMATS,
        default="form",
        help="how inbound texts are forwarded: a form POST (default) or XML",
    )
    parser.add_argument(
        "--refuse",
        action="append",
        default=[],
        metavar="NUMBER[:CODE[:TEXT]]",
        help="give NUMBER a per-number error instead of an ID (default Error 10: Invalid 'To' Parameter)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="queue a fault for the next send requests: kind[:name=value,...] or a JSON object",
    )
    return parser


def parse_refusal(text: str) -> tuple[str, int, str]:
    """``NUMBER``, ``NUMBER:CODE`` or ``NUMBER:CODE:TEXT``; code 10 keeps Clockwork's own text."""
    number, _, rest = text.partition(":")
    code_text, _, description = rest.partition(":")
    code = int(code_text) if code_text else INVALID_TO.code
    if not description:
        description = INVALID_TO.description if code == INVALID_TO.code else REFUSED_TEXT
    if not number.strip():
        raise ValueError(f"--refuse {text!r} names no number")
    return number.strip(), code, description


def _configured_emulator(args: argparse.Namespace) -> ClockworkEmulator:
    emulator = ClockworkEmulator(
        host=args.host,
        port=args.port,
        keys=tuple(args.key or [DEFAULT_KEY]),
        credit=args.credit,
        latency=args.latency,
        echo=True,
        price_per_credit=args.price_per_credit,
        inbound_url=args.inbound_url,
        inbound_format=args.inbound_format,
    )
    for refusal in args.refuse:
        emulator.refuse(*parse_refusal(refusal))
    emulator.inject(*(fault_from_text(spec) for spec in args.fault))
    return emulator


def _wait_for_signal() -> None:
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping.wait(0.5):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        emulator = _configured_emulator(args)
    except (ValueError, FaultError) as error:
        parser.error(str(error))
    try:
        emulator.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    print(f"Clockwork emulator listening on {emulator.url}", flush=True)
    try:
        _wait_for_signal()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
