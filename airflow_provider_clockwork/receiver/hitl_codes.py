"""Reply codes of Human-in-the-loop questions: given out by the receiver, one per waiting request.

A question's code is what a reply names, so two requests waiting at once must never hold
the same one. The notifier runs in a worker, which cannot see other requests (on Airflow 3
it has no database access), so it asks the receiver for a code (``POST
/clockwork/<conn_id>/hitl-codes``) and the receiver, which sees the metadata database,
gives one that no waiting request holds. Reservations are made one at a time: each holds
the lock of the asset ``clockwork://hitl/codes`` (see :func:`.store.locked_asset_write`),
so two API servers cannot give one code twice.

The code is kept in the task state store of the asking task instance, under the key
``clockwork_hitl/<code>``, where the worker adds who was asked and the receiver looks a
reply's code up. A code whose request ended within :data:`RECENT` is avoided too, so a
late reply to an old question does not answer a new one, unless no other code is free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_clockwork.ledger.stores import TaskScope
from airflow_provider_clockwork.protocol.hitl import pick_code
from airflow_provider_clockwork.receiver.records import (
    HITL_CODE_KEY_PREFIX,
    HITL_CODES_ASSET_URI,
    hitl_code_key,
)
from airflow_provider_clockwork.receiver.store import locked_asset_write

if TYPE_CHECKING:
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy.orm import Session

RECENT = timedelta(days=1)


class NotWaiting(LookupError):
    """The task instance named in a reservation does not wait for a Human-in-the-loop answer."""


def task_from_json(body: Any) -> TaskScope:
    """The task instance a reservation names (its body's JSON); ValueError naming what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object with dag_id, run_id, task_id and map_index.")
    texts = {name: body.get(name) for name in ("dag_id", "run_id", "task_id")}
    missing = [name for name, value in texts.items() if not isinstance(value, str) or not value]
    map_index = body.get("map_index", -1)
    if missing or isinstance(map_index, bool) or not isinstance(map_index, int):
        wrong = missing or ["map_index"]
        raise ValueError(f"The body's {', '.join(wrong)} must be given (texts; map_index a number).")
    return TaskScope(map_index=map_index, **texts)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CodedRequest:
    """A task instance that was given a reply code, and what it keeps under that code."""

    ti: TaskInstance
    asked: dict[str, Any]

    @property
    def detail(self) -> Any:
        return self.ti.hitl_detail

    def waits(self) -> bool:
        return _waits(self.ti)


def _waiting_states() -> tuple[str, ...]:
    from airflow.utils.state import TaskInstanceState

    # RUNNING: the request is written and the worker is about to park the task (its notifiers
    # run now); Airflow's park transition resumes at once with a response recorded meanwhile.
    return (TaskInstanceState.RUNNING, TaskInstanceState.AWAITING_INPUT, TaskInstanceState.DEFERRED)


def _waiting(state: str | None, asked: bool, answered: bool) -> bool:
    """A task instance waits for an answer: in a waiting state, with a request and no response yet."""
    return state in _waiting_states() and asked and not answered


def _waits(ti: TaskInstance) -> bool:
    detail = ti.hitl_detail
    return _waiting(ti.state, detail is not None, detail is not None and detail.response_received)


def _same_task_instance() -> Any:
    """The join of a task state store row to its task instance."""
    from airflow.models.task_state_store import TaskStateStoreModel as Stored
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import and_

    return and_(
        Stored.dag_id == TI.dag_id,
        Stored.run_id == TI.run_id,
        Stored.task_id == TI.task_id,
        Stored.map_index == TI.map_index,
    )


def requests_with_code(session: Session, code: str, conn_id: str) -> list[CodedRequest]:
    """The task instances that asked a question with ``code`` through ``conn_id``, newest first."""
    from airflow.models.task_state_store import TaskStateStoreModel as Stored
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    query = (
        select(TI, Stored.value)
        .join(Stored, _same_task_instance())
        .where(Stored.key == hitl_code_key(code))
        .options(joinedload(TI.hitl_detail))
        .order_by(Stored.updated_at.desc())
    )
    found = [CodedRequest(ti, json.loads(value)) for ti, value in session.execute(query).all()]
    return [request for request in found if request.asked.get("conn_id") == conn_id]


def _code_of(key: str) -> str:
    return key.removeprefix(HITL_CODE_KEY_PREFIX)


def _codes_held(session: Session) -> tuple[set[str], set[str]]:
    """The codes of waiting requests, and those of requests given a code within :data:`RECENT`.

    Columns only, no objects: the reservation holds the lock while this runs.
    """
    from airflow.models.hitl import HITLDetail
    from airflow.models.task_state_store import TaskStateStoreModel as Stored
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import or_, select

    query = (
        select(Stored.key, TI.state, HITLDetail.ti_id, HITLDetail.responded_at)
        .join(TI, _same_task_instance())
        .outerjoin(HITLDetail, HITLDetail.ti_id == TI.id)
        .where(
            Stored.key.startswith(HITL_CODE_KEY_PREFIX),
            or_(TI.state.in_(_waiting_states()), Stored.updated_at > datetime.now(UTC) - RECENT),
        )
    )
    in_use: set[str] = set()
    lately: set[str] = set()
    for key, state, asked, responded_at in session.execute(query):
        waits = _waiting(state, asked is not None, responded_at is not None)
        (in_use if waits else lately).add(_code_of(key))
    return in_use, lately - in_use


def _waiting_task(session: Session, task: TaskScope) -> TaskInstance:
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    ti = session.scalar(
        select(TI)
        .where(
            TI.dag_id == task.dag_id,
            TI.run_id == task.run_id,
            TI.task_id == task.task_id,
            TI.map_index == task.map_index,
        )
        .options(joinedload(TI.hitl_detail))
    )
    if ti is None or not _waits(ti):
        raise NotWaiting(f"No Human-in-the-loop request of {task} waits for an answer.")
    return ti


def _earlier_codes(session: Session, task: TaskScope) -> list[str]:
    """The code keys the task instance holds already (from an earlier try)."""
    from airflow.models.task_state_store import TaskStateStoreModel as Stored
    from sqlalchemy import select

    return list(
        session.scalars(
            select(Stored.key).where(
                Stored.dag_id == task.dag_id,
                Stored.run_id == task.run_id,
                Stored.task_id == task.task_id,
                Stored.map_index == task.map_index,
                Stored.key.startswith(HITL_CODE_KEY_PREFIX),
            )
        )
    )


def _expiry() -> Any:
    """When a stored code expires: ``[state_store] default_retention_days``, as the worker's writes."""
    from airflow.configuration import conf

    days = conf.getint("state_store", "default_retention_days")
    return None if days <= 0 else datetime.now(UTC) + timedelta(days=days)


def reserve_code(conn_id: str, task: TaskScope) -> str:
    """A code for the waiting request of ``task``, kept in its task state store; raises NotWaiting.

    A task instance asks again only in a new try (the notifiers of one try share a code), so
    the codes of its earlier tries are dropped first: they could name another request by now.
    """
    from airflow.state import TaskScope as StoreScope
    from airflow.state import get_state_backend

    scope = StoreScope(dag_id=task.dag_id, run_id=task.run_id, task_id=task.task_id, map_index=task.map_index)
    backend = get_state_backend()

    def write(session: Session, _asset_id: int) -> str:
        _waiting_task(session, task)
        for key in _earlier_codes(session, task):
            backend.delete(scope, key, session=session)
        in_use, lately = _codes_held(session)
        code = pick_code(in_use, lately)
        value = json.dumps({"conn_id": conn_id, "to": []})
        backend.set(scope, hitl_code_key(code), value, expires_at=_expiry(), session=session)
        return code

    return str(locked_asset_write(HITL_CODES_ASSET_URI, write))
