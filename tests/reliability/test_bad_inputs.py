"""Malformed input through the public surface fails before any request, naming the value.

Every row goes through ``ClockworkHook.send_sms`` and through the operator's
``execute`` (the rows that only make sense after templating, through
``render_template_fields`` first). Each must raise an ``AirflowException`` whose
message shows the offending value (never the key), with the emulator having received
no request at all: a task must never text half its recipients and then discover
that the message was never valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.exceptions import AirflowFailException
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.operators.sms import PARTIAL_XCOM_KEY, ClockworkSendSmsOperator
from tests.reliability.harness import FakeTaskInstance, exception_texts, memory_ledger

KEY = "cw-bad-inputs-K3y-51c0"
GOOD_TO = "447700900123"
GOOD_CONTENT = "Nightly load done"
MISSING = object()
"""A connection field left out altogether."""


@dataclass(frozen=True)
class Bad:
    """One malformed input and the text its error must show."""

    id: str
    shows: str
    to: Any = GOOD_TO
    content: Any = GOOD_CONTENT
    sender: Any = None
    long: bool = False
    connection: dict[str, Any] = field(default_factory=dict)


BAD_INPUTS = [
    # Recipients.
    Bad("to-letters", "'44770090012a'", to="44770090012a"),
    Bad("to-letter-o", "'4477OO900123'", to="4477OO900123"),
    Bad("to-local-0", "'07700 900123'", to="07700 900123"),
    Bad("to-local-0-in-list", "'07700900456'", to=[GOOD_TO, "07700900456"]),
    Bad("to-too-short", "'123456'", to="123456"),
    Bad("to-too-long", "'1234567890123456'", to="1234567890123456"),
    Bad("to-trunk-0", "'+44 (0)7700 900123'", to="+44 (0)7700 900123"),
    Bad("to-empty-item", "empty entry ('')", to=[GOOD_TO, ""]),
    Bad("to-double-comma", "empty entry ('')", to="447700900123,,447700900456"),
    Bad("to-trailing-comma", "empty entry ('')", to="447700900123,"),
    Bad("to-blank", "empty entry ('   ')", to="   "),
    Bad("to-semicolons", "'447700900123; 447700900456'", to="447700900123; 447700900456"),
    Bad("to-none", "No recipient: 'to' is not given and connection", to=None),
    Bad("to-bool", "Recipients True", to=True),
    Bad("to-bool-in-list", "Recipient True", to=[GOOD_TO, True]),
    Bad("to-float", "447700900123.0", to=447700900123.0),
    Bad("to-dict", "{'to': '447700900123'}", to={"to": GOOD_TO}),
    Bad("to-nested-list", "['447700900123']", to=[[GOOD_TO]]),
    Bad("to-empty-list", "[]", to=[]),
    Bad("to-negative", "-447700900123", to=-447700900123),
    # Content.
    Bad("content-none", "Content is None", content=None),
    Bad("content-empty", "Content ''", content=""),
    Bad("content-whitespace", "Content ' \\n\\t '", content=" \n\t "),
    Bad("content-161-gsm", "161 GSM-7 characters", content="x" * 161),
    Bad("content-460-gsm-long", "460 GSM-7 characters", content="x" * 460, long=True),
    Bad("content-71-unicode", "71 Unicode characters", content="ж" * 71),
    Bad("content-202-unicode-long", "202 Unicode characters", content="ж" * 202, long=True),
    Bad("content-nul", "'\\x00'", content="load\x00done"),
    Bad("content-bell", "'\\x07'", content="load\x07done"),
    Bad("content-escape", "'\\x1b'", content="load\x1bdone"),
    Bad("content-delete", "'\\x7f'", content="load\x7fdone"),
    Bad("content-lone-surrogate", "'\\ud800'", content="load\ud800done"),
    Bad("content-list", "Content ['hi']", content=["hi"]),
    Bad("content-bool", "Content True", content=True),
    # Sender.
    Bad("sender-12-chars", "'ABCDEFGHIJKL'", sender="ABCDEFGHIJKL"),
    Bad("sender-13-digits", "'1234567890123'", sender="1234567890123"),
    Bad("sender-empty", "Sender ''", sender=""),
    Bad("sender-crlf", "'Ops\\r\\n'", sender="Ops\r\n"),
    Bad("sender-newline", "'Ops\\nTeam'", sender="Ops\nTeam"),
    Bad("sender-control", "'Ops\\x07'", sender="Ops\x07"),
    Bad("sender-emoji", "'Ops🚀'", sender="Ops🚀"),
    Bad("sender-float", "Sender 12.5", sender=12.5),
    # The connection.
    Bad("conn-no-key", "password field must hold the Clockwork API key", connection={"password": MISSING}),
    Bad("conn-blank-key", "password field must hold the Clockwork API key", connection={"password": "  "}),
    Bad("conn-host-not-url", "'not a url'", connection={"host": "not a url"}),
    Bad("conn-host-ftp", "'ftp://127.0.0.1'", connection={"host": "ftp://127.0.0.1"}),
    Bad("conn-host-port-too-big", "'http://127.0.0.1:99999'", connection={"host": "http://127.0.0.1:99999"}),
    Bad("conn-host-port-letters", "'http://127.0.0.1:http'", connection={"host": "http://127.0.0.1:http"}),
    Bad("conn-timeout-letters", "timeout 'soon'", connection={"extra": {"timeout": "soon"}}),
    Bad("conn-timeout-negative", "timeout -1", connection={"extra": {"timeout": -1}}),
    Bad("conn-timeout-zero", "timeout 0", connection={"extra": {"timeout": 0}}),
    Bad("conn-timeout-nan", "timeout 'nan'", connection={"extra": {"timeout": "nan"}}),
    Bad("conn-timeout-inf", "timeout 'inf'", connection={"extra": {"timeout": "inf"}}),
    Bad("conn-timeout-bool", "timeout True", connection={"extra": {"timeout": True}}),
    Bad("conn-sender-too-long", "'FarTooLongSender'", connection={"extra": {"sender": "FarTooLongSender"}}),
    Bad("conn-sender-newline", "'Ops\\n'", connection={"extra": {"sender": "Ops\n"}}),
]


@pytest.fixture
def emulator() -> Iterator[ClockworkEmulator]:
    with ClockworkEmulator(keys=(KEY,)) as emulator:
        yield emulator


def use_connection(monkeypatch: pytest.MonkeyPatch, emulator, **changes: Any) -> None:
    connection = {"conn_type": "clockwork", "password": KEY, "host": emulator.url, **changes}
    connection = {name: value for name, value in connection.items() if value is not MISSING}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))


def run_operator(operator: ClockworkSendSmsOperator) -> tuple[BaseException | None, dict[str, Any]]:
    ti = FakeTaskInstance("reliability", operator.task_id, "manual__bad_inputs")
    ti.start_try()
    with memory_ledger() as store:
        try:
            operator.execute({"ti": ti, "task_instance": ti, "run_id": ti.run_id})
        except Exception as error:
            assert store.snapshot() == {}
            return error, ti.xcoms
    return None, ti.xcoms


def check_refused_before_sending(error: BaseException | None, bad_shows: str, emulator) -> None:
    assert error is not None, "the bad input was accepted"
    assert isinstance(error, AirflowException), repr(error)
    # A retry cannot fix bad input: Airflow fails the task at once instead of using its retries.
    assert isinstance(error, AirflowFailException), repr(error)
    assert bad_shows in str(error)
    assert not any(KEY in text for text in exception_texts(error))
    assert emulator.requests() == []


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.id)
def test_hook_refuses_before_any_request(bad: Bad, emulator, monkeypatch) -> None:
    use_connection(monkeypatch, emulator, **bad.connection)

    with pytest.raises(Exception) as raised:
        ClockworkHook().send_sms(bad.to, bad.content, sender=bad.sender, long=bad.long)

    check_refused_before_sending(raised.value, bad.shows, emulator)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.id)
def test_operator_refuses_before_any_request(bad: Bad, emulator, monkeypatch) -> None:
    use_connection(monkeypatch, emulator, **bad.connection)
    operator = ClockworkSendSmsOperator(
        task_id="send", to=bad.to, content=bad.content, sender=bad.sender, long=bad.long
    )

    error, xcoms = run_operator(operator)

    check_refused_before_sending(error, bad.shows, emulator)
    assert PARTIAL_XCOM_KEY not in xcoms


@pytest.mark.parametrize(
    ("field_name", "value", "shows"),
    [
        ("to", None, "Recipient 'None'"),
        ("to", "NOTSET", "Recipient 'NOTSET' is what a template renders for a missing value"),
        ("to", "", "empty entry ('')"),
        ("to", "   ", "empty entry ('   ')"),
        ("content", None, "Content 'None'"),
        ("content", "NOTSET", "Content 'NOTSET' is what a template renders for a missing value"),
        ("content", "", "Content ''"),
        ("content", "  ", "Content '  '"),
        ("sender", None, "Sender 'None'"),
        ("sender", "NOTSET", "Sender 'NOTSET' is what a template renders for a missing value"),
        ("sender", "", "Sender ''"),
    ],
)
def test_templates_rendering_to_nothing_fail_before_any_request(
    field_name, value, shows, emulator, monkeypatch
) -> None:
    """``{{ params.value }}`` renders Python's None as 'None', and ``{{ var.value.get('missing') }}``
    renders Airflow 3.3's NOTSET as 'NOTSET': never a number, text or sender."""
    use_connection(monkeypatch, emulator)
    fields = {"to": GOOD_TO, "content": GOOD_CONTENT, "sender": None, field_name: "{{ params.value }}"}
    operator = ClockworkSendSmsOperator(task_id="send", **fields)

    operator.render_template_fields({"params": {"value": value}})
    error, _ = run_operator(operator)

    check_refused_before_sending(error, shows, emulator)


