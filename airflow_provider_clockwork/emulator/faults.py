"""Faults the emulator can inject into its next send requests.

Real networks and real gateways misbehave: replies arrive late, connections drop
before or after Clockwork acted, proxies answer with HTML error pages. Each fault
reproduces one of those so that a client's handling of it (above all: never
reporting a number as sent unless a reply gave it an ID) can be tested.

A fault is written as a dict, e.g. ``{"kind": "status", "status": 502}``, or on the
command line as ``kind:name=value,...`` (``status:status=502,times=2``) or as the
same JSON object. Unknown kinds and unknown fields are refused, so a typo never
silently turns into "no fault".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_FAULT_SECONDS = 60.0
"""Every injected sleep is bounded, so a mistaken fault cannot hang a test run."""

DELAY = "delay"
STATUS = "status"
STATUS_AFTER = "status_after"
RESET_BEFORE = "reset_before"
RESET_AFTER = "reset_after"
GARBAGE = "garbage"
TRUNCATE = "truncate"
DRIP = "drip"
REQUEST_ERROR = "request_error"

PAGE_OF_THE_STATUS: Any = object()
"""A status fault's default body: replaced by the :func:`error_page` of its status."""
GARBAGE_BODY = "<html><body>Service temporarily unavailable</body></html>"
INJECTED_ERROR_TEXT = "Error injected by the emulator"


class FaultError(ValueError):
    """A fault description the emulator cannot follow."""


@dataclass(frozen=True)
class _Field:
    """One setting of a fault kind: how to read it, and its default (``None``: required)."""

    convert: Callable[[Any], Any]
    default: Any = None


def _seconds(value: Any) -> float:
    seconds = float(value)
    if not 0 <= seconds <= MAX_FAULT_SECONDS:
        raise FaultError(f"seconds must be between 0 and {MAX_FAULT_SECONDS:g}, not {value!r}")
    return seconds


def _status(value: Any) -> int:
    status = _whole_number(value)
    if not 100 <= status <= 599:
        raise FaultError(f"status must be an HTTP status between 100 and 599, not {value!r}")
    return status


def _whole_number(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise FaultError(f"{value!r} is not a whole number")
    return int(value)


def _times(value: Any) -> int:
    times = _whole_number(value)
    if times < 1:
        raise FaultError(f"times must be 1 or more, not {value!r}")
    return times


_KIND_FIELDS: dict[str, dict[str, _Field]] = {
    DELAY: {"seconds": _Field(_seconds)},
    STATUS: {"status": _Field(_status, 502), "body": _Field(str, PAGE_OF_THE_STATUS)},
    STATUS_AFTER: {"status": _Field(_status, 500), "body": _Field(str, PAGE_OF_THE_STATUS)},
    RESET_BEFORE: {},
    RESET_AFTER: {},
    GARBAGE: {"body": _Field(str, GARBAGE_BODY)},
    TRUNCATE: {},
    DRIP: {"seconds": _Field(_seconds, 1.0)},
    REQUEST_ERROR: {"code": _Field(_whole_number), "description": _Field(str, INJECTED_ERROR_TEXT)},
}
FAULT_KINDS = tuple(_KIND_FIELDS)

FAULTS_THAT_PROCESS = frozenset({DELAY, STATUS_AFTER, RESET_AFTER, TRUNCATE, DRIP})
"""Kinds under which the request is still processed: messages are accepted and recorded."""

ON_SEND = "send"
ON_ACCOUNT = "account"
FAULT_TARGETS = (ON_SEND, ON_ACCOUNT)
"""Which requests a fault spoils: sends (the default), or credit and balance checks."""


@dataclass(frozen=True)
class Fault:
    """One fault, applied to the next ``times`` send requests (or account checks, with ``on="account"``)."""

    kind: str
    seconds: float = 0.0
    status: int = 200
    body: str = ""
    code: int = 0
    description: str = ""
    times: int = 1
    on: str = ON_SEND

    @property
    def processes_request(self) -> bool:
        return self.kind in FAULTS_THAT_PROCESS

    def to_dict(self) -> dict[str, Any]:
        """The fault as it would be written: its kind, its own settings and ``times``."""
        settings = {name: getattr(self, name) for name in _KIND_FIELDS[self.kind]}
        written = {"kind": self.kind, **settings, "times": self.times}
        return written if self.on == ON_SEND else {**written, "on": self.on}


def fault_from_dict(spec: Mapping[str, Any]) -> Fault:
    """A :class:`Fault` from its dict form, refusing unknown kinds, unknown fields and bad values."""
    if not isinstance(spec, Mapping):
        raise FaultError(f"a fault must be an object with a 'kind', not {spec!r}")
    kind = spec.get("kind")
    if kind not in _KIND_FIELDS:
        raise FaultError(f"unknown fault kind {kind!r}; known kinds: {', '.join(FAULT_KINDS)}")
    fields = _KIND_FIELDS[kind]
    unknown = set(spec) - set(fields) - {"kind", "times", "on"}
    if unknown:
        allowed = ", ".join([*fields, "times", "on"])
        raise FaultError(f"fault {kind!r} takes no {', '.join(sorted(unknown))} (it takes: {allowed})")
    try:
        settings = {name: _setting(spec, name, field) for name, field in fields.items()}
        times = _times(spec.get("times", 1))
    except (TypeError, ValueError) as error:
        raise FaultError(f"fault {kind!r}: {error}") from None
    on = spec.get("on", ON_SEND)
    if on not in FAULT_TARGETS:
        raise FaultError(f"fault {kind!r}: 'on' must be one of {', '.join(FAULT_TARGETS)}, not {on!r}")
    if settings.get("body") is PAGE_OF_THE_STATUS:
        settings["body"] = error_page(settings["status"])
    return Fault(kind=kind, times=times, on=on, **settings)


def error_page(status: int) -> str:
    """The HTML page a proxy or web server answers ``status`` with, e.g. ``503 Service Unavailable``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"<html><head><title>{status} {phrase}</title></head><body>{phrase}</body></html>"


def _setting(spec: Mapping[str, Any], name: str, field: _Field) -> Any:
    if name in spec:
        return field.convert(spec[name])
    if field.default is None:
        raise FaultError(f"'{name}' is required")
    return field.default


def fault_from_text(text: str) -> Fault:
    """A fault from the command line: a JSON object, or ``kind`` / ``kind:name=value,...``.

    The short form cannot hold a comma inside a value; use the JSON form for such a body.
    """
    text = text.strip()
    if text.startswith("{"):
        try:
            return fault_from_dict(json.loads(text))
        except json.JSONDecodeError as error:
            raise FaultError(f"fault {text!r} is not valid JSON: {error}") from None
    kind, _, settings = text.partition(":")
    spec: dict[str, Any] = {"kind": kind.strip()}
    for pair in filter(None, (part.strip() for part in settings.split(","))):
        name, equals, value = pair.partition("=")
        if not equals:
            raise FaultError(f"fault setting {pair!r} in {text!r} is not name=value")
        spec[name.strip()] = value
    return fault_from_dict(spec)


def as_fault(fault: Fault | Mapping[str, Any]) -> Fault:
    """Accept either form wherever faults are queued."""
    return fault if isinstance(fault, Fault) else fault_from_dict(fault)
