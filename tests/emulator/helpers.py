"""Helpers shared by the emulator tests: every call goes over real HTTP with a bounded timeout."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator

KEY = "test-key"
SEND = "/http/send.aspx"
CREDIT = "/http/credit.aspx"
XML_SEND = "/xml/send.aspx"
TIMEOUT = 5.0


def send_http(
    emulator: ClockworkEmulator, method: str = "POST", session: Any = requests, **params: str
) -> requests.Response:
    """A send through the HTTP interface: query string for GET, form body for POST."""
    if method == "GET":
        return session.get(emulator.url + SEND, params=params, timeout=TIMEOUT)
    return session.post(emulator.url + SEND, data=params, timeout=TIMEOUT)


def send_xml(emulator: ClockworkEmulator, document: bytes | str, **options: Any) -> requests.Response:
    body = document.encode("utf-8") if isinstance(document, str) else document
    options.setdefault("timeout", TIMEOUT)
    return requests.post(
        emulator.url + XML_SEND, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, **options
    )


def xml_document(*sms: str, key: str = KEY) -> str:
    """A send document with the given ``<SMS>`` bodies, written out by hand as a client would."""
    items = "".join(f"<SMS>{body}</SMS>" for body in sms)
    return f'<?xml version="1.0" encoding="UTF-8"?><Message><Key>{key}</Key>{items}</Message>'


def inspect(emulator: ClockworkEmulator, name: str) -> Any:
    reply = requests.get(f"{emulator.url}/_emulator/{name}", timeout=TIMEOUT)
    reply.raise_for_status()
    return reply.json()
