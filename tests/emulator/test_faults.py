"""Injected faults: what the client sees, and whether the emulator recorded the messages.

"Recorded" is the outcome a client cannot see: it is what tells a test whether a
text really went out when the reply was lost.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from airflow_provider_clockwork.emulator import ClockworkEmulator
from airflow_provider_clockwork.emulator.faults import FaultError, fault_from_dict, fault_from_text

from .helpers import CREDIT, KEY, SEND, TIMEOUT, send_xml, xml_document

INTERFACES = ["http", "xml"]
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def send(emulator: ClockworkEmulator, interface: str, timeout: float = TIMEOUT) -> requests.Response:
    """One message to 447700900123 through the given interface."""
    if interface == "http":
        data = {"Key": KEY, "To": "447700900123", "Content": "Hi"}
        return requests.post(emulator.url + SEND, data=data, timeout=timeout)
    return send_xml(emulator, xml_document("<To>447700900123</To><Content>Hi</Content>"), timeout=timeout)


def normal_reply(emulator: ClockworkEmulator, interface: str) -> bytes:
    """What the last accepted message's reply is without a fault."""
    message_id = emulator.messages()[-1]["id"]
    if interface == "http":
        return f"To: 447700900123 ID: {message_id}".encode()
    return (
        f"{XML_HEAD}<Message_Resp><SMS_Resp><To>447700900123</To>"
        f"<MessageID>{message_id}</MessageID></SMS_Resp></Message_Resp>"
    ).encode()


def applied_faults(emulator: ClockworkEmulator) -> list[Any]:
    return [request["fault"] and request["fault"]["kind"] for request in emulator.requests()]


@pytest.mark.parametrize("interface", INTERFACES)
def test_status_answers_an_error_page_and_sends_nothing(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "status", "status": 502, "body": "<html>Bad Gateway</html>"})

    reply = send(clockwork_emulator, interface)

    assert (reply.status_code, reply.text) == (502, "<html>Bad Gateway</html>")
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert clockwork_emulator.messages() == []
    assert applied_faults(clockwork_emulator) == ["status"]


@pytest.mark.parametrize("interface", INTERFACES)
def test_status_after_sends_then_answers_an_error_page(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "status_after", "status": 500})

    reply = send(clockwork_emulator, interface)

    assert reply.status_code == 500
    assert "Internal Server Error" in reply.text
    assert [message["to"] for message in clockwork_emulator.messages()] == ["447700900123"]


@pytest.mark.parametrize("interface", INTERFACES)
def test_reset_before_drops_the_connection_and_sends_nothing(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "reset_before"})

    with pytest.raises(requests.ConnectionError, match="Connection aborted"):
        send(clockwork_emulator, interface)

    assert clockwork_emulator.messages() == []
    assert applied_faults(clockwork_emulator) == ["reset_before"]


@pytest.mark.parametrize("interface", INTERFACES)
def test_reset_after_sends_then_drops_the_connection(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "reset_after"})

    with pytest.raises(requests.ConnectionError, match="Connection aborted"):
        send(clockwork_emulator, interface)

    assert len(clockwork_emulator.messages()) == 1


@pytest.mark.parametrize("interface", INTERFACES)
def test_garbage_answers_200_with_an_unreadable_body(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "garbage", "body": "Service Unavailable"})

    reply = send(clockwork_emulator, interface)

    assert (reply.status_code, reply.text) == (200, "Service Unavailable")
    assert clockwork_emulator.messages() == []


@pytest.mark.parametrize("interface", INTERFACES)
def test_truncate_sends_then_cuts_the_reply_short(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "truncate"})

    with pytest.raises(
        (requests.exceptions.ChunkedEncodingError, requests.ConnectionError),
        match=r"Connection broken|Connection aborted",
    ):
        send(clockwork_emulator, interface)

    assert len(clockwork_emulator.messages()) == 1


