"""Clockwork's account checks: ``/http/credit.aspx``, ``/xml/credit.aspx`` and ``/xml/balance.aspx``.

Each takes the API key and answers with the account's credit or money balance; a wrong key
gets Clockwork's ``Error 2``. Nothing is sent and no credit is spent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from airflow_provider_clockwork.emulator.faults import ON_ACCOUNT, RESET_BEFORE
from airflow_provider_clockwork.emulator.http_send import form_pairs, unique
from airflow_provider_clockwork.emulator.http_server import PLAIN_TEXT, Reply, spoiled
from airflow_provider_clockwork.emulator.send_rules import INVALID_KEY, INVALID_XML
from airflow_provider_clockwork.emulator.state import EmulatorState
from airflow_provider_clockwork.emulator.xml_send import XML_TEXT, element_names
from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.errors import UnreadableReplyError

if TYPE_CHECKING:
    from urllib.parse import SplitResult

    from airflow_provider_clockwork.emulator.http_server import Handler

CREDIT_PATH = http_api.CREDIT_PATH

# The XML account checks: path -> (request root element, the reply for a known key).
XML_ACCOUNT_ENDPOINTS: dict[str, tuple[str, Callable[[EmulatorState], bytes]]] = {
    xml_api.CREDIT_PATH: ("Credit", lambda state: xml_api.format_credit_reply(state.credit)),
    xml_api.BALANCE_PATH: ("Balance", lambda state: xml_api.format_balance_reply(state.balance())),
}


def serve_credit(handler: Handler, method: str, target: SplitResult) -> None:
    """``/http/credit.aspx``: the key as a parameter (GET or form POST), ``Credit: N`` back."""
    if method not in ("GET", "POST"):
        handler.refuse_method(method, target, ("GET", "POST"))
        return
    body = handler.read_body()
    if body is None:
        return
    pairs = form_pairs(method, target.query, handler.headers.get("Content-Type"), body)
    handler.record_request(method, target, unique(name for name, _ in pairs))
    key = http_api.lower_keys(dict(pairs)).get("key", "")
    if handler.server.state.knows_key(key):
        text = http_api.format_credit_reply(handler.server.state.credit)
    else:
        text = http_api.format_request_error(INVALID_KEY)
    handler.deliver(Reply(200, text.encode("utf-8"), PLAIN_TEXT), None)


def serve_xml_account(handler: Handler, method: str, target: SplitResult, path: str) -> None:
    """``/xml/credit.aspx`` and ``/xml/balance.aspx``: a key document in, the account's figure out.

    Faults queued with ``on="account"`` spoil these replies as others spoil sends.
    """
    root_tag, answer = XML_ACCOUNT_ENDPOINTS[path]
    if method != "POST":
        handler.refuse_method(method, target, ("POST",))
        return
    fault = handler.server.state.take_fault(ON_ACCOUNT)
    if fault is not None and fault.kind == RESET_BEFORE:
        handler.record_request(method, target, fault=fault)
        handler.reset_connection()
        return
    body = handler.read_body()
    if body is None:
        return
    handler.record_request(method, target, element_names(body), fault=fault)
    reply_root = f"{root_tag}_Resp"

    def account_reply() -> bytes:
        try:
            key = xml_api.read_key_document(body, root_tag)
        except UnreadableReplyError:
            return xml_api.format_request_error(INVALID_XML, reply_root)
        if handler.server.state.knows_key(key):
            return answer(handler.server.state)
        return xml_api.format_request_error(INVALID_KEY, reply_root)

    error_reply = partial(xml_api.format_request_error, root_tag=reply_root)
    handler.deliver(spoiled(fault, account_reply, error_reply, XML_TEXT), fault)
