"""Delivery receipts: what became of a message after Clockwork accepted it.

Clockwork calls the URL given as ``DlrUrl`` when a message's state changes. A form
receipt (``DlrType`` 1 = GET, 2 = POST) carries ``msg_id``, ``to``, ``status``,
``detail`` and ``err_code``, e.g. ``?msg_id=AB_12345&status=DELIVRD&err_code=0&to=441234567890``.
The final states are confirmed; the spelling of the interim ones is not, so any
other status is kept as ``UNKNOWN`` with its raw text rather than refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from airflow_provider_clockwork.protocol.errors import InvalidInputError


class DeliveryState(Enum):
    """A message's delivery state, by Clockwork's status code."""

    DELIVERED = ("DELIVRD", "Delivered to the handset", True)
    UNDELIVERABLE = ("UNDELIV", "Could not be delivered", True)
    EXPIRED = ("EXPIRED", "Not delivered before it expired", True)
    REJECTED = ("REJECTD", "Rejected by the network", True)
    ENROUTE = ("ENROUTE", "On its way to the handset", False)
    ACCEPTED = ("ACCEPTD", "Accepted by the network", False)
    UNKNOWN = ("UNKNOWN", "Not a state this provider knows", False)

    def __init__(self, status: str, description: str, is_final: bool) -> None:
        self.status = status
        self.description = description
        self.is_final = is_final

    @classmethod
    def from_status(cls, status: str) -> DeliveryState:
        wanted = status.strip().upper()
        return next((state for state in cls if state.status == wanted), cls.UNKNOWN)


@dataclass(frozen=True)
class DeliveryReceipt:
    """One receipt: which message, to which number, its state and any error code."""

    message_id: str
    to: str
    state: DeliveryState
    status: str
    detail: str | None = None
    error_code: int | None = None

    @property
    def delivered(self) -> bool:
        return self.state is DeliveryState.DELIVERED


def parse_form_receipt(params: Mapping[str, str]) -> DeliveryReceipt:
    """A receipt from the query or form fields of Clockwork's callback (names case-insensitive)."""
    fields = {name.lower(): value for name, value in params.items()}
    message_id = fields.get("msg_id", "").strip()
    status = fields.get("status", "").strip()
    if not message_id or not status:
        raise InvalidInputError(
            f"Not a Clockwork delivery receipt: msg_id and status are required, got {sorted(fields)}."
        )
    raw_code = fields.get("err_code", "").strip()
    try:
        error_code = int(raw_code) if raw_code else None
    except ValueError:
        raise InvalidInputError(f"Delivery receipt err_code {raw_code!r} is not a number.") from None
    return DeliveryReceipt(
        message_id=message_id,
        to=fields.get("to", "").strip(),
        state=DeliveryState.from_status(status),
        status=status,
        detail=fields.get("detail") or None,
        error_code=error_code,
    )
