"""The emulator's own API under ``/_emulator/``: what it received, and what it will do next.

Tests and scripts in other processes read the records (messages, requests, receipts, inbound
texts) and set what the next requests get (faults, refusals, credit, latency, deliveries),
all as JSON. Actions on the state are in :data:`STATE_ACTIONS`; the ones that make or wait for
callbacks in :data:`CALLBACK_ACTIONS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_clockwork.emulator.callbacks import DEFAULT_INBOUND_NUMBER, Callbacks
from airflow_provider_clockwork.emulator.faults import MAX_FAULT_SECONDS, fault_from_dict
from airflow_provider_clockwork.emulator.http_server import Reply
from airflow_provider_clockwork.emulator.send_rules import INVALID_TO
from airflow_provider_clockwork.emulator.state import EmulatorState, delivery_plan
from airflow_provider_clockwork.protocol.results import SmsError

if TYPE_CHECKING:
    from airflow_provider_clockwork.emulator.http_server import Handler

PREFIX = "/_emulator/"
JSON_TEXT = "application/json"
WAIT_FOR_CALLBACKS_SECONDS = 10.0


def _json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), JSON_TEXT)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the body is not JSON: {error}") from None


def _post_faults(state: EmulatorState, body: bytes) -> Any:
    payload = _json_body(body)
    faults = [fault_from_dict(spec) for spec in (payload if isinstance(payload, list) else [payload])]
    state.queue_faults(faults)
    return {"queued": len(faults), "pending": state.pending_faults()}


def _post_refusals(state: EmulatorState, body: bytes) -> Any:
    payload = _json_body(body)
    if not isinstance(payload, dict):
        raise ValueError('refusals must be an object {"number": {"code": 10, "description": "..."}}')
    for number, spec in payload.items():
        settings = spec or {}
        if not isinstance(settings, dict):
            raise ValueError(f"the refusal of {number} must be an object, not {spec!r}")
        code = int(settings.get("code", INVALID_TO.code))
        error = SmsError(code, str(settings.get("description", INVALID_TO.description)))
        times = settings.get("times")
        state.refuse(str(number), error, None if times is None else int(times))
    return {"refusals": state.refusals()}


def _json_object(payload: Any, what: str, fields: Iterable[str]) -> dict[str, Any]:
    """``payload`` if it is a JSON object holding only the given fields (a typo is refused, not ignored)."""
    if not isinstance(payload, dict):
        raise ValueError(f"{what} must be a JSON object with the fields {', '.join(fields)}, not {payload!r}")
    unknown = set(payload) - set(fields)
    if unknown:
        raise ValueError(f"{what} takes no {', '.join(sorted(unknown))} (it takes: {', '.join(fields)})")
    return payload


_DELIVERY_FIELDS = ("status", "err_code", "detail", "interim", "times", "hold")


def _post_deliveries(state: EmulatorState, body: bytes) -> Any:
    payload = _json_body(body)
    if not isinstance(payload, dict):
        raise ValueError('deliveries must be an object {"number": {"status": "UNDELIV", "err_code": 1, ...}}')
    for number, spec in payload.items():
        given = _json_object(spec or {}, f"the delivery of {number}", _DELIVERY_FIELDS)
        settings = {name: value for name, value in given.items() if value is not None}  # null: the default
        times = settings.pop("times", None)
        state.plan_delivery(str(number), delivery_plan(**settings), None if times is None else int(times))
    return {"deliveries": state.deliveries()}


def _post_inbound(callbacks: Callbacks, body: bytes) -> Any:
    payload = _json_object(_json_body(body), "an inbound text", ("from", "content", "to"))
    if "from" not in payload or "content" not in payload:
        raise ValueError('an inbound text needs "from" and "content" (and may name "to")')
    return callbacks.receive_sms(
        payload["from"], payload["content"], payload.get("to", DEFAULT_INBOUND_NUMBER)
    )


def _post_wait(callbacks: Callbacks, body: bytes) -> Any:
    payload = _json_object(_json_body(body or b"{}"), "a wait", ("timeout",))
    timeout = float(payload.get("timeout", WAIT_FOR_CALLBACKS_SECONDS))
    if not 0 <= timeout <= MAX_FAULT_SECONDS:
        raise ValueError(f"timeout must be between 0 and {MAX_FAULT_SECONDS:g} seconds, not {timeout!r}")
    return {"idle": callbacks.wait_idle(timeout)}


def _post_reset(state: EmulatorState, body: bytes) -> Any:
    state.reset()
    return {"reset": True}


def _post_credit(state: EmulatorState, body: bytes) -> Any:
    state.credit = int(_json_body(body)["credit"])
    return {"credit": state.credit}


def _post_latency(state: EmulatorState, body: bytes) -> Any:
    state.latency = float(_json_body(body)["seconds"])
    return {"latency": state.latency}


STATE_ACTIONS: dict[tuple[str, str], Callable[[EmulatorState, bytes], Any]] = {
    ("GET", "messages"): lambda state, body: state.messages(),
    ("GET", "requests"): lambda state, body: state.requests(),
    ("GET", "credit"): lambda state, body: {"credit": state.credit},
    ("GET", "faults"): lambda state, body: state.pending_faults(),
    ("GET", "refusals"): lambda state, body: state.refusals(),
    ("GET", "latency"): lambda state, body: {"latency": state.latency},
    ("GET", "deliveries"): lambda state, body: state.deliveries(),
    ("GET", "receipts"): lambda state, body: state.receipts(),
    ("GET", "inbound"): lambda state, body: state.inbound_messages(),
    ("POST", "reset"): _post_reset,
    ("POST", "faults"): _post_faults,
    ("POST", "refusals"): _post_refusals,
    ("POST", "credit"): _post_credit,
    ("POST", "latency"): _post_latency,
    ("POST", "deliveries"): _post_deliveries,
}

# The ones that make or wait for callbacks, so need more than the state.
CALLBACK_ACTIONS: dict[tuple[str, str], Callable[[Callbacks, bytes], Any]] = {
    ("POST", "inbound"): _post_inbound,
    ("POST", "wait"): _post_wait,
    ("POST", "release"): lambda callbacks, body: {"released": callbacks.release_receipts()},
}


def serve(handler: Handler, method: str, action: str) -> None:
    """Answer ``method /_emulator/<action>`` with JSON: 404 for an unknown action, 400 for a bad body."""
    body = handler.read_body()
    if body is None:
        return
    act = _action(handler, method, action)
    if act is None:
        known = any(name == action for _, name in [*STATE_ACTIONS, *CALLBACK_ACTIONS])
        handler.send_reply(_json_reply({"error": f"no {method} /_emulator/{action}"}, 405 if known else 404))
        return
    try:
        handler.send_reply(_json_reply(act(body)))
    except (ValueError, TypeError, KeyError) as error:
        handler.send_reply(_json_reply({"error": str(error)}, 400))


def _action(handler: Handler, method: str, action: str) -> Callable[[bytes], Any] | None:
    on_state = STATE_ACTIONS.get((method, action))
    if on_state is not None:
        return partial(on_state, handler.server.state)
    on_callbacks = CALLBACK_ACTIONS.get((method, action))
    if on_callbacks is not None:
        return partial(on_callbacks, handler.server.callbacks)
    return None
