"""The hook over HTTPS: Clockwork's certificate is checked against the CA bundle the environment names.

The hook takes its TLS settings from ``requests`` (``REQUESTS_CA_BUNDLE``, read once per hook)
and posts through the connection pool ``requests`` configures with them, so a server whose
certificate the bundle does not vouch for gets no request at all.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from airflow_provider_clockwork.exceptions import ClockworkConfigError, ClockworkTransportError
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
from tests.conftest import TEST_KEY


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, signed by its own key: (certificate, key) as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clockwork-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "clockwork.pem", directory / "clockwork.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class SendReply(BaseHTTPRequestHandler):
    """Answers a send the way Clockwork does: an ID for each number; counts the requests it read."""

    requests_read = 0

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        type(self).requests_read += 1
        body = " ".join(
            f"To: {number} ID: TLS_{index}" for index, number in enumerate(form["To"][0].split(","))
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """A Clockwork stand-in over HTTPS on loopback: its base URL and its certificate file."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    SendReply.requests_read = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), SendReply)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", cert_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def use_https(monkeypatch, base_url: str) -> None:
    connection = {"conn_type": "clockwork", "password": TEST_KEY, "host": base_url, "extra": {"timeout": 5}}
    monkeypatch.setenv("AIRFLOW_CONN_CLOCKWORK_DEFAULT", json.dumps(connection))


def test_the_ca_bundle_of_the_environment_verifies_clockwork(monkeypatch, https_server) -> None:
    base_url, cert_file = https_server
    use_https(monkeypatch, base_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    numbers = [f"4477009{index:05d}" for index in range(60)]

    result = ClockworkHook().send_sms(numbers, "Over TLS")

    assert sorted(result.message_ids) == numbers
    assert SendReply.requests_read == 2


def test_a_certificate_no_bundle_vouches_for_gets_no_request(monkeypatch, https_server) -> None:
    base_url, _ = https_server
    use_https(monkeypatch, base_url)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    with pytest.raises(
        ClockworkTransportError, match=r"Could not connect.*CERTIFICATE_VERIFY_FAILED"
    ) as raised:
        ClockworkHook().send_sms("447700900123", "Over TLS")

    assert raised.value.unsent == ["447700900123"]  # the handshake failed: nothing can have been texted
    assert raised.value.unknown == []
    assert SendReply.requests_read == 0


def test_a_ca_bundle_that_is_not_there_is_named_before_any_request(
    monkeypatch, https_server, tmp_path
) -> None:
    base_url, _ = https_server
    use_https(monkeypatch, base_url)
    missing = tmp_path / "no-such-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))

    with pytest.raises(ClockworkConfigError, match="Nothing was sent") as raised:
        ClockworkHook().send_sms(["447700900123", "447700900456"], "Over TLS")
    tested, message = ClockworkHook().test_connection()

    assert str(missing) in str(raised.value)
    assert tested is False
    assert str(missing) in message
    assert SendReply.requests_read == 0


def test_the_notifier_logs_an_unusable_ca_bundle_and_sends_nothing(
    monkeypatch, https_server, tmp_path, log_text
) -> None:
    from airflow_provider_clockwork.notifications.clockwork import ClockworkNotifier
    from tests.notifications.test_clockwork import task_context

    base_url, _ = https_server
    use_https(monkeypatch, base_url)
    missing = tmp_path / "no-such-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))

    ClockworkNotifier(to="447700900123", content="load failed")(task_context())

    logged = log_text()
    assert f"Clockwork notification was not sent: Cannot post to Clockwork at {base_url}" in logged
    assert str(missing) in logged
    assert SendReply.requests_read == 0