@pytest.mark.parametrize("interface", INTERFACES)
def test_drip_delivers_the_whole_reply_slowly(clockwork_emulator: ClockworkEmulator, interface: str) -> None:
    clockwork_emulator.inject({"kind": "drip", "seconds": 1.5})
    started = time.monotonic()

    # Each gap is short, so a read timeout shorter than the whole drip still gets everything.
    reply = send(clockwork_emulator, interface, timeout=1.0)

    assert time.monotonic() - started >= 1.4
    assert reply.content == normal_reply(clockwork_emulator, interface)


@pytest.mark.parametrize("interface", INTERFACES)
def test_delay_outlasting_the_client_timeout_leaves_the_message_sent(
    clockwork_emulator: ClockworkEmulator, interface: str
) -> None:
    clockwork_emulator.inject({"kind": "delay", "seconds": 5.0})  # stop() does not wait for it

    with pytest.raises(requests.ReadTimeout, match="Read timed out"):
        send(clockwork_emulator, interface, timeout=0.2)

    assert len(clockwork_emulator.messages()) == 1


def test_delay_within_the_client_timeout_gives_the_normal_reply(
    clockwork_emulator: ClockworkEmulator,
) -> None:
    clockwork_emulator.inject({"kind": "delay", "seconds": 0.3})

    reply = send(clockwork_emulator, "http")

    assert reply.elapsed.total_seconds() >= 0.25
    assert reply.content == normal_reply(clockwork_emulator, "http")


