"""Errors raised by the wire-protocol rules.

They are plain Python errors so that the protocol (and the emulator built on it)
runs without importing Airflow; the hook turns them into Airflow exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TypeVar

Choice = TypeVar("Choice", bound=Enum)

EXCERPT_LENGTH = 120


class InvalidInputError(ValueError):
    """A recipient, content, sender or setting that cannot be sent as given."""


class UnreadableReplyError(ValueError):
    """Clockwork answered with something that is not one of its documented replies."""


RENDERED_MISSING = ("None", "NOTSET")
"""What templates render for a missing value: Python's None, and Airflow's NOTSET
(``{{ var.value.get('missing') }}`` on Airflow 3.3). Never meant as a message, a sender
or a number; Clockwork would take them as text, so only the provider refuses them."""


def rendered_from_missing(text: str) -> bool:
    """True when ``text`` is what a template renders for a missing value (see ``RENDERED_MISSING``)."""
    return text.strip() in RENDERED_MISSING


def missing_value_error(subject: str, hint: str) -> InvalidInputError:
    """The error for a value rendered from a missing one, e.g. ``Content 'NOTSET' is what ...``."""
    return InvalidInputError(
        f"{subject} is what a template renders for a missing value (Python's None or Airflow's "
        f"NOTSET), {hint}"
    )


def enum_choice(kind: type[Choice], value: object) -> Choice | None:
    """The member a user named: the member itself, its name in any case, or Clockwork's number
    for it (an int, not a bool); None when ``value`` names none, for the caller to refuse."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        return kind.__members__.get(value.strip().upper())
    if isinstance(value, int) and not isinstance(value, bool):
        return next((member for member in kind if member.value == value), None)
    return None


def refuse_unknown_keys(keys: Iterable[object], allowed: Sequence[str], subject: str) -> None:
    """Raise naming every key not in ``allowed``: ``{subject} has unknown key(s) 'x'; it takes a, b.``"""
    unknown = sorted(str(key) for key in keys if key not in allowed)
    if unknown:
        raise InvalidInputError(
            f"{subject} has unknown key(s) {', '.join(map(repr, unknown))}; it takes {', '.join(allowed)}."
        )


def blank_secrets(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def excerpt(body: str, secrets: tuple[str, ...] = ()) -> str:
    """A short, single-line quote of a reply, with every secret blanked out."""
    flat = " ".join(blank_secrets(body, secrets).split())
    if len(flat) > EXCERPT_LENGTH:
        flat = flat[:EXCERPT_LENGTH] + "…"
    return repr(flat)
