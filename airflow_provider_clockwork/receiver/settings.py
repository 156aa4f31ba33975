"""The receiver's part of a Clockwork connection: its public URL, its token and the allowed senders.

Clockwork cannot sign its callbacks, so the URL it calls carries a secret token
(extra ``receiver_token``); the receiver compares it in constant time. The token is
a secret like the API key: it is never in a ``repr``, a log line or an exception.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from airflow_provider_clockwork.connection import plain_extra
from airflow_provider_clockwork.exceptions import ClockworkConfigError
from airflow_provider_clockwork.protocol.delivery import ReceiptRequest, check_receipt_url
from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.recipients import normalise_recipients

MIN_TOKEN_LENGTH = 16
TOKEN_PARAMETER = "token"
"""The query parameter holding the token; Airflow's access log redacts parameters of that name."""
TOKEN_HEADER = "X-Clockwork-Token"
"""The header holding the token on the notifier's calls (headers are in no access log)."""
RECEIPTS_PATH = "receipts"
INBOUND_PATH = "inbound"
HITL_CODES_PATH = "hitl-codes"


@dataclass(frozen=True)
class ReceiverSettings:
    """Where Clockwork reaches the receiver for one connection, and who may trigger DAGs by text."""

    conn_id: str
    token: str = field(repr=False)
    url: str | None = None
    """The receiver's public base URL, e.g. ``https://airflow.example.com/clockwork``."""
    allowed_senders: frozenset[str] = frozenset()
    reply_on_refusal: bool = False
    """Text a reply that answered no Human-in-the-loop request back, saying why."""

    def token_matches(self, offered: str) -> bool:
        return hmac.compare_digest(self.token.encode("utf-8"), offered.encode("utf-8"))

    def callback_url(self, path: str) -> str:
        """The URL Clockwork calls for ``path`` (receipts or inbound), token included."""
        if self.url is None:
            raise ClockworkConfigError(f"Connection {self.conn_id!r} has no extra 'receiver_url'.")
        query = urlencode({TOKEN_PARAMETER: self.token})
        return f"{self.url}/{quote(self.conn_id, safe='')}/{path}?{query}"

    def reservation_url(self) -> str:
        """Where the notifier asks for a Human-in-the-loop reply code (the token goes in a header)."""
        if self.url is None:
            raise ClockworkConfigError(f"Connection {self.conn_id!r} has no extra 'receiver_url'.")
        return f"{self.url}/{quote(self.conn_id, safe='')}/{HITL_CODES_PATH}"

    def receipt_request(self, content: Mapping[str, str] | None = None) -> ReceiptRequest | None:
        """Receipt settings for a send (None without a ``receiver_url``): form POSTs to the receiver."""
        if self.url is None:
            return None
        query = urlencode(dict(content)) if content else None
        return ReceiptRequest(url=self.callback_url(RECEIPTS_PATH), content=query)


def _token(conn_id: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) < MIN_TOKEN_LENGTH or value.strip() != value:
        # Never echo the value: it is a secret, even when it is a bad one.
        raise ClockworkConfigError(
            f"Connection {conn_id!r} extra 'receiver_token' must be a text of at least "
            f"{MIN_TOKEN_LENGTH} characters without surrounding blanks (e.g. from "
            f"`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    return value


def _url(conn_id: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        return check_receipt_url(value).rstrip("/")
    except InvalidInputError:
        raise ClockworkConfigError(
            f"Connection {conn_id!r} extra 'receiver_url' {value!r} is not an http:// or https:// URL "
            f"with a host, such as 'https://airflow.example.com/clockwork'."
        ) from None


def _senders(conn_id: str, value: Any) -> frozenset[str]:
    if value is None or value == "" or value == []:
        return frozenset()
    try:
        return frozenset(normalise_recipients(value))
    except InvalidInputError as error:
        raise ClockworkConfigError(f"Connection {conn_id!r} extra 'allowed_senders': {error}") from None


def _flag(conn_id: str, name: str, value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ClockworkConfigError(f"Connection {conn_id!r} extra {name!r} must be true or false, not {value!r}.")


def read_receiver_settings(conn_id: str, extra: Mapping[str, Any]) -> ReceiverSettings | None:
    """The receiver settings of a connection, or None when it has no ``receiver_token``."""
    plain = plain_extra(dict(extra))
    token = _token(conn_id, plain.get("receiver_token"))
    if token is None:
        if plain.get("receiver_url"):
            raise ClockworkConfigError(
                f"Connection {conn_id!r} has a 'receiver_url' but no 'receiver_token': the receiver "
                f"refuses every call without a token."
            )
        return None
    return ReceiverSettings(
        conn_id=conn_id,
        token=token,
        url=_url(conn_id, plain.get("receiver_url")),
        allowed_senders=_senders(conn_id, plain.get("allowed_senders")),
        reply_on_refusal=_flag(conn_id, "reply_on_refusal", plain.get("reply_on_refusal")),
    )


def sending_task() -> dict[str, str]:
    """The running task's DAG, run and task IDs (for ``DlrContent``), or nothing outside a task."""
    try:
        from airflow.providers.common.compat.sdk import get_current_context

        context = get_current_context()
        ti = context["ti"]
        return {"dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id}
    except Exception:  # no task is running (a script, a test): receipts still work without names
        return {}
