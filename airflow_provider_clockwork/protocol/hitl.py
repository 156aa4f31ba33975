"""Human-in-the-loop by text: the question a phone receives and the reply it sends back.

A question names its request by a short code, so a reply can say which question it
answers: "Approve backfill 2026-11-28?" becomes::

    Approve backfill 2026-11-28?
    Reply YES 4711 or NO 4711

and "no 4711" answers it. Rules, as a person types them:

- a reply is an option and the code, in either order, case and spacing free;
- with ``multiple`` options, the chosen options are separated by commas ("Full, Delta 4711");
- a request with Approve and Reject (``ApprovalOperator``) also takes YES and NO;
- the question is cut to fit one message (or ``long``'s three) in its subject only: the
  options and the code are what make it answerable, so they are never cut.

Pure text rules, no Airflow import: the notifier composes with them, the receiver parses.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.fit import ELLIPSIS, message_limits
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction, measure

CODE_DIGITS = 4
APPROVE, REJECT = "Approve", "Reject"
APPROVAL_ALIASES = {"yes": APPROVE, "y": APPROVE, "no": REJECT, "n": REJECT}
"""What a phone types for ``ApprovalOperator``'s two options (only when a request has both)."""
_CODE = re.compile(rf"^\d{{{CODE_DIGITS}}}$")


class ReplyRefused(InvalidInputError):
    """A reply that answers nothing; the message is what the sender is told."""


class NoCodeFree(Exception):
    """Every code names a waiting request: no new question can get one until some are answered."""


def _every_code() -> list[str]:
    return [f"{number:0{CODE_DIGITS}d}" for number in range(10**CODE_DIGITS)]


def pick_code(in_use: Collection[str], recently_used: Collection[str] = ()) -> str:
    """A random code that no waiting request holds, one not used lately when there is such a code.

    ``in_use``: the codes of requests that still wait for an answer; a code is never given
    twice while its request waits. ``recently_used``: codes of requests that ended lately;
    avoided so that a late reply to an old question cannot answer a new one, but reused
    before a question goes without a code. Leading zeros are kept: a code is typed, not counted.
    """
    taken = set(in_use)
    free = [code for code in _every_code() if code not in taken]
    if not free:
        raise NoCodeFree(f"All {10**CODE_DIGITS} reply codes name a waiting request.")
    lately = set(recently_used)
    fresh = [code for code in free if code not in lately]
    return secrets.choice(fresh or free)


def is_code(value: object) -> bool:
    """Whether ``value`` is a code as questions carry them (:data:`CODE_DIGITS` digits)."""
    return isinstance(value, str) and _CODE.match(value) is not None


def is_approval(options: Sequence[str]) -> bool:
    return sorted(options) == sorted((APPROVE, REJECT))


def _shown(option: str, options: Sequence[str]) -> str:
    """How an option is offered in the text: Approve and Reject as YES and NO."""
    if is_approval(options):
        return "YES" if option == APPROVE else "NO"
    return option


def reply_instructions(options: Sequence[str], code: str, multiple: bool = False) -> str:
    """The line that tells a phone how to answer, e.g. ``Reply YES 4711 or NO 4711``."""
    shown = [_shown(option, options) for option in options]
    if multiple and len(shown) > 1:
        return f"Reply one or more of {', '.join(shown)}, comma-separated, then {code}"
    choices = [f"{option} {code}" for option in shown]
    if len(choices) == 1:
        return f"Reply {choices[0]}"
    return f"Reply {', '.join(choices[:-1])} or {choices[-1]}"


def _arriving(text: str, action: InvalidCharAction | None) -> str:
    return text if action is None else "".join(action.apply(char) for char in text)


def fits(text: str, long: bool = False, action: InvalidCharAction | None = None) -> bool:
    size = measure(_arriving(text, action))
    gsm_limit, unicode_limit = message_limits(long)
    return size.length <= (gsm_limit if size.is_gsm7 else unicode_limit)


def compose_question(
    subject: str,
    instructions: str,
    long: bool = False,
    action: InvalidCharAction | None = None,
) -> str:
    """The subject and the reply instructions in one text, the subject cut to fit when it must be.

    Raises :class:`InvalidInputError` when the instructions alone do not fit, naming their
    length: the options must then be shorter, or the text ``long``.
    """
    subject = subject.strip()
    whole = f"{subject}\n{instructions}" if subject else instructions
    if fits(whole, long, action):
        return whole
    if not fits(f"{ELLIPSIS}\n{instructions}", long, action):
        raise InvalidInputError(
            f"The reply instructions {instructions[:60]!r}... take {len(instructions)} characters, "
            f"more than one {'long ' if long else ''}text carries with the subject: shorten the "
            f"options{'' if long else ' or send with long=True'}."
        )
    low, high = 0, len(subject)  # the longest subject prefix that fits is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        candidate = f"{subject[:middle].rstrip()}{ELLIPSIS}\n{instructions}"
        low, high = (middle, high) if fits(candidate, long, action) else (low, middle)
    return f"{subject[:low].rstrip()}{ELLIPSIS}\n{instructions}"


@dataclass(frozen=True)
class Reply:
    """A reply taken apart: the code it names and the option words before or after it."""

    code: str
    choice: str


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def parse_reply(text: str) -> Reply | None:
    """The code and choice of a reply, or None when it names no code (it is no HITL answer)."""
    words = _squeezed(text).rstrip(".!").split(" ")
    if len(words) < 2:
        return None
    if _CODE.match(words[-1]):
        return Reply(code=words[-1], choice=" ".join(words[:-1]))
    if _CODE.match(words[0]):
        return Reply(code=words[0], choice=" ".join(words[1:]))
    return None


def _option_named(word: str, options: Sequence[str]) -> str:
    wanted = _squeezed(word).casefold()
    named = [option for option in options if _squeezed(option).casefold() == wanted]
    if not named and is_approval(options):
        named = [APPROVAL_ALIASES[wanted]] if wanted in APPROVAL_ALIASES else []
    if len(named) != 1:
        offered = ", ".join(_shown(option, options) for option in options)
        reason = "names more than one option" if named else "is not an option"
        raise ReplyRefused(f"{word!r} {reason}; the options are {offered}.")
    return named[0]


def chosen_options(choice: str, options: Sequence[str], multiple: bool = False) -> list[str]:
    """The options a reply's choice names, each once, in the request's order.

    Raises :class:`ReplyRefused` for a choice that names no offered option, or several where
    only one may be chosen.
    """
    words = [word.strip() for word in choice.split(",") if word.strip()] if multiple else [choice]
    if not words:
        raise ReplyRefused("The reply names no option.")
    named = {_option_named(word, options) for word in words}
    return [option for option in options if option in named]
