"""The notifier as a Human-in-the-loop operator's notifier: the question, with a code to reply with.

A HITL operator (``ApprovalOperator``, ``HITLOperator``, ``HITLBranchOperator``,
``HITLEntryOperator``) writes its request, calls its notifiers, then waits for input.
Here the notifier asks the connection's receiver (extra ``receiver_url``) for the
request's code: the worker cannot see other waiting requests, the receiver can, and gives
a code none of them holds (see :mod:`airflow_provider_clockwork.receiver.hitl_codes`). The
receiver keeps the code in the task state store of the waiting task instance, where the
notifier adds who was asked. Every notifier of one request uses the same code (it is kept
in the callback's context, which they share).

Without a receiver, or when it cannot give a code, the question is still texted, saying to
answer in Airflow: a text that cannot be answered is better than a question never asked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_clockwork.ledger.stores import TaskScope
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction
from airflow_provider_clockwork.protocol.hitl import compose_question, is_code, reply_instructions
from airflow_provider_clockwork.receiver.records import hitl_code_key
from airflow_provider_clockwork.receiver.settings import TOKEN_HEADER

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

CODE_VARIABLE = "hitl_code"
REPLY_VARIABLE = "hitl_reply"
"""Template variables for a ``content=`` of the user's own: the code, and the line saying how to reply."""
UI_ONLY = "Answer in Airflow: {reason}."
NO_RECEIVER = "replying by text needs the connection's receiver_url"
NO_CODE = "no reply code could be had"


class CodeNotReserved(Exception):
    """The receiver gave no code; ``reason`` is what the question says, the message what the log says."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def hitl_task(context: Any) -> Any | None:
    """The context's task when it is a Human-in-the-loop operator (Airflow 3.1+), else None."""
    try:
        from airflow.providers.standard.operators.hitl import HITLOperator
    except Exception:  # Airflow 2, 3.0, or no standard provider: there is no HITL task
        return None
    task = context.get("task") if hasattr(context, "get") else None
    return task if isinstance(task, HITLOperator) else None


@dataclass
class HitlQuestion:
    """One request's question: what it asks, its code, and the line saying how to answer."""

    subject: str
    code: str | None
    instructions: str
    """``Reply YES 4711 or NO 4711``, or why to answer in Airflow instead (then ``code`` is None)."""
    store: Any = None

    @classmethod
    def for_context(cls, context: Any, conn_id: str) -> HitlQuestion | None:
        """The question of the context's HITL task, its code reserved (or shared); None for other tasks."""
        task = hitl_task(context)
        if task is None:
            return None
        store = context.get("task_state_store")
        not_by_text = _why_not_by_text(task, store)
        code = None
        if not_by_text is None:
            try:
                code = context.get(CODE_VARIABLE) or reserve_code(conn_id, TaskScope.from_context(context))
            except CodeNotReserved as refusal:
                log.error("Clockwork question has no reply code (answer in the Airflow UI): %s", refusal)
                not_by_text = refusal.reason
        if code is None:
            return cls(str(task.subject), None, UI_ONLY.format(reason=not_by_text), store)
        instructions = reply_instructions(task.options, code, task.multiple)
        context[CODE_VARIABLE], context[REPLY_VARIABLE] = code, instructions
        return cls(str(task.subject), code, instructions, store)

    def default_content(self, long: bool, action: InvalidCharAction | None) -> str:
        """The subject, cut to fit, then how to answer."""
        return compose_question(self.subject, self.instructions, long, action)

    def remember(self, conn_id: str, numbers: Sequence[str]) -> None:
        """Record the code (and who was asked) in the task state store, before the question is sent."""
        if self.code is None:
            return
        key = hitl_code_key(self.code)
        asked = self.store.get(key) or {}
        everyone = sorted({*asked.get("to", []), *numbers})
        self.store.set(key, {"conn_id": conn_id, "to": everyone})


def reserve_code(conn_id: str, task: TaskScope | None) -> str:
    """A code for the waiting request of ``task``, from the connection's receiver; raises CodeNotReserved.

    The token goes in a header, never in the URL, so no error message or log carries it.
    """
    import requests

    from airflow_provider_clockwork.exceptions import ClockworkError
    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

    hook = ClockworkHook(clockwork_conn_id=conn_id)
    try:
        receiver = hook.receiver_settings()
    except ClockworkError as error:  # e.g. a receiver_token too short: the send logs it again
        raise CodeNotReserved(NO_CODE, str(error)) from None
    if receiver is None or receiver.url is None:
        raise CodeNotReserved(NO_RECEIVER, f"connection {conn_id!r} has no 'receiver_url'.")
    if task is None:
        raise CodeNotReserved(NO_CODE, "the context names no task instance.")
    body = asdict(task)
    try:
        response = requests.post(
            receiver.reservation_url(),
            json=body,
            headers={TOKEN_HEADER: receiver.token},
            timeout=hook.settings.timeout,
        )
    except requests.RequestException as error:
        raise CodeNotReserved(NO_CODE, f"the receiver at {receiver.url} did not answer: {error}") from None
    code = _code_in(response)
    if code is None:
        raise CodeNotReserved(
            NO_CODE,
            f"the receiver at {receiver.url} answered HTTP {response.status_code}: {response.text[:200]}",
        )
    return code


def _code_in(response: requests.Response) -> str | None:
    if response.status_code != 200:
        return None
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if is_code(code) else None


def _why_not_by_text(task: Any, store: Any) -> str | None:
    if store is None:
        return "replying by text needs Airflow 3.3 or newer"
    if task.params:
        return f"it asks for {len(task.params)} input field(s), which a text cannot fill"
    return None
