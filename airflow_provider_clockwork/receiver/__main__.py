"""Serve the receiver alone: ``python -m airflow_provider_clockwork.receiver --port 8090``.

For deployments whose API server Clockwork cannot reach, or that want the receiver in a
process of its own: the same app, under the same ``/clockwork`` prefix, writing to the
same store (Airflow's metadata database, as configured for this process). Needs Airflow
3.3 or newer, which has the asset state store.
"""

from __future__ import annotations

import argparse
import socket
import sys

PREFIX = "/clockwork"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_clockwork.receiver")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8090, help="port (default 8090; 0 picks a free one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    from airflow_provider_clockwork.receiver.store import store_available

    if not store_available():
        print("The Clockwork receiver needs Airflow 3.3 or newer (the asset state store).", file=sys.stderr)
        return 2
    import uvicorn
    from fastapi import FastAPI

    from airflow_provider_clockwork.receiver.app import create_app

    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.mount(PREFIX, create_app())
    listener = socket.create_server((options.host, options.port))
    host, port = listener.getsockname()[:2]
    print(f"Clockwork receiver listening on http://{host}:{port}{PREFIX}", flush=True)
    # No access log: a request line would carry the token; the app logs counts instead.
    server = uvicorn.Server(uvicorn.Config(root, access_log=False, log_level="info"))
    server.run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main())
