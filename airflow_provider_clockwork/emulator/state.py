"""Everything the emulator remembers, shared safely between its request threads.

The HTTP server answers each connection in its own thread while a test inspects
the same state from the main thread, so every read and write goes through one
lock and every read hands out copies.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from airflow_provider_clockwork.emulator.faults import MAX_FAULT_SECONDS, ON_SEND, Fault
from airflow_provider_clockwork.protocol.delivery import DeliveryState
from airflow_provider_clockwork.protocol.results import SmsError
from airflow_provider_clockwork.protocol.xml_api import Balance

MESSAGE_ID_PREFIX = "AB"
INBOUND_ID_PREFIX = "IN"
DEFAULT_PRICE_PER_CREDIT = Decimal("0.05")
CURRENCY_CODE = "GBP"
CURRENCY_SYMBOL = "£"


@dataclass(frozen=True)
class MessageRecord:
    """One message the emulator accepted, as a test wants to see it."""

    id: str
    to: str
    content: str
    sender: str | None
    long: bool
    msg_type: str
    interface: str
    parts: int
    request: int
    client_id: str | None = None
    """The ``<ClientID>`` of an XML message (a personalised send's name for it), else None."""


@dataclass(frozen=True)
class RequestRecord:
    """One request received; holds parameter names but never the API key's value."""

    index: int
    method: str
    path: str
    query: str
    param_names: list[str] = field(default_factory=list)
    content_type: str | None = None
    numbers: list[str] = field(default_factory=list)
    client_port: int | None = None
    fault: dict[str, Any] | None = None
    in_flight: int | None = None
    """Send requests being answered when this one was logged, itself included (None: not a send)."""


@dataclass(frozen=True)
class DeliveryPlan:
    """The receipts a message gets: an optional interim state first, then its final state."""

    status: str = DeliveryState.DELIVERED.status
    err_code: int = 0
    detail: str | None = None
    interim: str | None = None
    hold: bool = False
    """Keep the receipts back until :meth:`ClockworkEmulator.release_receipts` (a phone that was off)."""

    @property
    def final_detail(self) -> str:
        """The ``detail`` of the final receipt: the one given, else the state's own description."""
        return self.detail if self.detail is not None else DeliveryState.from_status(self.status).description


FINAL_STATUSES = tuple(state.status for state in DeliveryState if state.is_final)
INTERIM_STATUSES = tuple(
    state.status for state in DeliveryState if not state.is_final and state is not DeliveryState.UNKNOWN
)


def delivery_plan(
    status: str = DeliveryState.DELIVERED.status,
    err_code: int = 0,
    detail: str | None = None,
    interim: str | None = None,
    hold: bool = False,
) -> DeliveryPlan:
    """A checked plan: a final status Clockwork documents, an interim one (or None), a whole err_code."""
    final = str(status).strip().upper()
    if final not in FINAL_STATUSES:
        raise ValueError(f"delivery status {status!r} is not a final state ({', '.join(FINAL_STATUSES)})")
    first = None if interim is None else str(interim).strip().upper()
    if first is not None and first not in INTERIM_STATUSES:
        raise ValueError(f"interim status {interim!r} is not one of {', '.join(INTERIM_STATUSES)}")
    if isinstance(err_code, bool) or not isinstance(err_code, int):
        raise ValueError(f"err_code must be a whole number, not {err_code!r}")
    if not isinstance(hold, bool):
        raise ValueError(f"hold must be true or false, not {hold!r}")
    return DeliveryPlan(final, err_code, None if detail is None else str(detail), first, hold)


@dataclass
class _PlannedDelivery:
    plan: DeliveryPlan
    remaining: int | None  # None: every message to the number, for good


@dataclass(frozen=True)
class ReceiptRecord:
    """One try at calling a ``DlrUrl``, for one receipt (a DlrType 4 POST gives one record per receipt)."""

    callback: int | None
    """Which callback (HTTP request) carried it; receipts batched in one POST share it. None: not sent."""
    attempt: int
    """1 for the first try, 2 for its retry, ...; 0 when no request was made."""
    message_id: str
    to: str
    url: str
    dlr_type: int | None
    method: str | None
    status: str | None
    err_code: int | None
    detail: str | None
    extra: dict[str, str]
    http_status: int | None
    error: str | None


@dataclass
class InboundRecord:
    """One text a handset "sent" to the account, and each try at forwarding it to the inbound URL."""

    id: str
    sender: str
    to: str
    content: str
    url: str
    format: str
    attempts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Refusal:
    error: SmsError
    remaining: int | None  # None: every message to the number, for good


class EmulatorState:
    """Keys, credit, messages, requests, refusals, queued faults and latency."""

    def __init__(self, keys: Iterable[str], credit: int, latency: float) -> None:
        self._lock = threading.Lock()
        self._keys = tuple(dict.fromkeys(keys))
        self._starting_credit = int(credit)
        self._credit = int(credit)
        self._latency = _checked_latency(latency)
        self._messages: list[MessageRecord] = []
        self._requests: list[RequestRecord] = []
        self._refusals: dict[str, _Refusal] = {}
        self._faults: deque[list[Any]] = deque()  # [fault, sends it still applies to]
        self._sends_in_flight = 0
        self._deliveries: dict[str, _PlannedDelivery] = {}
        self._receipts: list[ReceiptRecord] = []
        self._inbound: list[InboundRecord] = []
        self._inbound_url: str | None = None
        self._inbound_format = "form"
        # Bumped by reset(), so that a callback still in flight then does not record into the new run.
        self._generation = 0
        # Not reset with the rest: IDs stay unique for the emulator's whole life.
        self._message_numbers = itertools.count(1)
        self._inbound_numbers = itertools.count(1)
        self._callback_numbers = itertools.count(1)

    @property
    def keys(self) -> tuple[str, ...]:
        """The accepted API keys, in the order given."""
        return self._keys

    def knows_key(self, key: str) -> bool:
        return bool(key) and key in self._keys

    @property
    def latency(self) -> float:
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        checked = _checked_latency(seconds)
        with self._lock:
            self._latency = checked

    @property
    def credit(self) -> int:
        with self._lock:
            return self._credit

    @credit.setter
    def credit(self, value: int) -> None:
        with self._lock:
            self._credit = int(value)

    def try_charge(self, credits: int) -> bool:
        """Take ``credits`` if the account holds that many; never lets credit go below zero."""
        with self._lock:
            if self._credit < credits:
                return False
            self._credit -= credits
            return True

    def refuse(self, number: str, error: SmsError, times: int | None = None) -> None:
        """Give ``number`` this error for its next ``times`` messages, or for good when ``times`` is None."""
        if times is not None and times < 1:
            raise ValueError(f"times must be 1 or more (or None for always), not {times!r}")
        with self._lock:
            self._refusals[number] = _Refusal(error, times)

    def refusal_for(self, number: str) -> SmsError | None:
        """The error this message to ``number`` gets, using up one of a limited refusal's times."""
        with self._lock:
            refusal = self._refusals.get(number)
            if refusal is None:
                return None
            if refusal.remaining is not None:
                refusal.remaining -= 1
                if refusal.remaining <= 0:
                    del self._refusals[number]
            return refusal.error

    def refusals(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                number: {"code": r.error.code, "description": r.error.description, "times": r.remaining}
                for number, r in self._refusals.items()
            }

    def queue_faults(self, faults: Iterable[Fault]) -> None:
        with self._lock:
            self._faults.extend([fault, fault.times] for fault in faults)

    def take_fault(self, on: str = ON_SEND) -> Fault | None:
        """The first queued fault for this kind of request, if any; a fault with ``times`` n serves n."""
        with self._lock:
            entry = next((entry for entry in self._faults if entry[0].on == on), None)
            if entry is None:
                return None
            entry[1] -= 1
            if entry[1] <= 0:
                self._faults.remove(entry)
            fault: Fault = entry[0]
            return fault

    def pending_faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**fault.to_dict(), "times": remaining} for fault, remaining in self._faults]

    def begin_send(self) -> int:
        """A send request arrived; returns how many are now being answered, this one included."""
        with self._lock:
            self._sends_in_flight += 1
            return self._sends_in_flight

    def end_send(self) -> None:
        with self._lock:
            self._sends_in_flight -= 1

    def log_request(self, **details: Any) -> int:
        """Append a request to the log and return its index (the ``request`` of its messages)."""
        with self._lock:
            index = len(self._requests)
            self._requests.append(RequestRecord(index=index, **details))
            return index

    def record_message(self, **details: Any) -> MessageRecord:
        """Give an accepted message a fresh Clockwork-style ID and keep it."""
        with self._lock:
            record = MessageRecord(id=f"{MESSAGE_ID_PREFIX}_{next(self._message_numbers):05d}", **details)
            self._messages.append(record)
            return record

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(record) for record in self._messages]

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(record) for record in self._requests]

    def reset(self) -> None:
        """Forget records, faults, refusals and delivery settings; restore the starting credit."""
        with self._lock:
            self._messages.clear()
            self._requests.clear()
            self._faults.clear()
            self._refusals.clear()
            self._deliveries.clear()
            self._receipts.clear()
            self._inbound.clear()
            self._generation += 1
            self._credit = self._starting_credit

    # -- delivery receipts --

    def plan_delivery(self, number: str, plan: DeliveryPlan, times: int | None = None) -> None:
        """Give ``number``'s next ``times`` messages (or all, when None) these receipts."""
        if times is not None and times < 1:
            raise ValueError(f"times must be 1 or more (or None for always), not {times!r}")
        with self._lock:
            self._deliveries[number] = _PlannedDelivery(plan, times)

    def delivery_for(self, number: str) -> DeliveryPlan:
        """The receipts this message to ``number`` gets, using up one of a limited plan's times."""
        with self._lock:
            planned = self._deliveries.get(number)
            if planned is None:
                return DeliveryPlan()
            if planned.remaining is not None:
                planned.remaining -= 1
                if planned.remaining <= 0:
                    del self._deliveries[number]
            return planned.plan

    def deliveries(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                number: {**asdict(planned.plan), "times": planned.remaining}
                for number, planned in self._deliveries.items()
            }

    @property
    def generation(self) -> int:
        with self._lock:
            return self._generation

    def next_callback_number(self) -> int:
        with self._lock:
            return next(self._callback_numbers)

    def record_receipts(self, generation: int, records: Iterable[ReceiptRecord]) -> None:
        """Keep these records, unless reset() came between the callback's queueing and its try."""
        with self._lock:
            if generation == self._generation:
                self._receipts.extend(records)

    def receipts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(record) for record in self._receipts]

    # -- inbound messages --

    @property
    def inbound_url(self) -> str | None:
        with self._lock:
            return self._inbound_url

    @inbound_url.setter
    def inbound_url(self, url: str | None) -> None:
        with self._lock:
            self._inbound_url = url

    @property
    def inbound_format(self) -> str:
        with self._lock:
            return self._inbound_format

    @inbound_format.setter
    def inbound_format(self, name: str) -> None:
        with self._lock:
            self._inbound_format = name

    def record_inbound(self, sender: str, to: str, content: str, url: str, format: str) -> dict[str, Any]:
        """Give an inbound text a fresh ID and keep it; returns its record."""
        with self._lock:
            number = next(self._inbound_numbers)
            record = InboundRecord(f"{INBOUND_ID_PREFIX}_{number:05d}", sender, to, content, url, format)
            self._inbound.append(record)
            return asdict(record)

    def record_inbound_attempt(self, message_id: str, attempt: dict[str, Any]) -> None:
        """Add one forwarding try to the text's record (gone after a reset(): then nothing is kept)."""
        with self._lock:
            for record in self._inbound:
                if record.id == message_id:
                    record.attempts.append(dict(attempt))

    def inbound_messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(record) for record in self._inbound]

    # The money balance is not kept on its own: it is the credit at a fixed price.
    _price_per_credit: Decimal = DEFAULT_PRICE_PER_CREDIT

    @property
    def price_per_credit(self) -> Decimal:
        with self._lock:
            return self._price_per_credit

    @price_per_credit.setter
    def price_per_credit(self, value: Decimal | str | int) -> None:
        price = _checked_price(value)
        with self._lock:
            self._price_per_credit = price

    def balance(self) -> Balance:
        """The account's money: credit × price per credit in pounds sterling, rounded down to pence."""
        with self._lock:
            amount = (self._credit * self._price_per_credit).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        return Balance(amount=amount, currency_code=CURRENCY_CODE, currency_symbol=CURRENCY_SYMBOL)


def _checked_price(value: Decimal | str | int) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, str, int)):
        raise ValueError(f"price per credit must be a Decimal, a string or an integer, not {value!r}")
    try:
        price = Decimal(value)
    except ArithmeticError:
        raise ValueError(f"price per credit {value!r} is not a number") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"price per credit must be 0 or more, not {value!r}")
    return price


def _checked_latency(seconds: float) -> float:
    latency = float(seconds)
    if not 0 <= latency <= MAX_FAULT_SECONDS:
        raise ValueError(f"latency must be between 0 and {MAX_FAULT_SECONDS:g} seconds, not {seconds!r}")
    return latency
