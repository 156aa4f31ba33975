"""The receiver: a FastAPI app that takes Clockwork's delivery receipts and inbound texts.

Mounted by Airflow 3.3's API server under ``/clockwork`` (see the provider's plugin),
or served alone by ``python -m airflow_provider_clockwork.receiver``. Two paths per
Clockwork connection, each with the connection's ``receiver_token`` in the query:

- ``GET|POST /clockwork/<conn_id>/receipts?token=...``: receipts of every ``DlrType``
  (1 query, 2 form, 3 XML, 4 XML batch);
- ``POST /clockwork/<conn_id>/inbound?token=...``: inbound texts (form or XML);
- ``POST /clockwork/<conn_id>/hitl-codes`` (the token in an ``X-Clockwork-Token`` header): a reply
  code for a waiting Human-in-the-loop request, asked for by the notifier (see :mod:`.hitl_codes`).

Clockwork has no Airflow account, so Airflow's API authentication does not apply; the
token does. A missing token gets 401, a wrong one (or a connection without a receiver)
404, and neither stores anything nor says which part was wrong. Bad input gets a 4xx
naming the problem, again storing nothing; a failed write gets 500, so Clockwork calls
again, which is harmless: every write is idempotent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.inbound import InboundMessage
from airflow_provider_clockwork.receiver import parsing
from airflow_provider_clockwork.receiver.settings import (
    HITL_CODES_PATH,
    TOKEN_HEADER,
    TOKEN_PARAMETER,
    ReceiverSettings,
)

log = logging.getLogger(__name__)

NOT_FOUND = JSONResponse({"detail": "Not found."}, status_code=404)


def _receiver_settings(conn_id: str) -> ReceiverSettings | None:
    """The connection's receiver settings; None for a missing, foreign or receiver-less connection."""
    from airflow.models.connection import Connection

    from airflow_provider_clockwork.connection_form import CONNECTION_TYPE
    from airflow_provider_clockwork.receiver.settings import read_receiver_settings

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except Exception:
        return None
    if conn.conn_type != CONNECTION_TYPE:
        return None
    try:
        settings = read_receiver_settings(conn_id, conn.extra_dejson)
    except ValueError as error:  # ClockworkConfigError: the message names no secret
        log.error("Clockwork receiver: %s", error)
        return None
    if settings is not None:
        _mask(settings.token)
    return settings


def _mask(token: str) -> None:
    from airflow.providers.common.compat.sdk import mask_secret

    mask_secret(token)


async def _authorised(
    request: Request, conn_id: str, header: bool = False
) -> ReceiverSettings | JSONResponse:
    """The connection's settings when the request carries its token, else the answer to give.

    Clockwork's calls carry it in the query; the notifier's in :data:`TOKEN_HEADER` (not
    ``Authorization``, which Airflow's own auth managers use and may add).
    """
    if header:
        offered, where = request.headers.get(TOKEN_HEADER), f"The {TOKEN_HEADER!r} header"
    else:
        offered, where = request.query_params.get(TOKEN_PARAMETER), f"The {TOKEN_PARAMETER!r} query parameter"
    if not offered:
        return JSONResponse({"detail": f"{where} is required."}, status_code=401)
    settings = await run_in_threadpool(_receiver_settings, conn_id)
    if settings is None or not settings.token_matches(offered):
        return NOT_FOUND
    return settings


async def _body(request: Request) -> bytes:
    """The body, refused as soon as it passes :data:`parsing.MAX_BODY_BYTES` (declared or sent)."""
    limit = parsing.MAX_BODY_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise parsing.BodyTooLarge(f"The body is {declared} bytes; the receiver takes at most {limit}.")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise parsing.BodyTooLarge(f"The body is over {limit} bytes, the most the receiver takes.")
    except ClientDisconnect:
        # Clockwork gave up waiting (a busy server) and will call again: a refusal, not a server error.
        raise InvalidInputError(
            "The caller hung up before its whole body arrived; nothing was stored."
        ) from None
    return bytes(body)


def _refusal(error: InvalidInputError) -> JSONResponse:
    status = 413 if isinstance(error, parsing.BodyTooLarge) else 400
    return JSONResponse({"detail": str(error)}, status_code=status)


