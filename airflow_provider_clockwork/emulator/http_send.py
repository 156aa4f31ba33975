"""Clockwork's HTTP send (``/http/send.aspx``) as the emulator reads it off the wire.

Parameters come from the query string and, for a form POST, the body, as ASP.NET (which
serves Clockwork) reads them; the credit check (:mod:`.account`) reads its key the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar
from urllib.parse import parse_qsl

from airflow_provider_clockwork.emulator.http_server import PLAIN_TEXT
from airflow_provider_clockwork.emulator.send_rules import SendDesk, to_entries
from airflow_provider_clockwork.protocol import http_api
from airflow_provider_clockwork.protocol.results import SmsError

FORM_TYPE = "application/x-www-form-urlencoded"


def unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == FORM_TYPE


def form_pairs(method: str, query: str, content_type: str | None, body: bytes) -> list[tuple[str, str]]:
    """Query parameters, then (for a form POST) body parameters, which win on a clash as in ASP.NET."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if method == "POST" and is_form(content_type):
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return pairs


class HttpSend:
    content_type: ClassVar[str] = PLAIN_TEXT

    def __init__(self, method: str, query: str, content_type: str | None, body: bytes) -> None:
        pairs = form_pairs(method, query, content_type, body)
        self.param_names = unique(name for name, _ in pairs)
        self._params = http_api.lower_keys(dict(pairs))
        self.numbers = to_entries(self._params.get("to", ""))

    def answer(self, desk: SendDesk, request_index: int) -> bytes:
        return desk.answer_http(self._params, request_index).encode("utf-8")

    def format_error(self, error: SmsError) -> bytes:
        return http_api.format_request_error(error).encode("utf-8")
