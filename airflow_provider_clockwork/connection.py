"""Reading a Clockwork connection: API key, base URL, timeout, default sender and recipients, concurrency.

Kept apart from the hook so the rules for each field (and their error messages,
which must name the bad value but never the key) are in one small place.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_clockwork.connection_form import (
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    MAX_CONCURRENT_REQUESTS_LIMIT,
)
from airflow_provider_clockwork.exceptions import ClockworkConfigError, ClockworkInputError
from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.message import check_sender
from airflow_provider_clockwork.protocol.recipients import normalise_recipients

DEFAULT_BASE_URL = "https://api.clockworksms.com"
DEFAULT_TIMEOUT = 30.0
"""The most requests one send keeps in flight; a guard against hammering Clockwork by mistake."""


@dataclass(frozen=True)
class ClockworkSettings:
    """What a hook needs from a connection. ``repr`` leaves the key out."""

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT
    default_sender: str | None = None
    default_to: tuple[str, ...] = ()
    """Who is texted when a task gives no ``to`` (e.g. the on-call number), normalised."""
    max_concurrent_requests: int = DEFAULT_MAX_CONCURRENT_REQUESTS


def _named(conn_id: str) -> str:
    return f"Connection {conn_id!r}"


def _api_key(name: str, password: str | None) -> str:
    if password is None or not password.strip():
        raise ClockworkConfigError(
            f"{name} has no API key: the password field must hold the Clockwork API key."
        )
    return password.strip()


def base_url(conn_id: str, host: str | None, port: int | None, name: str | None = None) -> str:
    """The URL requests go to: ``host`` with https assumed, ``port`` replacing any port in it.

    :param name: how errors name the connection; default ``Connection 'conn_id'``.
    """
    text = (host or "").strip()
    if not text:
        text = DEFAULT_BASE_URL
    elif "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    try:
        host_port = parts.port
    except ValueError:
        host_port = None
        valid_port = False
    else:
        valid_port = True
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not valid_port
        or parts.query
        or parts.fragment
        or parts.username
        or any(char.isspace() for char in text)
    ):
        raise ClockworkConfigError(
            f"{name or _named(conn_id)} has host {host!r}, which is not a base URL such as "
            f"'https://api.clockworksms.com' or 'http://127.0.0.1:8089'."
        )
    chosen_port = port if port else host_port
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if chosen_port:
        netloc = f"{netloc}:{chosen_port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _timeout(name: str, value: Any) -> float:
    if value is None or value == "":
        return DEFAULT_TIMEOUT
    try:
        if isinstance(value, bool):
            raise ValueError
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ClockworkConfigError(f"{name} has timeout {value!r}: it must be a positive number of seconds.")
    return seconds


def _default_sender(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        return check_sender(value)
    except InvalidInputError as error:
        raise ClockworkInputError(f"{name} extra 'sender': {error}") from None


def _default_to(name: str, value: Any) -> tuple[str, ...]:
    if value is None or value == "" or value == []:
        return ()
    try:
        return tuple(normalise_recipients(value))
    except InvalidInputError as error:
        raise ClockworkInputError(f"{name} extra 'to': {error}") from None


def plain_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """Extras by plain name; older Airflow forms saved them as ``extra__clockwork__<name>``."""
    prefix = "extra__clockwork__"
    plain = {name[len(prefix) :]: value for name, value in extra.items() if name.startswith(prefix)}
    plain.update((name, value) for name, value in extra.items() if not name.startswith(prefix))
    return plain


def max_concurrent_requests(value: Any, where: str) -> int:
    """A whole number of requests from 1 to the limit (an int, or a string or float holding one).

    :param where: names the setting in the error, e.g. ``"Connection 'cw' extra 'max_concurrent_requests'"``.
    """
    number = float("nan")
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        with suppress(ValueError):
            number = float(value)
    if not (number.is_integer() and 1 <= number <= MAX_CONCURRENT_REQUESTS_LIMIT):
        raise ClockworkConfigError(
            f"{where} is {value!r}: it must be a whole number of requests from 1 (one at a time) "
            f"to {MAX_CONCURRENT_REQUESTS_LIMIT}."
        )
    return int(number)


def _max_concurrent_requests(name: str, value: Any) -> int:
    if value is None or value == "":
        return DEFAULT_MAX_CONCURRENT_REQUESTS
    return max_concurrent_requests(value, f"{name} extra 'max_concurrent_requests'")


def read_settings(
    conn_id: str,
    *,
    password: str | None,
    host: str | None,
    port: int | None,
    extra: dict[str, Any],
    name: str | None = None,
) -> ClockworkSettings:
    """Every field checked; an error names the field, the bad value and the connection.

    :param name: how errors name the connection; default ``Connection 'conn_id'``. A
        connection test passes its own words, as Airflow tests a form under a random id.
    """
    name = name or _named(conn_id)
    extra = plain_extra(extra)
    return ClockworkSettings(
        api_key=_api_key(name, password),
        base_url=base_url(conn_id, host, port, name),
        timeout=_timeout(name, extra.get("timeout")),
        default_sender=_default_sender(name, extra.get("sender")),
        default_to=_default_to(name, extra.get("to")),
        max_concurrent_requests=_max_concurrent_requests(name, extra.get("max_concurrent_requests")),
    )
