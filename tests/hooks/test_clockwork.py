"""ClockworkHook against the emulator over real HTTP."""

from __future__ import annotations

import json

import pytest
from airflow.exceptions import AirflowException

from airflow_provider_clockwork.exceptions import (
    ClockworkConfigError,
    ClockworkInputError,
    ClockworkRequestError,
    ClockworkTransportError,
)
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode
from airflow_provider_clockwork.protocol.results import SmsError
from tests.conftest import TEST_KEY

NUMBERS = [f"4477009{index:05d}" for index in range(120)]


def use_connection(
    monkeypatch: pytest.MonkeyPatch, conn_id: str = "clockwork_default", **fields: object
) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "clockwork", **fields}))


@pytest.fixture
def hook(clockwork_connection) -> ClockworkHook:
    return ClockworkHook()


@pytest.fixture
def sequential_hook(clockwork_connection) -> ClockworkHook:
    """One request at a time, so the emulator sees the batches in order (concurrency: test_concurrency.py)."""
    return ClockworkHook(max_concurrent_requests=1)


def test_send_sms_returns_the_ids_clockwork_gave(hook, clockwork_emulator) -> None:
    result = hook.send_sms("+44 7700 900123, 447700900456", "Nightly load done")

    received = {m["to"]: m for m in clockwork_emulator.messages()}
    assert result.message_ids == {n: received[n]["id"] for n in ("447700900123", "447700900456")}
    assert result.errors == {}
    assert {m["content"] for m in received.values()} == {"Nightly load done"}


def test_key_travels_only_in_the_post_body(hook, clockwork_emulator) -> None:
    hook.send_sms("447700900123", "hello")

    (request,) = clockwork_emulator.requests()
    assert request["method"] == "POST"
    assert request["path"] == "/http/send.aspx"
    assert TEST_KEY not in request["query"]
    assert request["query"] == ""
    assert {"Key", "To", "Content"} <= set(request["param_names"])


def test_120_recipients_take_three_requests_of_at_most_50(sequential_hook, clockwork_emulator) -> None:
    result = sequential_hook.send_sms(NUMBERS, "broadcast")

    sizes = [len(r["numbers"]) for r in clockwork_emulator.requests()]
    assert sizes == [50, 50, 20]
    assert list(result.message_ids) == NUMBERS
    assert len({m["to"] for m in clockwork_emulator.messages()}) == 120


def test_one_session_is_reused_across_requests(sequential_hook, clockwork_emulator) -> None:
    sequential_hook.send_sms(NUMBERS[:60], "first")
    sequential_hook.send_sms("447700900123", "second")

    ports = {r["client_port"] for r in clockwork_emulator.requests()}
    assert len(clockwork_emulator.requests()) == 3
    assert len(ports) == 1


def test_refused_numbers_come_back_as_errors_and_the_rest_is_sent(hook, clockwork_emulator) -> None:
    clockwork_emulator.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    result = hook.send_sms(["447700900123", "447700900456", "447700900789"], "hi")

    assert set(result.message_ids) == {"447700900123", "447700900789"}
    error = result.errors["447700900456"]
    assert (error.code, error.description) == (10, "Invalid 'To' Parameter")
    assert {m["to"] for m in clockwork_emulator.messages()} == {"447700900123", "447700900789"}


def test_wrong_key_raises_with_clockworks_code_and_text(monkeypatch, clockwork_emulator) -> None:
    use_connection(monkeypatch, password="not-the-key", host=clockwork_emulator.url)

    with pytest.raises(ClockworkRequestError) as raised:
        ClockworkHook().send_sms("447700900123", "hi")

    assert isinstance(raised.value, AirflowException)
    assert (raised.value.code, raised.value.description) == (2, "Invalid Username Or Password")
    assert raised.value.error == SmsError(2, "Invalid Username Or Password")
    assert raised.value.known_code is ClockworkErrorCode.INVALID_KEY
    assert raised.value.permanent is True
    assert "Error 2: Invalid Username Or Password" in str(raised.value)
    assert "not-the-key" not in str(raised.value)
    assert clockwork_emulator.messages() == []


