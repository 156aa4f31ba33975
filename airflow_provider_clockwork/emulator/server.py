"""A local Clockwork: :class:`ClockworkEmulator`, and the paths of the APIs it plays.

Every reply is formatted by :mod:`airflow_provider_clockwork.protocol`, the same
module the hook parses replies with, and every number rule comes from there too;
whether text is GSM-7, and its length, :mod:`.text` judges independently of the
provider. The emulator only decides which outcome each request gets. Where
Clockwork's behaviour is unconfirmed the choice made is listed in ``docs/emulator.md``.

One module per API it plays: :mod:`.http_send` and :mod:`.xml_send` read sends off the
wire, :mod:`.send_rules` judges them, :mod:`.account` answers credit and balance checks,
:mod:`.callbacks` calls back with receipts and inbound texts, :mod:`.inspection` is the
emulator's own ``/_emulator/`` API, and :mod:`.http_server` is the HTTP transport under them.

Only the standard library, the protocol package and the ``gsm0338`` codec are imported:
the pytest plugin loads this module in every test run, before Airflow is configured.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from decimal import Decimal
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_clockwork.emulator import account, inspection
from airflow_provider_clockwork.emulator.callbacks import (
    CALLBACK_TIMEOUT_SECONDS,
    DEFAULT_INBOUND_NUMBER,
    Callbacks,
    CallbackWorker,
    check_callback_url,
    check_inbound_format,
)
from airflow_provider_clockwork.emulator.faults import Fault, as_fault
from airflow_provider_clockwork.emulator.http_send import HttpSend
from airflow_provider_clockwork.emulator.http_server import EmulatorHTTPServer, Handler
from airflow_provider_clockwork.emulator.inspection import WAIT_FOR_CALLBACKS_SECONDS
from airflow_provider_clockwork.emulator.send_rules import INVALID_TO, SendDesk
from airflow_provider_clockwork.emulator.state import DEFAULT_PRICE_PER_CREDIT, EmulatorState, delivery_plan
from airflow_provider_clockwork.emulator.xml_send import XmlSend
from airflow_provider_clockwork.protocol import http_api, xml_api
from airflow_provider_clockwork.protocol.delivery import DeliveryState
from airflow_provider_clockwork.protocol.results import SmsError

logger = logging.getLogger("airflow_provider_clockwork.emulator")

POLL_SECONDS = 0.02
STOP_TIMEOUT_SECONDS = 3.0


class _Handler(Handler):
    """Routes each path to the API that answers it."""

    def route(self, method: str) -> None:
        target = urlsplit(self.path)
        path = target.path.lower()  # IIS, which serves Clockwork, ignores the case of paths
        if path.startswith(inspection.PREFIX):
            inspection.serve(self, method, path[len(inspection.PREFIX) :].strip("/"))
        elif path == http_api.SEND_PATH:
            self.serve_send(method, target, HttpSend, ("GET", "POST"))
        elif path == xml_api.SEND_PATH:
            self.serve_send(method, target, XmlSend, ("POST",))
        elif path == account.CREDIT_PATH:
            account.serve_credit(self, method, target)
        elif path in account.XML_ACCOUNT_ENDPOINTS:
            account.serve_xml_account(self, method, target, path)
        else:
            self.serve_unknown(method, target)


class ClockworkEmulator:
    """A Clockwork SMS API on a local port, for tests, demos and local DAG runs.

    ``with ClockworkEmulator() as emulator:`` serves on a free port of 127.0.0.1 until
    the block ends; point a connection's host at ``emulator.url`` and read what was
    "sent" with ``emulator.messages()``. ``callback_timeout`` bounds each try at a receipt or
    inbound call (3 tries each); a receiver behind a busy Airflow may need longer than the 5 s default.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        keys: Iterable[str] = ("test-key",),
        credit: int = 10_000,
        latency: float = 0.0,
        echo: bool = False,
        price_per_credit: Decimal | str | int = DEFAULT_PRICE_PER_CREDIT,
        inbound_url: str | None = None,
        inbound_format: str = "form",
        callback_timeout: float = CALLBACK_TIMEOUT_SECONDS,
    ) -> None:
        self._address = (host, port)
        self._state = EmulatorState((keys,) if isinstance(keys, str) else keys, credit, latency)
        self._state.price_per_credit = price_per_credit
        self.inbound_url = inbound_url
        self.inbound_format = inbound_format
        self._echo = echo
        self._callback_timeout = callback_timeout
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._worker: CallbackWorker | None = None
        self._callbacks: Callbacks | None = None
        self._bound: tuple[str, int] | None = None

    # -- lifecycle --

    def start(self) -> ClockworkEmulator:
        """Serve in a daemon thread; with port 0 the system picks a free port (see :attr:`url`)."""
        if self._server is not None:
            return self
        worker = CallbackWorker(self._announce, self._callback_timeout)
        callbacks = Callbacks(self._state, worker)
        desk = SendDesk(self._state, self._announce, callbacks.owe_receipts)
        server = EmulatorHTTPServer(self._address, _Handler, self._state, desk, callbacks)
        worker.start()
        self._worker, self._callbacks = worker, callbacks
        self._bound = (str(server.server_address[0]), int(server.server_address[1]))
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=f"clockwork-emulator-{self._bound[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections, even ones held by a delayed reply.

        Callbacks stop first: one in flight is cut short (one still connecting ends within its
        timeout), queued ones are dropped.
        """
        server, thread, worker = self._server, self._thread, self._worker
        if server is None or thread is None or worker is None:
            return
        self._server = self._thread = self._worker = self._callbacks = None
        # The worker first: it releases a POST /_emulator/wait, whose connection then closes.
        worker.stop(STOP_TIMEOUT_SECONDS)
        server.stopping.set()
        server.shutdown()
        server.drop_connections(STOP_TIMEOUT_SECONDS)
        server.server_close()
        thread.join(STOP_TIMEOUT_SECONDS)

    def __enter__(self) -> ClockworkEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def host(self) -> str:
        return self._require_bound()[0]

    @property
    def port(self) -> int:
        return self._require_bound()[1]

    @property
    def url(self) -> str:
        """The base URL to use as the connection's host, e.g. ``http://127.0.0.1:50123``."""
        host, port = self._require_bound()
        return f"http://{host}:{port}"

    def _require_bound(self) -> tuple[str, int]:
        if self._bound is None:
            raise RuntimeError("the Clockwork emulator has not been started; call start() first")
        return self._bound

    # -- what happened --

    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages: id, to, content, sender, long, msg_type, interface, parts, request,
        client_id."""
        return self._state.messages()

    def requests(self) -> list[dict[str, Any]]:
        """Requests received (not the /_emulator/ ones), without the API key's value."""
        return self._state.requests()

    @property
    def credit(self) -> int:
        return self._state.credit

    @credit.setter
    def credit(self, value: int) -> None:
        self._state.credit = value

    @property
    def keys(self) -> tuple[str, ...]:
        return self._state.keys

    # -- what will happen --

    @property
    def latency(self) -> float:
        """Seconds from a send or credit request's arrival to its reply (the emulator's own work included)."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = seconds

    def refuse(
        self,
        number: str,
        code: int = INVALID_TO.code,
        description: str = INVALID_TO.description,
        times: int | None = None,
    ) -> None:
        """From now on, ``number`` (as written in ``To``) gets this per-number error instead of an ID.

        With ``times`` the refusal covers only that many messages to the number, after
        which it is accepted again: a passing refusal, for testing retries.
        """
        self._state.refuse(str(number), SmsError(int(code), description), times)

    def inject(self, *faults: Fault | dict[str, Any]) -> None:
        """Queue faults for the next send requests, first in first out (see ``faults.py``)."""
        self._state.queue_faults([as_fault(fault) for fault in faults])

    def pending_faults(self) -> list[dict[str, Any]]:
        return self._state.pending_faults()

    def reset(self) -> None:
        """Forget messages, requests, faults, refusals, receipts and inbound texts; restore starting credit.

        Delivery settings go too; the inbound URL stays. IDs stay unique for the emulator's life,
        and a callback already queued is still made but no longer recorded.
        """
        self._state.reset()

    def connection_json(self, key: str | None = None) -> str:
        """The JSON form of an Airflow connection to this emulator, for ``AIRFLOW_CONN_...``."""
        password = key if key is not None else self._default_key()
        return json.dumps({"conn_type": "clockwork", "password": password, "host": self.url})

    def _default_key(self) -> str:
        if not self._state.keys:
            raise RuntimeError("the emulator was started without keys; pass connection_json(key=...)")
        return self._state.keys[0]

    def _announce(self, line: str) -> None:
        logger.info(line)
        if self._echo:
            print(line, flush=True)

    # -- the money balance (/xml/balance.aspx) --

    @property
    def price_per_credit(self) -> Decimal:
        """What one credit is worth in the balance reply (default £0.05); settable."""
        return self._state.price_per_credit

    @price_per_credit.setter
    def price_per_credit(self, value: Decimal | str | int) -> None:
        self._state.price_per_credit = value

    @property
    def balance(self) -> xml_api.Balance:
        """The balance ``/xml/balance.aspx`` reports: credit × price per credit, in GBP."""
        return self._state.balance()

    # -- delivery receipts (an XML <SMS> with DlrUrl) --

    def set_delivery(
        self,
        number: str,
        status: str = DeliveryState.DELIVERED.status,
        err_code: int = 0,
        detail: str | None = None,
        interim: str | None = None,
        times: int | None = None,
        hold: bool = False,
    ) -> None:
        """From now on, messages to ``number`` (as written in ``<To>``) end in ``status`` with this err_code.

        ``detail`` defaults to the state's description; ``interim`` (``ENROUTE`` or ``ACCEPTD``)
        sends that receipt first. With ``times`` the setting covers only that many messages
        to the number, after which they are delivered again. With ``hold`` the receipts wait
        until :meth:`release_receipts`. Without a setting a message gets one receipt:
        ``DELIVRD`` with err_code 0.
        """
        plan = delivery_plan(status, err_code, detail, interim, hold)
        self._state.plan_delivery(str(number), plan, times)

    def release_receipts(self) -> int:
        """Send the receipts held back by ``set_delivery(..., hold=True)``; returns for how many messages."""
        if self._callbacks is None:
            raise RuntimeError("the Clockwork emulator has not been started; call start() first")
        return self._callbacks.release_receipts()

    def deliveries(self) -> dict[str, dict[str, Any]]:
        """The delivery settings by number: status, err_code, detail, interim and times left."""
        return self._state.deliveries()

    def receipts(self) -> list[dict[str, Any]]:
        """Every try at calling a DlrUrl, oldest first, one record per receipt (see ``docs/emulator.md``)."""
        return self._state.receipts()

    def wait_for_callbacks(self, timeout: float = WAIT_FOR_CALLBACKS_SECONDS) -> bool:
        """Wait until every receipt and inbound text queued so far has been sent (every try made).

        True when none is left, False when ``timeout`` ran out first.
        """
        return self._worker.wait_idle(timeout) if self._worker is not None else True

    # -- inbound messages (a handset texting the account) --

    @property
    def inbound_url(self) -> str | None:
        """Where texts to the account are forwarded (``receive_sms``); settable, None for nowhere."""
        return self._state.inbound_url

    @inbound_url.setter
    def inbound_url(self, url: str | None) -> None:
        self._state.inbound_url = None if url is None else check_callback_url(url)

    @property
    def inbound_format(self) -> str:
        """``"form"`` (a form POST, the default) or ``"xml"``: how inbound texts are forwarded; settable."""
        return self._state.inbound_format

    @inbound_format.setter
    def inbound_format(self, name: str) -> None:
        self._state.inbound_format = check_inbound_format(name)

    def receive_sms(
        self, from_number: str | int, content: str, to_number: str | int = DEFAULT_INBOUND_NUMBER
    ) -> dict[str, Any]:
        """A handset at ``from_number`` texts ``content`` to the account's ``to_number``.

        The text gets an ID (``IN_00001``), is recorded, and is POSTed to :attr:`inbound_url`
        by the background worker; the record is returned at once (see :meth:`wait_for_callbacks`).
        Numbers are normalised as for sending; a bad number or empty content raises ``ValueError``.
        """
        if self._callbacks is None:
            raise RuntimeError("the Clockwork emulator has not been started; call start() first")
        return self._callbacks.receive_sms(from_number, content, to_number)

    def inbound_messages(self) -> list[dict[str, Any]]:
        """Texts "received" by the account, oldest first, each with its forwarding tries."""
        return self._state.inbound_messages()
