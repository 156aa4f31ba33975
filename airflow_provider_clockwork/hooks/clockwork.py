"""Hook for Clockwork's SMS API.

It turns recipients and text into Clockwork requests (50 numbers each, the API's
limit), posts them over one kept-alive HTTPS session with a finite timeout, and
reads Clockwork's replies into per-number message IDs and errors. Sending stops
at the first request that fails as a whole, and the exception then says which
numbers got IDs, which are in doubt and which were never tried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret
from urllib3.exceptions import NewConnectionError

from airflow_provider_clockwork import __version__, connection_form
from airflow_provider_clockwork.connection import ClockworkSettings, read_settings
from airflow_provider_clockwork.exceptions import (
    ClockworkInputError,
    ClockworkRequestError,
    ClockworkSendError,
    ClockworkTransportError,
)
from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.errors import (
    InvalidInputError,
    UnreadableReplyError,
    blank_secrets,
    excerpt,
)
from airflow_provider_clockwork.protocol.message import Message, prepare_message
from airflow_provider_clockwork.protocol.recipients import batches, normalise_recipients
from airflow_provider_clockwork.protocol.results import SendResult, SmsError

# A request that never reached Clockwork is safe to repeat at once; these bound it.
CONNECT_ATTEMPTS = 3
CONNECT_BACKOFF_SECONDS = 0.5

BatchCallback = Callable[[SendResult], None]


def _never_reached_clockwork(error: requests.RequestException) -> bool:
    """True when the request cannot have been delivered: no TCP connection was made."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError) and error.args:
        return isinstance(getattr(error.args[0], "reason", None), NewConnectionError)
    return False


