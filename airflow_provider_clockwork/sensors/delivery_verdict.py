"""What the stored receipts say about a set of messages: delivered, failed, or not final yet.

Pure logic shared by :class:`~airflow_provider_clockwork.sensors.delivery.ClockworkDeliverySensor`
(poke and reschedule) and its trigger (deferrable), so both decide alike.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_clockwork.protocol.delivery import DeliveryState
from airflow_provider_clockwork.protocol.errors import missing_value_error, rendered_from_missing
from airflow_provider_clockwork.receiver.records import MAX_MESSAGE_ID_LENGTH, state_of


def expected_messages(value: object) -> dict[str, str | None]:
    """``{message_id: number or None}`` from what a user gives, or ``ValueError`` naming the value.

    Takes the operator's ``{number: id}`` XCom (as a dict, or as the text Jinja renders it
    to), a list of IDs, or a comma-separated text of IDs.
    """
    if isinstance(value, str) and rendered_from_missing(value):
        raise missing_value_error(f"message_ids {value!r}", "not message IDs; check the XCom it came from.")
    parsed = value
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            parsed = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ValueError(f"message_ids {value[:80]!r} is neither a dict, a list nor IDs.") from None
    elif isinstance(value, str):
        parsed = [part.strip() for part in value.split(",")]
    pairs: list[tuple[object, str | None]]
    if isinstance(parsed, Mapping):
        pairs = [(message_id, str(number)) for number, message_id in parsed.items()]
    elif isinstance(parsed, (list, tuple)):
        pairs = [(message_id, None) for message_id in parsed]
    else:
        raise ValueError(
            f"message_ids {value!r} is a {type(value).__name__}; give the send's {{number: id}} XCom "
            f"or a list of message IDs."
        )
    expected: dict[str, str | None] = {}
    for message_id, number in pairs:
        if (
            not isinstance(message_id, str)
            or not message_id.strip()
            or len(message_id) > MAX_MESSAGE_ID_LENGTH
        ):
            raise ValueError(f"message_ids {value!r} holds {message_id!r}, which is not a message ID.")
        expected[message_id.strip()] = number
    if not expected:
        raise ValueError(f"message_ids {value!r} names no message: nothing to wait for.")
    return expected


@dataclass(frozen=True)
class Verdict:
    delivered: list[str]
    failed: list[str]
    """``"<number> (<message ID>): <STATE>[ error <code>]"`` for each message that will not arrive."""
    pending: list[str]

    @property
    def finished(self) -> bool:
        return bool(self.failed) or not self.pending

    def failure_message(self) -> str:
        waiting = f"; {len(self.pending)} not final yet" if self.pending else ""
        return f"Not delivered: {', '.join(self.failed)}{waiting}."


def _name(message_id: str, number: str | None, record: Mapping[str, Any]) -> str:
    return f"{number or record.get('to') or 'unknown number'} ({message_id})"


def judge(expected: Mapping[str, str | None], records: Mapping[str, Mapping[str, Any] | None]) -> Verdict:
    """Sort each expected message by its stored receipt (``records`` by message ID)."""
    delivered, failed, pending = [], [], []
    for message_id, number in expected.items():
        record = records.get(message_id)
        state = state_of(dict(record)) if record else DeliveryState.UNKNOWN
        if state is DeliveryState.DELIVERED:
            delivered.append(message_id)
        elif state.is_final and record is not None:
            code = record.get("error_code")
            suffix = f" error {code}" if code else ""
            failed.append(f"{_name(message_id, number, record)}: {state.status}{suffix}")
        else:
            pending.append(message_id)
    return Verdict(delivered, failed, pending)