def _answer_once(message: InboundMessage, settings: ReceiverSettings, new: bool) -> bool | None:
    """A new text naming a Human-in-the-loop code answers that request (see :mod:`.hitl`).

    None when the text is no such reply (or Clockwork called again with it); a refusal is
    texted back when the connection's ``reply_on_refusal`` asks for it.
    """
    from airflow_provider_clockwork.receiver.hitl import answer_reply, text_back

    outcome = answer_reply(message, settings) if new else None
    if outcome is None:
        return None
    if not outcome.answered and settings.reply_on_refusal:
        text_back(message.sender, outcome.text, settings.conn_id)
    return outcome.answered


def create_app() -> FastAPI:
    """A new receiver app (the API server mounts one; tests and the standalone server make their own)."""
    app = FastAPI(
        title="Clockwork receiver",
        description="Delivery receipts and inbound texts from Clockwork, into Airflow.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.api_route("/{conn_id}/receipts", methods=["GET", "POST"])
    async def receipts(conn_id: str, request: Request) -> Any:
        from airflow_provider_clockwork.receiver.store import store_receipts

        settings = await _authorised(request, conn_id)
        if isinstance(settings, JSONResponse):
            return settings
        try:
            if request.method == "GET":
                query = {k: v for k, v in request.query_params.items() if k != TOKEN_PARAMETER}
                parsed = parsing.receipts_from_query(query)
            else:
                parsed = parsing.receipts_from_body(
                    request.headers.get("content-type", ""), await _body(request)
                )
        except InvalidInputError as error:
            log.warning("Clockwork receiver: refused a receipt call for %r: %s", conn_id, error)
            return _refusal(error)
        changed = await run_in_threadpool(store_receipts, parsed)
        log.info(
            "Clockwork receiver: %d receipts for %r, %d newer than stored.", len(parsed), conn_id, changed
        )
        return {"received": len(parsed), "stored": changed}

    @app.post("/{conn_id}/inbound")
    async def inbound(conn_id: str, request: Request) -> Any:
        from airflow_provider_clockwork.receiver.store import store_inbound

        settings = await _authorised(request, conn_id)
        if isinstance(settings, JSONResponse):
            return settings
        try:
            message = parsing.inbound_from_body(request.headers.get("content-type", ""), await _body(request))
        except InvalidInputError as error:
            log.warning("Clockwork receiver: refused an inbound call for %r: %s", conn_id, error)
            return _refusal(error)
        allowed = parsing.allowed_sender(message.sender, settings.allowed_senders)
        new = await run_in_threadpool(lambda: store_inbound(message, allowed=allowed))
        answer = await run_in_threadpool(_answer_once, message, settings, new)
        if new and not allowed and answer is None:
            log.warning(
                "Clockwork receiver: an inbound text to %s from a sender not in 'allowed_senders' of %r "
                "was stored, not acted on.",
                message.to,
                conn_id,
            )
        return {"received": 1, "new": new, "acted_on": new and allowed, "answered": answer}

    @app.post(f"/{{conn_id}}/{HITL_CODES_PATH}")
    async def hitl_codes(conn_id: str, request: Request) -> Any:
        from airflow_provider_clockwork.protocol.hitl import NoCodeFree
        from airflow_provider_clockwork.receiver.hitl_codes import NotWaiting, reserve_code, task_from_json

        settings = await _authorised(request, conn_id, header=True)
        if isinstance(settings, JSONResponse):
            return settings
        try:
            body = json.loads(await _body(request) or b"null")
        except InvalidInputError as error:
            return _refusal(error)
        except ValueError as error:
            return JSONResponse({"detail": f"The body is not JSON: {error}"}, status_code=400)
        try:
            task = task_from_json(body)
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=400)
        try:
            code = await run_in_threadpool(reserve_code, conn_id, task)
        except NotWaiting as error:
            return JSONResponse({"detail": str(error)}, status_code=404)
        except NoCodeFree as error:
            log.error("Clockwork receiver: no reply code for %s: %s", task, error)
            return JSONResponse({"detail": str(error)}, status_code=503)
        log.info("Clockwork receiver: a reply code was reserved for %s.", task)
        return {"code": code}

    return app