class ClockworkHook(BaseHook):
    """
    Send text messages through Clockwork.

    :param clockwork_conn_id: Airflow connection of type ``clockwork``; the API key is
        its password, the optional host a base URL (e.g. an emulator's), and the
        extras ``timeout`` (seconds) and ``sender`` (default ``From``).
    """

    conn_name_attr = "clockwork_conn_id"
    default_conn_name = "clockwork_default"
    conn_type = connection_form.CONNECTION_TYPE
    hook_name = connection_form.HOOK_NAME

    def __init__(self, clockwork_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clockwork_conn_id = clockwork_conn_id
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(clockwork_conn_id={self.clockwork_conn_id!r})"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's labels and hidden fields (Airflow 2.11; 3.2+ reads provider info)."""
        return connection_form.ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The ``timeout`` and ``sender`` fields of the connection form (Airflow 2.11)."""
        return connection_form.form_widgets()

    @cached_property
    def settings(self) -> ClockworkSettings:
        conn = self.get_connection(self.clockwork_conn_id)
        settings = read_settings(
            self.clockwork_conn_id,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=conn.extra_dejson,
        )
        mask_secret(settings.api_key)
        return settings

    def get_conn(self) -> requests.Session:
        """The one HTTP session every request of this hook goes through (kept alive)."""
        if self._session is None:
            self._session = requests.Session()
            self._session.headers["User-Agent"] = f"airflow-provider-clockwork/{__version__}"
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def prepare(
        self, to: object, content: object, sender: object = None, long: bool = False
    ) -> tuple[list[str], Message]:
        """Normalised recipients and the checked message, or ``ClockworkInputError`` naming the value."""
        try:
            numbers = normalise_recipients(to)
            message = prepare_message(content, sender, long)
        except InvalidInputError as error:
            raise ClockworkInputError(str(error)) from None
        if message.sender is None and self.settings.default_sender:
            message = replace(message, sender=self.settings.default_sender)
        return numbers, message

    def send_sms(self, to: object, content: object, sender: object = None, long: bool = False) -> SendResult:
        """
        Send ``content`` to every number in ``to``.

        :return: ``message_ids`` for the numbers Clockwork accepted and ``errors``
            (``code``, ``description``) for those it refused.
        :raises ClockworkInputError: before any request, for a bad number, content or sender.
        :raises ClockworkSendError: when a request fails as a whole; it tells what went out.
        """
        numbers, message = self.prepare(to, content, sender, long)
        return self.send_message(numbers, message)

    def send_message(
        self, numbers: Sequence[str], message: Message, on_batch: BatchCallback | None = None
    ) -> SendResult:
        """Send a checked message, one request per 50 numbers; ``on_batch`` sees each answer."""
        result = SendResult()
        groups = batches(numbers)
        for index, group in enumerate(groups):
            try:
                answer = self.send_batch(group, message)
            except ClockworkSendError as error:
                if on_batch is not None:
                    on_batch(error.result)
                result.update(error.result)
                error.result = result
                error.unsent.extend(number for later in groups[index + 1 :] for number in later)
                raise
            self.log.info(
                "Batch %d/%d: Clockwork accepted %d of %d number(s).",
                index + 1,
                len(groups),
                len(answer.message_ids),
                len(group),
            )
            if on_batch is not None:
                on_batch(answer)
            result.update(answer)
        return result

    def send_batch(self, numbers: Sequence[str], message: Message) -> SendResult:
        """One request for at most 50 numbers; Unicode text goes through the XML interface."""
        key = self.settings.api_key
        if message.needs_unicode:
            response = self._post(
                xml_api.SEND_PATH,
                numbers,
                data=xml_api.send_document(key, numbers, message),
                headers={"Content-Type": xml_api.CONTENT_TYPE},
            )
            parse: Callable[..., SendResult | SmsError] = xml_api.parse_send_reply
        else:
            response = self._post(http_api.SEND_PATH, numbers, data=http_api.send_form(key, numbers, message))
            parse = http_api.parse_send_reply
        try:
            reply = parse(self._reply_text(response))
        except UnreadableReplyError as error:
            raise ClockworkTransportError(
                f"Clockwork's reply (HTTP {response.status_code}) could not be read: {error}.",
                unknown=numbers,
            ) from None
        if isinstance(reply, SmsError):
            raise ClockworkRequestError(reply, unsent=numbers)
        return self._only_requested(numbers, reply)

    def _only_requested(self, numbers: Sequence[str], reply: SendResult) -> SendResult:
        result = SendResult(
            message_ids={n: reply.message_ids[n] for n in numbers if n in reply.message_ids},
            errors={n: reply.errors[n] for n in numbers if n in reply.errors},
        )
        silent = [number for number in numbers if number not in result.answered()]
        if silent:
            raise ClockworkTransportError(
                "Clockwork's reply gave no ID and no error for some numbers.", result=result, unknown=silent
            )
        return result

    def get_credit(self) -> int:
        """Messages the account can still send (Clockwork's credit check; sends nothing)."""
        response = self._post(http_api.CREDIT_PATH, (), data=http_api.credit_form(self.settings.api_key))
        try:
            reply = http_api.parse_credit_reply(self._reply_text(response))
        except UnreadableReplyError as error:
            raise ClockworkTransportError(
                f"Clockwork's credit reply (HTTP {response.status_code}) could not be read: {error}."
            ) from None
        if isinstance(reply, SmsError):
            raise ClockworkRequestError(reply)
        return reply

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with the credit endpoint: no text is sent and no credit spent."""
        try:
            credit = self.get_credit()
        except Exception as error:
            return False, str(error)
        return True, f"Connected to Clockwork at {self.settings.base_url}; credit: {credit}"

    def _post(self, path: str, numbers: Sequence[str], **request: Any) -> requests.Response:
        url = f"{self.settings.base_url}{path}"
        timeout = self.settings.timeout
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                response = self.get_conn().post(url, timeout=(timeout, timeout), **request)
            except requests.RequestException as error:
                if _never_reached_clockwork(error) and attempt < CONNECT_ATTEMPTS:
                    self.log.warning("Could not connect to %s (try %d): %s", url, attempt, error)
                    time.sleep(CONNECT_BACKOFF_SECONDS * attempt)
                    continue
                raise self._transport_error(url, error, numbers) from None
            return self._checked_status(response, numbers)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _transport_error(
        url: str, error: requests.RequestException, numbers: Sequence[str]
    ) -> ClockworkTransportError:
        kind = type(error).__name__
        if _never_reached_clockwork(error):
            return ClockworkTransportError(
                f"Could not connect to Clockwork at {url} ({kind}) after {CONNECT_ATTEMPTS} tries.",
                unsent=numbers,
            )
        return ClockworkTransportError(
            f"The request to {url} failed after it was sent ({kind}: {error}).", unknown=numbers
        )

    def _reply_text(self, response: requests.Response) -> str:
        """The reply body with the key blanked out, so no error built from it can carry the key."""
        return blank_secrets(response.content.decode("utf-8", "replace"), (self.settings.api_key,))

    def _checked_status(self, response: requests.Response, numbers: Sequence[str]) -> requests.Response:
        if response.status_code == 200:
            return response
        quote = excerpt(self._reply_text(response))
        if response.status_code >= 500:
            raise ClockworkTransportError(
                f"Clockwork answered HTTP {response.status_code} at {response.url}: {quote}.",
                unknown=numbers,
            )
        raise ClockworkTransportError(
            f"Clockwork rejected the request with HTTP {response.status_code} at {response.url}: {quote}.",
            unsent=numbers,
        )
