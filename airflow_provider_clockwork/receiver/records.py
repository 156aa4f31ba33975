"""What the receiver stores for each receipt and inbound text, and under which asset and key.

Pure data and rules, no Airflow import: the receiver (API server side) writes these
records, the delivery sensor and its trigger (worker and triggerer side) read them,
and both must agree on the asset URIs, the keys and what "newer" means.

Records live in Airflow's asset state store (AIP-103, Airflow 3.3+), one key per
message: receipts on the asset ``clockwork://delivery/receipts``, inbound texts on
``clockwork://inbound/<the Clockwork number they were sent to>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow_provider_clockwork.protocol.delivery import DeliveryReceipt, DeliveryState
from airflow_provider_clockwork.protocol.inbound import InboundMessage

RECEIPTS_ASSET_URI = "clockwork://delivery/receipts"
INBOUND_ASSET_PREFIX = "clockwork://inbound/"
ASSET_GROUP = "clockwork"
RECEIPT_KEY_PREFIX = "receipt/"
INBOUND_KEY_PREFIX = "inbound/"
MAX_MESSAGE_ID_LENGTH = 100
"""Clockwork's IDs are short (``AB_12345``); anything longer is not a Clockwork ID."""

# Interim states rank by how far a message has come; every final state outranks them all.
_INTERIM_RANK = {DeliveryState.UNKNOWN: 0, DeliveryState.ACCEPTED: 1, DeliveryState.ENROUTE: 2}
_FINAL_RANK = 3


def inbound_asset_uri(number: str) -> str:
    """The asset whose events are the texts sent to ``number`` (the account's Clockwork number)."""
    return f"{INBOUND_ASSET_PREFIX}{number}"


HITL_CODE_KEY_PREFIX = "clockwork_hitl/"
HITL_CODES_ASSET_URI = "clockwork://hitl/codes"
"""Its lock makes reply codes one reservation at a time; nothing is stored on it."""


def hitl_code_key(code: str) -> str:
    """The task state store key under which a waiting Human-in-the-loop task keeps its reply code."""
    return f"{HITL_CODE_KEY_PREFIX}{code}"


def receipt_key(message_id: str) -> str:
    return f"{RECEIPT_KEY_PREFIX}{message_id}"


def inbound_key(message_id: str) -> str:
    return f"{INBOUND_KEY_PREFIX}{message_id}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def receipt_record(receipt: DeliveryReceipt) -> dict[str, Any]:
    """A receipt as the JSON value stored under :func:`receipt_key`."""
    return {
        "message_id": receipt.message_id,
        "to": receipt.to,
        "status": receipt.state.status,
        "final": receipt.state.is_final,
        "detail": receipt.detail,
        "error_code": receipt.error_code,
        "extra": dict(receipt.extra),
        "received_at": _now(),
    }


def state_of(record: dict[str, Any]) -> DeliveryState:
    return DeliveryState.from_status(str(record.get("status", "")))


def _rank(state: DeliveryState) -> int:
    return _FINAL_RANK if state.is_final else _INTERIM_RANK.get(state, 0)


def replaces(stored: dict[str, Any] | None, incoming: dict[str, Any]) -> bool:
    """Whether ``incoming`` is newer than what is stored: an interim state never undoes a final one.

    A duplicate (the same state again, as when Clockwork calls twice) changes nothing, and
    the first final state stays: a message is delivered or not only once.
    """
    if stored is None:
        return True
    return _rank(state_of(incoming)) > _rank(state_of(stored))


def inbound_record(message: InboundMessage, *, acted_on: bool) -> dict[str, Any]:
    """An inbound text as stored under :func:`inbound_key`; ``acted_on`` says whether it became an event."""
    return {
        "message_id": message.message_id,
        "sender": message.sender,
        "to": message.to,
        "text": message.content,
        "acted_on": acted_on,
        "received_at": _now(),
    }


def inbound_event_extra(message: InboundMessage) -> dict[str, str]:
    """The extra of the asset event an allowed inbound text becomes."""
    return {"sender": message.sender, "text": message.content, "message_id": message.message_id}
