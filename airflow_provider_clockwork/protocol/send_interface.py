"""Which of Clockwork's two send interfaces carries a message, and how it is spoken.

The plain HTTP form is Clockwork's documented send; what it cannot carry (Unicode text,
characters Clockwork must remove or replace, a receipt request: ``Message.needs_xml``)
goes as an XML document instead. Both take the same batches of numbers and answer with
per-number IDs and errors, so a sender needs only to pick one, once per message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.message import Message
from airflow_provider_clockwork.protocol.results import SendResult, SmsError


@dataclass(frozen=True)
class SendInterface:
    """Where a send goes, the body it posts there, and how its reply reads."""

    path: str
    content_type: str
    body: Callable[[str, Iterable[str], Message], bytes]
    """The request body from the API key, a batch of numbers and the message."""
    parse_reply: Callable[[str], SendResult | SmsError]

    @property
    def endpoint(self) -> tuple[str, str]:
        """The path and content type: what a route to Clockwork is worked out for."""
        return self.path, self.content_type


FORM = SendInterface(
    http_api.SEND_PATH, http_api.FORM_CONTENT_TYPE, http_api.send_body, http_api.parse_send_reply
)
XML = SendInterface(xml_api.SEND_PATH, xml_api.CONTENT_TYPE, xml_api.send_document, xml_api.parse_send_reply)


def send_interface(message: Message) -> SendInterface:
    return XML if message.needs_xml else FORM
