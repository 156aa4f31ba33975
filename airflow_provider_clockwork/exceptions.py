"""Exceptions the provider raises; all derive from ``AirflowException``.

A send that stops part-way carries what it achieved (``result``) and the numbers
whose fate is unknown or that were never tried, so that a caller (the operator,
a retry) can act on exactly what went out and never report a number as texted
without an ID from Clockwork. For a personalised send, ``result`` is keyed by
client ID and ``unknown``/``unsent`` name messages as ``client_id (number)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

# Raised (by the operator) for failures no retry can fix: Airflow then fails the task
# without using its retries. Re-exported here so the provider imports it in one place.
from airflow.providers.common.compat.sdk import AirflowFailException as AirflowFailException

from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode
from airflow_provider_clockwork.protocol.results import SendResult, SmsError


class ClockworkError(AirflowException):
    """Base class of every error this provider raises."""


class ClockworkConfigError(ClockworkError, AirflowFailException, ValueError):
    """The Clockwork connection is unusable: no key, a host that is not a URL, a bad extra.

    An ``AirflowFailException``: a retry would read the same connection, so Airflow fails
    the task at once instead of spending its retries on the same error.
    """


class ClockworkInputError(ClockworkError, AirflowFailException, ValueError):
    """Recipients, content or sender that cannot be sent; raised before any request.

    An ``AirflowFailException``: a retry cannot fix a bad number or an over-long text, so
    Airflow fails the task at once; the user fixes the input and clears the task.
    """


def describe_progress(result: SendResult, unknown: Sequence[str] = (), unsent: Sequence[str] = ()) -> str:
    """A sentence on what went out, what was refused and what is in doubt."""
    parts = [f"{len(result.message_ids)} {result.noun}(s) got a message ID"]
    if result.errors:
        parts.append(f"refused: {result.describe_errors()}")
    if unknown:
        parts.append(
            "outcome UNKNOWN (the request may have reached Clockwork, so these may have been "
            f"texted): {', '.join(unknown)}"
        )
    if unsent:
        parts.append(f"not sent: {', '.join(unsent)}")
    return "; ".join(parts) + "."


class ClockworkSendError(ClockworkError):
    """A send stopped before every number had an answer from Clockwork."""

    def __init__(
        self,
        reason: str,
        *,
        result: SendResult | None = None,
        unknown: Sequence[str] = (),
        unsent: Sequence[str] = (),
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.result = result if result is not None else SendResult()
        self.unknown = list(unknown)
        self.unsent = list(unsent)

    @property
    def permanent(self) -> bool:
        """True when the same request would fail the same way again, so retrying it is pointless."""
        return False

    def __str__(self) -> str:
        # Built on demand: a multi-batch send adds the earlier batches' progress before re-raising.
        if not (self.result.message_ids or self.result.errors or self.unknown or self.unsent):
            return self.reason  # a request that carried no message (the credit check)
        return f"{self.reason} {describe_progress(self.result, self.unknown, self.unsent)}"


class ClockworkRequestError(ClockworkSendError):
    """Clockwork refused a whole request (``Error N: text``), e.g. a wrong API key.

    ``error`` is Clockwork's answer; ``code``, ``description``, ``known_code`` and
    ``permanent`` read it, so a caller can decide on a retry without parsing the message.
    """

    def __init__(
        self,
        error: SmsError,
        *,
        result: SendResult | None = None,
        unknown: Sequence[str] = (),
        unsent: Sequence[str] = (),
    ) -> None:
        self.error = error
        super().__init__(
            f"Clockwork refused the request: {error}.", result=result, unknown=unknown, unsent=unsent
        )

    @property
    def code(self) -> int:
        return self.error.code

    @property
    def description(self) -> str:
        return self.error.description

    @property
    def known_code(self) -> ClockworkErrorCode | None:
        return self.error.known_code

    @property
    def permanent(self) -> bool:
        return self.error.permanent


class ClockworkTransportError(ClockworkSendError):
    """No usable reply: a timeout, a dropped connection, an HTTP error or an unreadable body.

    All of these may pass, except an HTTP 4xx answer that says the request itself is wrong
    (``permanent``: e.g. 404 for a base URL without Clockwork behind it).
    """

    def __init__(self, reason: str, *, permanent: bool = False, **progress: Any) -> None:
        """``progress``: ``result``, ``unknown`` and ``unsent``, as for :class:`ClockworkSendError`."""
        super().__init__(reason, **progress)
        self._permanent = permanent

    @property
    def permanent(self) -> bool:
        return self._permanent