def test_unicode_text_goes_through_the_xml_interface_intact(hook, clockwork_emulator) -> None:
    text = "Zürich → Łódź ✓ 🚀\r\nline two & <three>"

    result = hook.send_sms("447700900123", text)

    (message,) = clockwork_emulator.messages()
    assert message["content"] == text
    assert message["msg_type"] == "UCS2"
    assert message["interface"] == "xml"
    assert result.message_ids == {"447700900123": message["id"]}
    assert clockwork_emulator.requests()[0]["path"] == "/xml/send.aspx"


def test_gsm_text_with_line_breaks_arrives_intact(hook, clockwork_emulator) -> None:
    hook.send_sms("447700900123", "line one\r\nline two\n€5 {ok}")

    (message,) = clockwork_emulator.messages()
    assert message["content"] == "line one\r\nline two\n€5 {ok}"
    assert message["interface"] == "http"


def test_sender_and_long_are_sent_when_set(hook, clockwork_emulator) -> None:
    hook.send_sms("447700900123", "x" * 300, sender="ACME Ltd", long=True)

    (message,) = clockwork_emulator.messages()
    assert (message["sender"], message["long"], message["parts"]) == ("ACME Ltd", True, 2)


@pytest.mark.parametrize(
    ("extra", "task_sender", "expected"),
    [
        pytest.param({"sender": "OpsTeam"}, None, "OpsTeam", id="connection-default"),
        pytest.param({"sender": "OpsTeam"}, "Override", "Override", id="task-overrides"),
        pytest.param({}, None, None, id="no-sender"),
    ],
)
def test_connection_sender_is_the_default(monkeypatch, clockwork_emulator, extra, task_sender, expected):
    use_connection(monkeypatch, password=TEST_KEY, host=clockwork_emulator.url, extra=extra)

    ClockworkHook().send_sms("447700900123", "hi", sender=task_sender)

    assert clockwork_emulator.messages()[0]["sender"] == expected


def test_missing_key_fails_before_any_request(monkeypatch, clockwork_emulator) -> None:
    use_connection(monkeypatch, host=clockwork_emulator.url)

    with pytest.raises(ClockworkConfigError, match="password field must hold the Clockwork API key"):
        ClockworkHook().send_sms("447700900123", "hi")

    assert clockwork_emulator.requests() == []


@pytest.mark.parametrize(
    ("to", "content", "sender", "named"),
    [
        pytest.param("07700900123", "hi", None, "07700900123", id="local-number"),
        pytest.param("447700900123,,447700900456", "hi", None, "''", id="empty-entry"),
        pytest.param([], "hi", None, "[]", id="no-recipients"),
        pytest.param("447700900123", "", None, "''", id="empty-content"),
        pytest.param("447700900123", "y" * 161, None, "long=True", id="too-long-without-long"),
        pytest.param("447700900123", "hi", "TwelveLetter", "TwelveLetter", id="sender-too-long"),
    ],
)
def test_bad_input_fails_before_any_request(hook, clockwork_emulator, to, content, sender, named) -> None:
    with pytest.raises(ClockworkInputError) as raised:
        hook.send_sms(to, content, sender=sender)

    assert named in str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert clockwork_emulator.requests() == []


def test_read_timeout_reports_the_numbers_whose_outcome_is_unknown(monkeypatch, clockwork_emulator) -> None:
    use_connection(monkeypatch, password=TEST_KEY, host=clockwork_emulator.url, extra={"timeout": 0.3})
    clockwork_emulator.inject({"kind": "delay", "seconds": 2})

    with pytest.raises(ClockworkTransportError) as raised:
        ClockworkHook().send_sms(["447700900123", "447700900456"], "hi")

    assert "UNKNOWN" in str(raised.value)
    assert raised.value.unknown == ["447700900123", "447700900456"]
    assert raised.value.result.message_ids == {}


