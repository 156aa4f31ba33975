"""How the hook's POSTs travel: through the connection pool ``requests`` sets up for Clockwork's URL.

``requests`` decides how Clockwork is reached: the environment's proxy and CA bundle
(read once per hook), TLS verification and client certificates, and a pool of kept-alive
connections, one per request in flight. Each POST then goes straight to that pool, whose
urllib3 ``urlopen`` is what ``requests`` itself posts through. ``Session.send`` adds, on
every request, work Clockwork's API never needs (cookies, redirects, hooks, a reply read
as a stream of chunks): about 1 ms of the 1.5 ms of CPU a request cost the client, and a
send's request threads take turns on one interpreter lock.

Errors are urllib3's (``TRANSPORT_ERRORS``); :func:`never_reached` tells the ones that
prove the request was never delivered.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import resolve_proxies
from urllib3.exceptions import ConnectTimeoutError

TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError)
"""What a POST raises when no HTTP reply was read (urllib3's own errors: nothing is retried)."""
ROUTE_ERRORS = (OSError, ValueError, requests.RequestException, urllib3.exceptions.HTTPError)
"""What working out a route raises for settings it cannot use (a CA bundle path that is not
there, a proxy URL without a host); no request has been made."""
NO_RETRIES = urllib3.Retry(total=False)
"""The hook decides what may be repeated (see :func:`never_reached`); one object, not one per request."""


@dataclass(frozen=True)
class HttpReply:
    """Clockwork's HTTP answer, read whole."""

    status: int
    body: bytes
    url: str


@dataclass(frozen=True)
class Route:
    """How POSTs to one URL go: the pool, what to ask it for, and the headers every request sends."""

    pool: urllib3.HTTPConnectionPool
    target: str
    """The path, or the whole URL when a plain-HTTP proxy forwards the request."""
    headers: dict[str, str]
    url: str


def route_for(session: requests.Session, url: str, content_type: str) -> Route:
    """The pool and headers ``session.send`` would use for a POST to ``url``, worked out once."""
    prepared = session.prepare_request(requests.Request("POST", url, headers={"Content-Type": content_type}))
    proxies = resolve_proxies(prepared, dict(session.proxies), session.trust_env)
    adapter = session.get_adapter(url)
    if not isinstance(adapter, HTTPAdapter):
        raise TypeError(f"The session's adapter for {url} is a {type(adapter).__name__}, not an HTTPAdapter.")
    pool = adapter.get_connection_with_tls_context(
        prepared, session.verify, proxies=proxies, cert=session.cert
    )
    if not isinstance(pool, urllib3.HTTPConnectionPool):
        raise TypeError(
            f"The connection pool for {url} is a {type(pool).__name__}, not an HTTPConnectionPool."
        )
    adapter.cert_verify(pool, url, session.verify, session.cert)
    # urllib3 sets Content-Length from each body.
    headers = {name: value for name, value in prepared.headers.items() if name.lower() != "content-length"}
    return Route(pool, adapter.request_url(prepared, proxies), headers, url)


def post(route: Route, body: bytes, timeout: float) -> HttpReply:
    """One POST, its reply read whole; raises one of ``TRANSPORT_ERRORS`` when none was read.

    Nothing is retried or redirected here: the hook decides what may be repeated.
    """
    response = route.pool.urlopen(
        "POST",
        route.target,
        body=body,
        headers=route.headers,
        redirect=False,
        assert_same_host=False,
        retries=NO_RETRIES,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        preload_content=True,
    )
    return HttpReply(response.status, response.data, route.url)


def never_reached(error: BaseException) -> bool:
    """True when the request cannot have been delivered: no connection was made.

    urllib3's ``NewConnectionError`` (refused, unresolvable) is a ``ConnectTimeoutError``. A
    certificate that fails verification fails the TLS handshake, before any request is written.
    """
    if isinstance(error, urllib3.exceptions.SSLError):
        return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in error.args)
    return isinstance(error, ConnectTimeoutError)