def test_a_template_left_as_none_fails_before_any_request(emulator, monkeypatch) -> None:
    use_connection(monkeypatch, emulator)
    operator = ClockworkSendSmsOperator(task_id="send", to=GOOD_TO, content=None)  # type: ignore[arg-type]

    operator.render_template_fields({"params": {}})
    error, _ = run_operator(operator)

    check_refused_before_sending(error, "Content is None", emulator)


@pytest.mark.parametrize(
    ("content", "interface", "msg_type"),
    [
        pytest.param("Load done\r\nrows: 12\nnext run 02:00", "http", "TEXT", id="gsm-over-http"),
        pytest.param("Załadowano\r\nwiersze: 12 ✓\nnastępny 02:00", "xml", "UCS2", id="unicode-over-xml"),
    ],
)
@pytest.mark.parametrize("surface", ["hook", "operator"])
def test_line_breaks_are_sent_and_arrive_intact(
    surface, content, interface, msg_type, emulator, monkeypatch
) -> None:
    use_connection(monkeypatch, emulator)

    if surface == "hook":
        ids = ClockworkHook().send_sms(GOOD_TO, content).message_ids
    else:
        operator = ClockworkSendSmsOperator(task_id="send", to=GOOD_TO, content=content)
        ti = FakeTaskInstance("reliability", "send", "manual__line_breaks")
        with memory_ledger():
            ids = operator.execute({"ti": ti, "run_id": ti.run_id})

    (message,) = emulator.messages()
    assert (message["content"], message["interface"], message["msg_type"]) == (content, interface, msg_type)
    assert ids == {GOOD_TO: message["id"]}