@pytest.mark.parametrize(
    ("fault", "unknown"),
    [
        pytest.param({"kind": "status", "status": 502, "body": "<html>Bad Gateway</html>"}, True, id="502"),
        pytest.param({"kind": "status_after", "status": 500}, True, id="500-after-accepting"),
        pytest.param({"kind": "status", "status": 404, "body": "Not Found"}, False, id="404"),
        pytest.param({"kind": "garbage", "body": "<html>maintenance</html>"}, True, id="garbage-200"),
        pytest.param({"kind": "reset_after"}, True, id="reset-after-sending"),
        pytest.param({"kind": "truncate"}, True, id="truncated-body"),
    ],
)
def test_unusable_replies_never_count_a_number_as_sent(hook, clockwork_emulator, fault, unknown) -> None:
    clockwork_emulator.inject(fault)

    with pytest.raises(ClockworkTransportError) as raised:
        hook.send_sms(["447700900123", "447700900456"], "hi")

    assert raised.value.result.message_ids == {}
    numbers = raised.value.unknown if unknown else raised.value.unsent
    assert numbers == ["447700900123", "447700900456"]
    assert "447700900123, 447700900456" in str(raised.value)
    if fault["kind"] in ("reset_after", "truncate"):  # no HTTP status to go by: the request may have landed
        assert "failed and may have reached Clockwork" in str(raised.value)


def test_failure_mid_way_keeps_earlier_ids_and_names_the_rest(sequential_hook, clockwork_emulator) -> None:
    clockwork_emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "status", "status": 503, "body": ""})

    with pytest.raises(ClockworkTransportError) as raised:
        sequential_hook.send_sms(NUMBERS, "broadcast")

    error = raised.value
    assert list(error.result.message_ids) == NUMBERS[:50]
    assert error.unknown == NUMBERS[50:100]
    assert error.unsent == NUMBERS[100:]
    assert "50 number(s) got a message ID" in str(error)
    assert len(clockwork_emulator.requests()) == 2


def test_connection_refused_is_retried_then_reported_as_not_sent(monkeypatch, closed_port_url) -> None:
    use_connection(monkeypatch, password=TEST_KEY, host=closed_port_url)

    with pytest.raises(ClockworkTransportError, match="Could not connect") as raised:
        ClockworkHook().send_sms("447700900123", "hi")

    assert raised.value.unsent == ["447700900123"]
    assert raised.value.unknown == []


def test_credit_check_reads_the_balance_and_sends_nothing(hook, clockwork_emulator) -> None:
    before = hook.get_credit()
    hook.send_sms("447700900123", "one part")

    assert hook.get_credit() == before - 1
    assert hook.test_connection() == (
        True,
        f"Connected to Clockwork at {clockwork_emulator.url}: the API key works; credit: {before - 1}.",
    )
    assert len(clockwork_emulator.messages()) == 1


def test_credit_goes_through_the_documented_xml_interface(hook, clockwork_emulator) -> None:
    hook.get_credit()

    (request,) = clockwork_emulator.requests()
    assert (request["path"], request["content_type"]) == ("/xml/credit.aspx", "text/xml; charset=utf-8")
    assert TEST_KEY not in request["query"]


# Airflow's Test button stores the form under a random connection id (like this one) and tests that.
RANDOM_TEST_ID = "OsISCq5y"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        pytest.param(
            {"password": "wrong"},
            "refused the API key: Error 2: Invalid Username Or Password",
            id="wrong-key",
        ),
        pytest.param({}, "This connection has no API key: the password field must hold", id="no-key"),
        pytest.param(
            {"password": TEST_KEY, "extra": {"sender": "ABCDEFGHIJKL"}},
            "This connection extra 'sender': Sender 'ABCDEFGHIJKL' is 12 characters",
            id="12-letter-sender",
        ),
    ],
)
def test_failed_connection_test_speaks_of_the_key_and_the_endpoint(
    monkeypatch, clockwork_emulator, fields, words
) -> None:
    use_connection(monkeypatch, RANDOM_TEST_ID, host=clockwork_emulator.url, **fields)

    ok, reason = ClockworkHook(RANDOM_TEST_ID).test_connection()

    assert not ok
    assert words in reason
    assert RANDOM_TEST_ID not in reason
    assert "number" not in reason


