"""Hook for Clockwork's SMS API.

It turns recipients and text into Clockwork requests (50 numbers each, the API's
limit), posts them over one kept-alive HTTPS session with a finite timeout, up to
``max_concurrent_requests`` at a time, and reads Clockwork's replies into
per-number message IDs and errors. No request is started after one fails as a
whole; those in flight finish, and the exception then says which numbers got
IDs, which are in doubt and which were never tried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import replace
from functools import cached_property
from typing import Any, TypeVar

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret
from requests.adapters import HTTPAdapter

from airflow_provider_clockwork import __version__, connection_form
from airflow_provider_clockwork.connection import ClockworkSettings, max_concurrent_requests, read_settings
from airflow_provider_clockwork.exceptions import (
    ClockworkConfigError,
    ClockworkInputError,
    ClockworkRequestError,
    ClockworkSendError,
    ClockworkTransportError,
)
from airflow_provider_clockwork.hooks import _transport
from airflow_provider_clockwork.hooks._batches import (
    BatchProgress,
    Item,
    answer_of,
    combined_failure,
    concurrent_outcomes,
    sequential_outcomes,
)
from airflow_provider_clockwork.protocol import xml_api
from airflow_provider_clockwork.protocol.delivery import ReceiptRequest
from airflow_provider_clockwork.protocol.errors import (
    InvalidInputError,
    UnreadableReplyError,
    blank_secrets,
    excerpt,
)
from airflow_provider_clockwork.protocol.message import Message, prepare_message
from airflow_provider_clockwork.protocol.personalised import (
    MAX_MESSAGES_PER_XML_REQUEST,
    PersonalisedResult,
    PersonalisedSms,
    prepare_personalised,
)
from airflow_provider_clockwork.protocol.recipients import batches, normalise_recipients
from airflow_provider_clockwork.protocol.results import SendResult, SmsError
from airflow_provider_clockwork.protocol.send_interface import send_interface
from airflow_provider_clockwork.receiver.settings import (
    ReceiverSettings,
    read_receiver_settings,
    sending_task,
)

# A request that never reached Clockwork is safe to repeat at once; these bound it.
CONNECT_ATTEMPTS = 3
CONNECT_BACKOFF_SECONDS = 0.5
TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})
"""HTTP 4xx statuses that may pass (request timeout, too early, too many requests)."""

BatchCallback = Callable[[SendResult], None]
Reply = TypeVar("Reply")
Answer = TypeVar("Answer", bound=SendResult)


def _checked_concurrency(value: Any, name: str) -> int:
    return max_concurrent_requests(value, f"The argument {name!r}")


def _checked_connect_attempts(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ClockworkConfigError(
            f"The argument 'connect_attempts' must be a whole number of 1 or more, not {value!r}."
        )
    return value


async def _amask_secret(secret: str) -> None:
    """Register the key with Airflow's secrets masker without a blocking call (Airflow 3.3+)."""
    try:
        from airflow.sdk.log import amask_secret
    except ImportError:
        await asyncio.to_thread(mask_secret, secret)
    else:
        await amask_secret(secret)


def _read_environment_once(session: requests.Session, base_url: str) -> None:
    """Take the proxy and CA bundle settings of the environment now, for every request of the session.

    Every request reads them again otherwise (proxy variables, ``.netrc``, ``REQUESTS_CA_BUNDLE``):
    three file lookups and a walk over the environment each, which cost a 400-request send
    about a second. Every request of a hook goes to the same host, so the answer is the same.
    """
    found = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.trust_env = False


