"""Reading a Clockwork connection's fields: tables of good and bad values."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.connection import (
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_TIMEOUT,
    base_url,
    read_settings,
)
from airflow_provider_clockwork.exceptions import ClockworkConfigError, ClockworkInputError


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        pytest.param(None, None, "https://api.clockworksms.com", id="default"),
        pytest.param("", None, "https://api.clockworksms.com", id="empty-host"),
        pytest.param("api.example.com", None, "https://api.example.com", id="bare-host-means-https"),
        pytest.param("http://127.0.0.1:8089", None, "http://127.0.0.1:8089", id="scheme-and-port"),
        pytest.param("http://127.0.0.1:8089/", None, "http://127.0.0.1:8089", id="trailing-slash"),
        pytest.param(
            "https://gw.example.com/clockwork/", None, "https://gw.example.com/clockwork", id="path-prefix"
        ),
        pytest.param("http://127.0.0.1:8089", 9000, "http://127.0.0.1:9000", id="port-replaces"),
        pytest.param("localhost", 8089, "https://localhost:8089", id="bare-host-with-port"),
        pytest.param("http://[::1]:8089", None, "http://[::1]:8089", id="ipv6"),
    ],
)
def test_base_url(host, port, expected) -> None:
    assert base_url("cw", host, port) == expected


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("ftp://example.com", id="wrong-scheme"),
        pytest.param("http://", id="no-host"),
        pytest.param("http://exa mple.com", id="space"),
        pytest.param("http://example.com:notaport", id="bad-port"),
        pytest.param("http://example.com/?key=1", id="query"),
        pytest.param("http://user:pw@example.com", id="credentials"),
        pytest.param("://example.com", id="no-scheme-name"),
    ],
)
def test_host_that_is_not_a_url_is_named(host) -> None:
    with pytest.raises(ClockworkConfigError) as raised:
        base_url("cw", host, None)
    assert repr(host) in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, DEFAULT_TIMEOUT, id="default"),
        pytest.param(5, 5.0, id="int"),
        pytest.param(2.5, 2.5, id="float"),
        pytest.param("7.5", 7.5, id="numeric-string"),
    ],
)
def test_timeout_extra(value, expected) -> None:
    settings = read_settings("cw", password="k", host=None, port=None, extra={"timeout": value})
    assert settings.timeout == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("soon", id="word"),
        pytest.param(0, id="zero"),
        pytest.param(-3, id="negative"),
        pytest.param("inf", id="infinite"),
        pytest.param("nan", id="nan"),
        pytest.param(True, id="bool"),
        pytest.param([5], id="list"),
    ],
)
def test_bad_timeout_is_named(value) -> None:
    with pytest.raises(ClockworkConfigError) as raised:
        read_settings("cw", password="k", host=None, port=None, extra={"timeout": value})
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize("password", [None, "", "   "])
def test_missing_key(password) -> None:
    with pytest.raises(ClockworkConfigError, match="password field must hold the Clockwork API key"):
        read_settings("cw", password=password, host=None, port=None, extra={})


def test_bad_default_sender_is_named() -> None:
    with pytest.raises(ClockworkInputError, match="'MuchTooLongSender'"):
        read_settings("cw", password="k", host=None, port=None, extra={"sender": "MuchTooLongSender"})


def test_settings_repr_hides_the_key() -> None:
    settings = read_settings("cw", password="s3cret-key", host=None, port=None, extra={})
    assert "s3cret-key" not in repr(settings)
    assert settings.api_key == "s3cret-key"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, DEFAULT_MAX_CONCURRENT_REQUESTS, id="default"),
        pytest.param("", DEFAULT_MAX_CONCURRENT_REQUESTS, id="empty"),
        pytest.param(1, 1, id="one-means-sequential"),
        pytest.param("8", 8, id="numeric-string"),
        pytest.param(8.0, 8, id="whole-float"),
        pytest.param(32, 32, id="limit"),
    ],
)
def test_max_concurrent_requests_extra(value, expected) -> None:
    extra = {"max_concurrent_requests": value}
    settings = read_settings("cw", password="k", host=None, port=None, extra=extra)
    assert settings.max_concurrent_requests == expected


@pytest.mark.parametrize("value", [0, -2, 33, 2.5, "many", "nan", True, [4]])
def test_bad_max_concurrent_requests_is_named(value) -> None:
    with pytest.raises(ClockworkConfigError) as raised:
        read_settings("cw", password="k", host=None, port=None, extra={"max_concurrent_requests": value})
    assert repr(value) in str(raised.value)
    assert "max_concurrent_requests" in str(raised.value)
