"""Answering a waiting Human-in-the-loop request with a reply text (Airflow 3.3+, in the API server).

The receiver gave the request its code and keeps it in the task state store of its task
instance (key ``clockwork_hitl/<code>``, see :mod:`.hitl_codes`); a reply naming that code
is looked up in the database, checked, and recorded through Airflow's own response path:
the function behind ``PATCH .../hitlDetails`` (Airflow ships the rules only as that route
function: only once, only offered options, the assigned users through the auth manager;
then it resumes the parked task). This module adds what a phone needs before that: the
request must still wait for input, the code must name exactly one waiting request
(reservations see to that; a code written by other means is refused as ambiguous rather
than answer the wrong request), and the sender must be allowed to answer.

Who may answer: with ``assigned_users``, only a user whose ``id`` is the sender's number;
otherwise the connection's ``allowed_senders`` when it names any; otherwise the numbers
the question was sent to. The responder is recorded as that number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.hitl import ReplyRefused, chosen_options, parse_reply
from airflow_provider_clockwork.protocol.inbound import InboundMessage
from airflow_provider_clockwork.protocol.recipients import normalise_number
from airflow_provider_clockwork.receiver.hitl_codes import CodedRequest, requests_with_code

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from airflow_provider_clockwork.receiver.settings import ReceiverSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of a reply: answered or not, and the short text saying so."""

    answered: bool
    text: str


@dataclass(frozen=True)
class PhoneUser:
    """The sender as the responder Airflow records (``get_id``/``get_name``, as the route asks)."""

    id: str
    name: str

    def get_id(self) -> str:
        return self.id

    def get_name(self) -> str:
        return self.name


def _number(value: object) -> str | None:
    try:
        return normalise_number(value)
    except InvalidInputError:
        return None


def responder(sender: str, request: CodedRequest, settings: ReceiverSettings) -> PhoneUser | None:
    """Who the sender answers as, or None when the sender may not answer this request."""
    number = _number(sender)
    if number is None:
        return None
    assigned = request.detail.assigned_users if request.detail is not None else []
    if assigned:
        for user in assigned:
            if _number(user["id"]) == number:
                return PhoneUser(id=user["id"], name=user.get("name") or user["id"])
        return None
    allowed = settings.allowed_senders or frozenset(request.asked.get("to", []))
    return PhoneUser(id=number, name=number) if number in allowed else None


def _no_longer_waiting(code: str, request: CodedRequest) -> str:
    detail = request.detail
    if detail is not None and detail.response_received:
        if detail.responded_by is None:
            return f"{code} timed out; the default was taken."
        return f"{code} was already answered ({', '.join(detail.chosen_options or [])})."
    return f"{code} no longer waits for an answer (the task is {request.ti.state})."


_ROUTE_REFUSALS = {409: "already answered.", 403: "this number may not answer it."}


def _record(session: Session, request: CodedRequest, options: list[str], user: PhoneUser) -> None:
    """Airflow's own response path, as the UI's PATCH takes it."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail

    create_auth_manager()  # the API server made it already; a receiver of its own makes it here
    ti = request.ti
    update_hitl_detail(
        dag_id=ti.dag_id,
        dag_run_id=ti.run_id,
        task_id=ti.task_id,
        update_hitl_detail_payload=UpdateHITLDetailPayload(chosen_options=options),
        user=user,  # type: ignore[arg-type]
        session=session,
        map_index=ti.map_index,
    )


def _answer(
    session: Session, message: InboundMessage, code: str, choice: str, settings: ReceiverSettings
) -> Outcome:
    from fastapi import HTTPException

    found = requests_with_code(session, code, settings.conn_id)
    if not found:
        return Outcome(False, f"{code} is not the code of any question.")
    waiting = [request for request in found if request.waits()]
    if len(waiting) > 1:
        return Outcome(False, f"{code} names {len(waiting)} waiting questions; answer in Airflow.")
    request = waiting[0] if waiting else found[0]
    user = responder(message.sender, request, settings)
    if user is None:
        return Outcome(False, f"This number may not answer {code}.")
    if not waiting:
        return Outcome(False, _no_longer_waiting(code, request))
    if request.detail.params:
        return Outcome(False, f"{code} asks for input fields a text cannot fill; answer in Airflow.")
    try:
        options = chosen_options(choice, request.detail.options, bool(request.detail.multiple))
        _record(session, request, options, user)
    except ReplyRefused as refusal:
        return Outcome(False, f"{code}: {refusal}")
    except HTTPException as refusal:  # Airflow's own rules, met between our checks and its lock
        return Outcome(False, f"{code}: {_ROUTE_REFUSALS.get(refusal.status_code, refusal.detail)}")
    return Outcome(True, f"{code}: {', '.join(options)} recorded.")


def answer_reply(message: InboundMessage, settings: ReceiverSettings) -> Outcome | None:
    """Answer the request the reply names; None when the text names no code (it is no answer)."""
    from airflow.utils.session import create_session

    reply = parse_reply(message.content)
    if reply is None:
        return None
    with create_session() as session:
        outcome = _answer(session, message, reply.code, reply.choice, settings)
        if not outcome.answered:
            session.rollback()
    if outcome.answered:
        log.info("Clockwork receiver: a reply answered a Human-in-the-loop request: %s", outcome.text)
    else:
        log.warning("Clockwork receiver: a reply changed nothing: %s", outcome.text)
    return outcome


def text_back(number: str, text: str, conn_id: str) -> None:
    """Tell the sender why the reply changed nothing; a failure is logged, never raised."""
    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

    hook = ClockworkHook(clockwork_conn_id=conn_id)
    try:
        result = hook.send_sms(number, text)
    except Exception as error:
        log.error("Clockwork receiver: the refusal could not be texted back: %s", error)
        return
    finally:
        hook.close()
    if result.errors:
        log.error("Clockwork receiver: Clockwork refused the refusal text back: %s", result.errors)
