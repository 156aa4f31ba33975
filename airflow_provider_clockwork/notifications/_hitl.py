"""The notifier as a Human-in-the-loop operator's notifier: the question, with a code to reply with.

A HITL operator (``ApprovalOperator``, ``HITLOperator``, ``HITLBranchOperator``,
``HITLEntryOperator``) writes its request, calls its notifiers, then waits for input.
Here the notifier picks the request's code and remembers it in the task state store of
the waiting task instance, under the key ``clockwork_hitl/<code>``: the worker has no
database access on Airflow 3, the task state store is its way in, and the receiver (in
the API server) finds the waiting request by that key in the database. Every notifier of
one request uses the same code (it is kept in the callback's context, which they share).

Why not a code unique by construction: the worker cannot see other requests, so two
waiting requests may draw the same code (with 10 waiting at once, about 1 in 200); the
receiver then refuses the code as ambiguous rather than answer the wrong one, and the
request stays answerable in the UI.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_clockwork.protocol.gsm import InvalidCharAction
from airflow_provider_clockwork.protocol.hitl import compose_question, new_code, reply_instructions
from airflow_provider_clockwork.receiver.records import hitl_code_key

log = logging.getLogger(__name__)

CODE_VARIABLE = "hitl_code"
REPLY_VARIABLE = "hitl_reply"
"""Template variables for a ``content=`` of the user's own: the code, and the line saying how to reply."""
UI_ONLY = "Answer in Airflow: {reason}."


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
    """One request's question: what it asks, its code, and why a text cannot answer it (if so)."""

    subject: str
    options: Sequence[str]
    multiple: bool
    code: str | None
    not_by_text: str | None
    store: Any = None

    @classmethod
    def for_context(cls, context: Any) -> HitlQuestion | None:
        """The question of the context's HITL task, its code drawn (or shared); None for other tasks."""
        task = hitl_task(context)
        if task is None:
            return None
        store = context.get("task_state_store")
        not_by_text = _why_not_by_text(task, store)
        code = None
        if not_by_text is None:
            code = context.get(CODE_VARIABLE) or new_code()
            context[CODE_VARIABLE] = code
            context[REPLY_VARIABLE] = reply_instructions(task.options, code, task.multiple)
        return cls(
            subject=str(task.subject),
            options=list(task.options),
            multiple=bool(task.multiple),
            code=code,
            not_by_text=not_by_text,
            store=store,
        )

    def instructions(self) -> str:
        if self.code is None:
            return UI_ONLY.format(reason=self.not_by_text)
        return reply_instructions(self.options, self.code, self.multiple)

    def default_content(self, long: bool, action: InvalidCharAction | None) -> str:
        """The subject, cut to fit, then how to answer."""
        return compose_question(self.subject, self.instructions(), long, action)

    def remember(self, conn_id: str, numbers: Sequence[str]) -> None:
        """Record the code (and who was asked) in the task state store, before the question is sent."""
        if self.code is None:
            return
        key = hitl_code_key(self.code)
        asked = self.store.get(key) or {}
        everyone = sorted({*asked.get("to", []), *numbers})
        self.store.set(key, {"conn_id": conn_id, "to": everyone})


def _why_not_by_text(task: Any, store: Any) -> str | None:
    if store is None:
        return "replying by text needs Airflow 3.3 or newer"
    if task.params:
        return f"it asks for {len(task.params)} input field(s), which a text cannot fill"
    return None
