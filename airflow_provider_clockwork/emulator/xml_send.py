"""Clockwork's XML send (``/xml/send.aspx``) as the emulator reads it off the wire."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import ClassVar

from airflow_provider_clockwork.emulator.http_send import unique
from airflow_provider_clockwork.emulator.send_rules import INVALID_XML, SendDesk
from airflow_provider_clockwork.protocol import xml_api
from airflow_provider_clockwork.protocol.errors import UnreadableReplyError
from airflow_provider_clockwork.protocol.results import SmsError

XML_TEXT = xml_api.CONTENT_TYPE


def element_names(body: bytes) -> list[str]:
    try:
        return unique(element.tag for element in ET.fromstring(body).iter())
    except ET.ParseError:
        return []


class XmlSend:
    content_type: ClassVar[str] = XML_TEXT

    def __init__(self, method: str, query: str, content_type: str | None, body: bytes) -> None:
        self.param_names = element_names(body)
        try:
            self._key, self._messages = xml_api.read_send_document(body)
            self._readable = True
        except UnreadableReplyError:
            self._key, self._messages, self._readable = "", [], False
        self.numbers = [sms.to for sms in self._messages]

    def answer(self, desk: SendDesk, request_index: int) -> bytes:
        if not self._readable:
            return self.format_error(INVALID_XML)
        return desk.answer_xml(self._key, self._messages, request_index)

    def format_error(self, error: SmsError) -> bytes:
        return xml_api.format_request_error(error)