class ClockworkHook(BaseHook):
    """
    Send text messages through Clockwork.

    :param clockwork_conn_id: Airflow connection of type ``clockwork``; the API key is
        its password, the optional host a base URL (e.g. an emulator's), and the
        extras ``timeout`` (seconds), ``sender`` (default ``From``) and
        ``max_concurrent_requests``.
    :param max_concurrent_requests: how many requests (of 50 numbers each) one send
        keeps in flight; overrides the connection's extra, whose default is 4. 1 sends
        the batches one after another.
    :param timeout: seconds each request may take to connect and to read; overrides the
        connection's extra (default 30). The notifier lowers it to keep its retries short.
    :param connect_attempts: how many times a request is tried while no connection can be
        made (refused, or no answer within ``timeout``); 3 by default. The notifier makes
        one: it tries again itself, and each of its attempts must end within its window.
    """

    conn_name_attr = "clockwork_conn_id"
    default_conn_name = "clockwork_default"
    conn_type = connection_form.CONNECTION_TYPE
    hook_name = connection_form.HOOK_NAME

    def __init__(
        self,
        clockwork_conn_id: str = default_conn_name,
        max_concurrent_requests: int | None = None,
        timeout: float | None = None,
        connect_attempts: int = CONNECT_ATTEMPTS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.clockwork_conn_id = clockwork_conn_id
        self.timeout = timeout
        self.connect_attempts = _checked_connect_attempts(connect_attempts)
        self._max_concurrent_requests = (
            None
            if max_concurrent_requests is None
            else _checked_concurrency(max_concurrent_requests, "max_concurrent_requests")
        )
        self._session: requests.Session | None = None
        self._routes: dict[tuple[str, str], _transport.Route] = {}
        self._connection_extra: dict[str, Any] = {}

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
        """The connection's fields, checked; read once, in the thread that first asks."""
        conn = self.get_connection(self.clockwork_conn_id)
        self._connection_extra = conn.extra_dejson
        settings = self._checked_settings(conn, self._connection_extra)
        mask_secret(settings.api_key)
        return settings

    async def aload_settings(self) -> ClockworkSettings:
        """Read the connection without blocking the event loop (the triggerer runs Deadline Alerts).

        Airflow's async connection API (``BaseHook.aget_connection``, Airflow 3.3+) where the
        running Airflow has it, with the async forms of reading the extra and masking the key;
        elsewhere the synchronous read runs in a thread.
        """
        if "settings" in self.__dict__:
            return self.settings
        aget_connection = getattr(BaseHook, "aget_connection", None)
        if aget_connection is None:
            return await asyncio.to_thread(lambda: self.settings)
        conn = await aget_connection(self.clockwork_conn_id)
        extra = await conn.aextra_dejson() if hasattr(conn, "aextra_dejson") else conn.extra_dejson
        self._connection_extra = extra
        settings = self._checked_settings(conn, extra)
        await _amask_secret(settings.api_key)
        self.__dict__["settings"] = settings
        return settings

    def _checked_settings(
        self, conn: Any, extra: dict[str, Any], name: str | None = None
    ) -> ClockworkSettings:
        return read_settings(
            self.clockwork_conn_id,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=extra,
            name=name,
        )

    @property
    def max_concurrent_requests(self) -> int:
        """Requests one send keeps in flight: the hook's argument, else the connection's extra."""
        if self._max_concurrent_requests is not None:
            return self._max_concurrent_requests
        return self.settings.max_concurrent_requests

    def get_conn(self) -> requests.Session:
        """The one HTTP session every request of this hook goes through (kept alive).

        Its connection pool holds ``max_concurrent_requests`` connections, one per
        request in flight, so concurrent batches reuse their connections too.
        """
        if self._session is None:
            session = requests.Session()
            session.headers["User-Agent"] = f"airflow-provider-clockwork/{__version__}"
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.max_concurrent_requests)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            _read_environment_once(session, self.settings.base_url)
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
            self._routes.clear()

    def prepare(
        self,
        to: object,
        content: object,
        sender: object = None,
        long: bool = False,
        invalid_char_action: object = None,
        delivery_receipt: object = None,
    ) -> tuple[list[str], Message]:
        """Normalised recipients and the checked message, or ``ClockworkInputError`` naming the value.

        ``to`` None means the connection's ``to`` extra (e.g. the on-call number). The
        environment's proxy and CA bundle are checked too (``ClockworkConfigError``), so that
        whatever would stop the send stops it here, before any request.
        """
        if to is None:
            to = self._default_recipients()
        if delivery_receipt is None:
            delivery_receipt = self.default_receipt_request()
        try:
            numbers = normalise_recipients(to)
            message = prepare_message(content, sender, long, invalid_char_action, delivery_receipt)
        except InvalidInputError as error:
            raise ClockworkInputError(str(error)) from None
        if message.sender is None and self.settings.default_sender:
            message = replace(message, sender=self.settings.default_sender)
        self._route(*send_interface(message).endpoint)
        return numbers, message

    def default_receipt_request(self) -> ReceiptRequest | None:
        """Receipts to the connection's receiver (extras ``receiver_url`` and ``receiver_token``), if any.

        ``DlrContent`` names the run and task that sent, when one is running, so every
        stored receipt says where its message came from.
        """
        receiver = self.receiver_settings()
        if receiver is None:
            return None
        return receiver.receipt_request(sending_task())

    def receiver_settings(self) -> ReceiverSettings | None:
        """The connection's receiver (extras ``receiver_url``, ``receiver_token``...), token masked."""
        _ = self.settings  # the connection is read once (by aload_settings in the triggerer)
        receiver = read_receiver_settings(self.clockwork_conn_id, self._connection_extra)
        if receiver is not None:
            mask_secret(receiver.token)
        return receiver

    def _default_recipients(self) -> list[str]:
        if not self.settings.default_to:
            raise ClockworkInputError(
                f"No recipient: 'to' is not given and connection {self.clockwork_conn_id!r} has no "
                f"'to' extra; give 'to' (e.g. to=\"447700900123\") or set the connection's "
                f"Default recipients (To)."
            )
        return list(self.settings.default_to)

    def send_sms(
        self,
        to: object,
        content: object,
        sender: object = None,
        long: bool = False,
        invalid_char_action: object = None,
        delivery_receipt: object = None,
    ) -> SendResult:
        """
        Send ``content`` to every number in ``to``.

        :param invalid_char_action: for text outside GSM-7: None (the default) sends it as
            Unicode, intact (70 characters a message); ``"replace"`` or ``"remove"`` has
            Clockwork replace those characters with close GSM-7 ones or drop them (160 a
            message); ``"error"`` refuses such text before any request.
        :param delivery_receipt: have Clockwork report each message's delivery to your URL:
            a URL (form POST), or ``{"url", "type"?, "content"?}`` with ``type`` ``"get"``,
            ``"post"``, ``"xml"`` or ``"xml_batch"`` and ``content`` your own values
            (a mapping or query string) that come back in every receipt. The message then
            goes through the XML interface, which alone takes receipt settings.
        :return: ``message_ids`` for the numbers Clockwork accepted and ``errors``
            (``code``, ``description``) for those it refused.
        :raises ClockworkInputError: before any request, for a bad number, content or sender.
        :raises ClockworkSendError: when a request fails as a whole; it tells what went out.
        """
        numbers, message = self.prepare(to, content, sender, long, invalid_char_action, delivery_receipt)
        return self.send_message(numbers, message)

    def send_message(
        self, numbers: Sequence[str], message: Message, on_batch: BatchCallback | None = None
    ) -> SendResult:
        """
        Send a checked message, one request per 50 numbers, up to ``max_concurrent_requests`` at once.

        ``on_batch`` sees each batch's answer as it arrives, always in the calling
        thread (Airflow's task API is not thread-safe). The result is in recipient
        order and the same whatever the concurrency. When a request fails as a whole,
        no further request starts; those already in flight finish (their IDs count and
        reach ``on_batch``) and one ``ClockworkSendError`` is raised, of the failing
        request's kind, whose ``result`` holds every ID obtained, ``unknown`` the numbers
        in doubt and ``unsent`` every number never requested.
        """
        return self._send_batches(
            batches(numbers),
            lambda group: self.send_batch(group, message),
            SendResult(),
            str,
            on_batch,
            send_interface(message).endpoint,
        )

    def _send_batches(
        self,
        groups: list[list[Item]],
        send_one: Callable[[list[Item]], SendResult],
        result: Answer,
        label: Callable[[Item], str],
        on_batch: BatchCallback | None,
        endpoint: tuple[str, str],
    ) -> Answer:
        """
        Every batch through ``send_one``, up to ``max_concurrent_requests`` at once; see :meth:`send_message`.

        ``result`` (empty, or carrying a personalised send's numbers) collects the answers
        in batch order; ``label`` names an item in a failure. Answers that arrive together
        reach ``on_batch`` in one call, so a slow callback (a ledger write) is paid once
        per wave of answers, not once per request, and never holds a request back.
        """
        # Read the connection, open the session and work out the route of ``endpoint`` (path,
        # content type) here, before any request: worker threads only post (Airflow's task
        # API is not thread-safe).
        self._route(*endpoint)
        workers = min(self.max_concurrent_requests, len(groups))
        answers: dict[int, SendResult] = {}
        failures: list[tuple[int, Exception]] = []
        progress = BatchProgress(self.log, len(groups))
        arrivals = (
            concurrent_outcomes(groups, send_one, workers)
            if workers > 1
            else sequential_outcomes(groups, send_one)
        )
        with closing(arrivals):  # on any exception here, wait for the requests in flight
            for arrived in arrivals:
                wave = SendResult()
                for index, outcome in arrived:
                    answer = answer_of(index, outcome, len(groups[index]), progress, failures)
                    if answer is not None:
                        answers[index] = answer
                        wave.update(answer)
                if on_batch is not None and (wave.message_ids or wave.errors):
                    on_batch(wave)
        for index in sorted(answers):
            result.update(answers[index])
        if failures:
            raise combined_failure(groups, answers, failures, result, label)
        progress.finished()
        return result

    def send_batch(self, numbers: Sequence[str], message: Message) -> SendResult:
        """One request for at most 50 numbers; what the HTTP form cannot carry (Unicode text, an
        ``InvalidCharAction``, a receipt request) goes through the XML interface."""
        interface = send_interface(message)
        body = interface.body(self.settings.api_key, numbers, message)
        response = self._post(interface.path, numbers, body, interface.content_type)
        return self._only_requested(
            numbers, self._read_reply(response, interface.parse_reply, "reply", numbers)
        )

    def _only_requested(self, numbers: Sequence[str], reply: SendResult) -> SendResult:
        result = SendResult(
            message_ids={n: reply.message_ids[n] for n in numbers if n in reply.message_ids},
            errors={n: reply.errors[n] for n in numbers if n in reply.errors},
        )
        answered = result.answered()  # once, not once per number: a set of the whole batch
        silent = [number for number in numbers if number not in answered]
        if silent:
            raise ClockworkTransportError(
                "Clockwork's reply gave no ID and no error for some numbers.", result=result, unknown=silent
            )
        return result

    def get_credit(self) -> int:
        """Messages the account can still send (Clockwork's documented XML credit check; sends nothing)."""
        return self._read_reply(
            self._account_request(xml_api.CREDIT_PATH, "Credit"), xml_api.parse_credit_reply, "credit reply"
        )

    def _account_request(self, path: str, root_tag: str) -> _transport.HttpReply:
        """An XML account check (credit, balance): the key in a small document, nothing sent."""
        return self._post(
            path, (), xml_api.key_document(root_tag, self.settings.api_key), xml_api.CONTENT_TYPE
        )

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with the credit endpoint: no text is sent and no credit spent.

        Airflow tests a form under a random connection id, so the answer speaks of the
        connection's fields, the key and the endpoint, never of that id.
        """
        conn = self.get_connection(self.clockwork_conn_id)
        try:
            self._connection_extra = conn.extra_dejson
            settings = self._checked_settings(conn, self._connection_extra, name="This connection")
        except (ClockworkConfigError, ClockworkInputError) as error:
            return False, str(error)
        mask_secret(settings.api_key)
        self.__dict__["settings"] = settings
        endpoint = f"{settings.base_url}{xml_api.CREDIT_PATH}"
        try:
            credit = self.get_credit()
        except ClockworkConfigError as error:
            return False, str(error)
        except ClockworkRequestError as error:
            return False, f"Clockwork at {endpoint} refused the API key: {error.error}."
        except ClockworkSendError as error:
            return False, f"Could not check the API key at {endpoint}: {error.reason}"
        return True, f"Connected to Clockwork at {settings.base_url}: the API key works; credit: {credit}."

    def _post(
        self, path: str, numbers: Sequence[str], body: bytes, content_type: str
    ) -> _transport.HttpReply:
        route = self._route(path, content_type)
        url = route.url
        timeout = self.timeout if self.timeout is not None else self.settings.timeout
        for attempt in range(1, self.connect_attempts + 1):
            try:
                reply = _transport.post(route, body, timeout)
            except _transport.TRANSPORT_ERRORS as error:
                if _transport.never_reached(error) and attempt < self.connect_attempts:
                    self.log.warning("Could not connect to %s (try %d): %s", url, attempt, error)
                    time.sleep(CONNECT_BACKOFF_SECONDS * attempt)
                    continue
                raise self._transport_error(url, error, numbers, attempt) from None
            return self._checked_status(reply, numbers)
        raise AssertionError("unreachable")  # pragma: no cover

    def _route(self, path: str, content_type: str) -> _transport.Route:
        """How POSTs to ``path`` go through the session (see :mod:`._transport`), worked out once per hook.

        :raises ClockworkConfigError: when the environment's settings (a CA bundle, a proxy)
            cannot be used; no request was made.
        """
        route = self._routes.get((path, content_type))
        if route is None:
            url = f"{self.settings.base_url}{path}"
            try:
                found = _transport.route_for(self.get_conn(), url, content_type)
            except _transport.ROUTE_ERRORS as error:
                raise ClockworkConfigError(
                    f"Cannot post to Clockwork at {url} with this environment's settings "
                    f"(CA bundle, proxy): {str(error).rstrip('.')}. Nothing was sent."
                ) from None
            route = self._routes.setdefault((path, content_type), found)
        return route

    @staticmethod
    def _transport_error(
        url: str, error: Exception, numbers: Sequence[str], attempts: int
    ) -> ClockworkTransportError:
        """The failure of the request's last attempt; ``attempts`` counts every attempt made."""
        kind = type(error).__name__
        if _transport.never_reached(error):
            return ClockworkTransportError(
                f"Could not connect to Clockwork at {url} ({kind}: {error}) in {attempts} attempt(s).",
                unsent=numbers,
            )
        return ClockworkTransportError(
            f"The request to {url} failed and may have reached Clockwork ({kind}: {error}).", unknown=numbers
        )

    def _read_reply(
        self,
        response: _transport.HttpReply,
        parse: Callable[[str], Reply | SmsError],
        what: str,
        concerned: Sequence[str] = (),
    ) -> Reply:
        """
        The parsed reply. An unreadable one leaves ``concerned`` in doubt (the request
        reached Clockwork); a whole-request ``Error N`` means none of them was sent.
        """
        try:
            reply = parse(self._reply_text(response))
        except UnreadableReplyError as error:
            raise ClockworkTransportError(
                f"Clockwork's {what} (HTTP {response.status}) could not be read: {error}.",
                unknown=concerned,
            ) from None
        if isinstance(reply, SmsError):
            raise ClockworkRequestError(reply, unsent=concerned)
        return reply

    def _reply_text(self, response: _transport.HttpReply) -> str:
        """The reply body with the key blanked out, so no error built from it can carry the key."""
        return blank_secrets(response.body.decode("utf-8", "replace"), (self.settings.api_key,))

    def _checked_status(self, response: _transport.HttpReply, numbers: Sequence[str]) -> _transport.HttpReply:
        if response.status == 200:
            return response
        quote = excerpt(self._reply_text(response))
        if response.status >= 500:
            raise ClockworkTransportError(
                f"Clockwork answered HTTP {response.status} at {response.url}: {quote}.",
                unknown=numbers,
            )
        raise ClockworkTransportError(
            f"Clockwork rejected the request with HTTP {response.status} at {response.url}: {quote}.",
            unsent=numbers,
            permanent=response.status not in TRANSIENT_CLIENT_ERRORS,
        )

    # -- Personalised sends and the balance: Clockwork's XML interface --

    def prepare_messages(self, messages: object) -> list[PersonalisedSms]:
        """Each message of a personalised send checked, or ``ClockworkInputError`` naming the item.

        Messages without a sender get the connection's default sender.
        """
        try:
            prepared = prepare_personalised(messages, default_sender=self.settings.default_sender)
        except InvalidInputError as error:
            raise ClockworkInputError(str(error)) from None
        self._route(xml_api.SEND_PATH, xml_api.CONTENT_TYPE)
        return prepared

    def send_messages(self, messages: object, on_batch: BatchCallback | None = None) -> PersonalisedResult:
        """
        Send each message to its own number: a different text per number, 500 messages per XML request,
        up to ``max_concurrent_requests`` requests at once (as :meth:`send_message`).

        :param messages: mappings ``{"to", "content", "sender"?, "long"?, "client_id"?,
            "invalid_char_action"?, "delivery_receipt"?}`` (see
            :func:`~airflow_provider_clockwork.protocol.personalised.prepare_personalised`),
            or messages from :meth:`prepare_messages`; all are checked before any request.
        :param on_batch: called with each request's answer as it arrives (in this thread).
        :return: ``message_ids`` and ``errors`` keyed by client ID, and ``numbers``, each
            client ID's number.
        :raises ClockworkInputError: before any request, for a bad message.
        :raises ClockworkSendError: when a request fails as a whole; no further request
            starts (those in flight finish), ``result`` holds every ID obtained, and
            ``unknown``/``unsent`` name the messages concerned as ``client_id (number)``.
        """
        prepared = self.prepare_messages(messages)
        return self._send_batches(
            batches(prepared, MAX_MESSAGES_PER_XML_REQUEST),
            self.send_personalised_batch,
            PersonalisedResult(numbers={sms.client_id: sms.to for sms in prepared}),
            lambda sms: sms.label,
            on_batch,
            (xml_api.SEND_PATH, xml_api.CONTENT_TYPE),
        )

    def send_personalised_batch(self, messages: Sequence[PersonalisedSms]) -> PersonalisedResult:
        """One XML request for at most 500 checked messages; outcomes are matched back by WrapperID."""
        if len(messages) > MAX_MESSAGES_PER_XML_REQUEST:
            raise ValueError(
                f"{len(messages)} messages in one request; at most {MAX_MESSAGES_PER_XML_REQUEST}"
            )
        labels = [sms.label for sms in messages]
        response = self._post(
            xml_api.SEND_PATH,
            labels,
            xml_api.personalised_document(self.settings.api_key, messages),
            xml_api.CONTENT_TYPE,
        )
        reply = self._read_reply(
            response, lambda text: xml_api.parse_personalised_reply(text, messages), "reply", labels
        )
        answered = reply.answered()  # once, not once per message (500 of them)
        silent = [sms.label for sms in messages if sms.client_id not in answered]
        if silent:
            raise ClockworkTransportError(
                "Clockwork's reply gave no ID and no error for some messages.", result=reply, unknown=silent
            )
        return reply

    def get_balance(self) -> xml_api.Balance:
        """The account's money balance, e.g. ``Balance(Decimal("12.34"), "GBP", "£")``; sends nothing."""
        response = self._account_request(xml_api.BALANCE_PATH, "Balance")
        return self._read_reply(response, xml_api.parse_balance_reply, "balance reply")