def test_connection_test_that_cannot_reach_clockwork_names_the_endpoint(
    monkeypatch, clockwork_emulator
) -> None:
    use_connection(monkeypatch, RANDOM_TEST_ID, password=TEST_KEY, host=clockwork_emulator.url)
    clockwork_emulator.inject({"kind": "status", "status": 503, "on": "account"})

    ok, reason = ClockworkHook(RANDOM_TEST_ID).test_connection()

    assert not ok
    assert reason.startswith(f"Could not check the API key at {clockwork_emulator.url}/xml/credit.aspx:")
    assert "HTTP 503" in reason
    assert "number" not in reason


@pytest.mark.parametrize(
    ("extra_to", "task_to", "texted"),
    [
        pytest.param("+44 7700 900999", None, ["447700900999"], id="connection-default"),
        pytest.param("447700900999, 447700900998", None, ["447700900999", "447700900998"], id="several"),
        pytest.param("447700900999", "447700900123", ["447700900123"], id="task-overrides"),
    ],
)
def test_connection_recipients_are_the_default(monkeypatch, clockwork_emulator, extra_to, task_to, texted):
    use_connection(monkeypatch, password=TEST_KEY, host=clockwork_emulator.url, extra={"to": extra_to})

    ClockworkHook().send_sms(task_to, "hi")

    assert [m["to"] for m in clockwork_emulator.messages()] == texted


def test_no_recipient_anywhere_fails_before_any_request(hook, clockwork_emulator) -> None:
    with pytest.raises(
        ClockworkInputError,
        match="No recipient: 'to' is not given and connection 'clockwork_default' has no 'to' extra",
    ):
        hook.send_sms(None, "hi")

    assert clockwork_emulator.requests() == []


def test_bad_connection_recipient_is_named_before_any_request(monkeypatch, clockwork_emulator) -> None:
    use_connection(monkeypatch, password=TEST_KEY, host=clockwork_emulator.url, extra={"to": "07700 900999"})

    with pytest.raises(
        ClockworkInputError, match="Connection 'clockwork_default' extra 'to': Recipient '07700 900999'"
    ):
        ClockworkHook().send_sms("447700900123", "hi")

    assert clockwork_emulator.requests() == []


def test_key_never_appears_in_repr_errors_or_logs(monkeypatch, log_text) -> None:
    from airflow_provider_clockwork.emulator import ClockworkEmulator

    secret = "sk-very-secret-123"
    with ClockworkEmulator(keys=(secret,)) as emulator:
        use_connection(monkeypatch, password=secret, host=emulator.url)
        emulator.inject({"kind": "garbage", "body": f"echo {secret} back"})
        hook = ClockworkHook()

        with pytest.raises(ClockworkTransportError) as raised:
            hook.send_sms("447700900123", "hi")
        hook.send_sms("447700900123", "hi")

    logs = log_text()
    assert "***" in str(raised.value)
    assert secret not in str(raised.value)
    assert secret not in repr(hook)
    assert secret not in repr(hook.settings)
    assert "1 of 1 request(s) answered: Clockwork accepted 1, refused 0." in logs
    assert secret not in logs


def test_a_proxy_from_the_environment_carries_every_request(monkeypatch) -> None:
    """The session reads the environment once (not per request), and still goes through the proxy."""
    from airflow_provider_clockwork.emulator import ClockworkEmulator

    with ClockworkEmulator(keys=(TEST_KEY,)) as proxy:  # the emulator answers a proxied request too
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        use_connection(monkeypatch, password=TEST_KEY, host="http://clockwork.invalid")
        numbers = [f"4477009{index:05d}" for index in range(120)]

        result = ClockworkHook().send_sms(numbers, "Through the proxy")

        assert sorted(result.message_ids) == numbers
        assert len(proxy.requests()) == 3


def test_a_redirect_is_reported_and_never_followed(monkeypatch, clockwork_emulator) -> None:
    """A POST is never repeated at another address: a redirect means nothing was sent."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", f"{clockwork_emulator.url}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Redirect) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            use_connection(monkeypatch, password=TEST_KEY, host=f"http://127.0.0.1:{server.server_port}")
            with pytest.raises(ClockworkTransportError, match="HTTP 307") as raised:
                ClockworkHook().send_sms(["447700900123", "447700900456"], "hi")
        finally:
            server.shutdown()

    assert raised.value.unsent == ["447700900123", "447700900456"]
    assert clockwork_emulator.requests() == []