def test_a_delay_comes_on_top_of_the_latency(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.latency = 0.3
    clockwork_emulator.inject({"kind": "delay", "seconds": 0.3})

    reply = send(clockwork_emulator, "http")

    assert reply.elapsed.total_seconds() >= 0.55
    assert reply.content == normal_reply(clockwork_emulator, "http")


@pytest.mark.parametrize(
    ("interface", "expected"),
    [
        ("http", "Error 26: Internal Error"),
        ("xml", f"{XML_HEAD}<Message_Resp><ErrNo>26</ErrNo><ErrDesc>Internal Error</ErrDesc></Message_Resp>"),
    ],
)
def test_request_error_answers_in_the_interfaces_own_format(
    clockwork_emulator: ClockworkEmulator, interface: str, expected: str
) -> None:
    clockwork_emulator.inject({"kind": "request_error", "code": 26, "description": "Internal Error"})

    reply = send(clockwork_emulator, interface)

    assert (reply.status_code, reply.text) == (200, expected)
    assert clockwork_emulator.messages() == []


def test_times_applies_a_fault_to_that_many_sends(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.inject({"kind": "status", "status": 503, "times": 2})

    statuses = [send(clockwork_emulator, "http").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_faults_apply_first_in_first_out_then_normal_service_resumes(
    clockwork_emulator: ClockworkEmulator,
) -> None:
    clockwork_emulator.inject({"kind": "status", "status": 502}, {"kind": "garbage", "body": "?"})

    replies = [send(clockwork_emulator, "http") for _ in range(3)]

    assert [(reply.status_code, reply.text[:1]) for reply in replies] == [(502, "<"), (200, "?"), (200, "T")]
    assert applied_faults(clockwork_emulator) == ["status", "garbage", None]


def test_faults_wait_for_a_send_and_leave_credit_checks_alone(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.inject({"kind": "status", "status": 502})

    credit = requests.get(clockwork_emulator.url + CREDIT, params={"Key": KEY}, timeout=TIMEOUT)

    assert credit.text == "Credit: 10000"
    assert send(clockwork_emulator, "http").status_code == 502


def test_account_faults_spoil_credit_checks_and_leave_sends_alone(
    clockwork_emulator: ClockworkEmulator,
) -> None:
    clockwork_emulator.inject({"kind": "status", "status": 503, "on": "account"})
    document = f"<Credit><Key>{KEY}</Key></Credit>"

    sent = send(clockwork_emulator, "http")
    spoiled, normal = (
        requests.post(clockwork_emulator.url + "/xml/credit.aspx", data=document, timeout=TIMEOUT)
        for _ in range(2)
    )

    assert sent.status_code == 200
    assert (spoiled.status_code, normal.status_code) == (503, 200)
    assert "<Credit>9999</Credit>" in normal.text  # the send took one


def test_faults_can_be_queued_over_http(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.post(
        f"{clockwork_emulator.url}/_emulator/faults",
        json=[{"kind": "reset_before"}, {"kind": "status", "status": 504, "times": 2}],
        timeout=TIMEOUT,
    )

    assert reply.json()["queued"] == 2
    assert [fault["kind"] for fault in clockwork_emulator.pending_faults()] == ["reset_before", "status"]
    with pytest.raises(requests.ConnectionError, match="Connection aborted"):
        send(clockwork_emulator, "http")
    assert send(clockwork_emulator, "http").status_code == 504


def test_a_mistyped_fault_is_refused_not_ignored(clockwork_emulator: ClockworkEmulator) -> None:
    reply = requests.post(
        f"{clockwork_emulator.url}/_emulator/faults", json=[{"kind": "delay", "secs": 1}], timeout=TIMEOUT
    )

    assert reply.status_code == 400
    assert "secs" in reply.json()["error"]
    assert clockwork_emulator.pending_faults() == []


def test_reset_clears_pending_faults(clockwork_emulator: ClockworkEmulator) -> None:
    clockwork_emulator.inject({"kind": "reset_before", "times": 3})
    clockwork_emulator.reset()

    assert send(clockwork_emulator, "http").status_code == 200


def test_stop_does_not_wait_for_a_delayed_reply() -> None:
    emulator = ClockworkEmulator().start()
    emulator.inject({"kind": "delay", "seconds": 30})
    outcome: list[BaseException] = []

    def client() -> None:
        try:
            send(emulator, "http", timeout=10)
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 5
    while not emulator.requests() and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    emulator.stop()
    thread.join(5)

    assert time.monotonic() - started < 10  # not the 30 s delay
    assert [type(error) for error in outcome] == [requests.ConnectionError]


# -- writing faults down --


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reset_before", {"kind": "reset_before", "times": 1}),
        ("delay:seconds=2.5", {"kind": "delay", "seconds": 2.5, "times": 1}),
        (
            "status:status=503,body=Down,times=2",
            {"kind": "status", "status": 503, "body": "Down", "times": 2},
        ),
        ('{"kind": "garbage", "body": "a, b"}', {"kind": "garbage", "body": "a, b", "times": 1}),
        (
            "request_error:code=26,description=Internal Error",
            {"kind": "request_error", "code": 26, "description": "Internal Error", "times": 1},
        ),
        ("drip", {"kind": "drip", "seconds": 1.0, "times": 1}),
    ],
)
def test_faults_from_the_command_line(text: str, expected: dict[str, Any]) -> None:
    assert fault_from_text(text).to_dict() == expected


@pytest.mark.parametrize(
    ("spec", "status", "title"),
    [
        ({"kind": "status"}, 502, "502 Bad Gateway"),
        ({"kind": "status", "status": 503}, 503, "503 Service Unavailable"),
        ({"kind": "status_after"}, 500, "500 Internal Server Error"),
        ({"kind": "status", "status": 599}, 599, "599 Error"),
    ],
)
def test_a_status_fault_without_a_body_answers_the_page_of_its_status(spec, status, title) -> None:
    fault = fault_from_dict(spec)

    assert fault.status == status
    assert f"<title>{title}</title>" in fault.body


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "delay"}, "'seconds' is required"),
        ({"kind": "delay", "seconds": 3600}, "between 0 and 60"),
        ({"kind": "delay", "seconds": "soon"}, "soon"),
        ({"kind": "status", "status": 42}, "between 100 and 599"),
        ({"kind": "truncate", "times": 0}, "times must be 1 or more"),
        ({"kind": "request_error", "description": "x"}, "'code' is required"),
        ({"kind": "garbage", "status": 500}, "takes no status"),
        (["status"], "must be an object"),
        ({"kind": "status", "on": "balance"}, "'on' must be one of send, account, not 'balance'"),
    ],
)
def test_faults_that_cannot_be_followed_are_refused(spec: Any, complaint: str) -> None:
    with pytest.raises(FaultError, match=complaint):
        fault_from_dict(spec)


def test_short_form_settings_need_names() -> None:
    with pytest.raises(FaultError, match="name=value"):
        fault_from_text("delay:2")
