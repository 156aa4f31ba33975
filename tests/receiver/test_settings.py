"""The receiver's connection settings: token rules, secrecy, the callback URL."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.exceptions import ClockworkConfigError
from airflow_provider_clockwork.receiver.settings import read_receiver_settings

TOKEN = "s3cret-token-0123456789"


def test_a_connection_without_a_token_has_no_receiver():
    assert read_receiver_settings("cw", {"timeout": 5}) is None


def test_the_token_is_in_no_repr_and_the_url_carries_it_in_the_query():
    settings = read_receiver_settings(
        "cw", {"receiver_token": TOKEN, "receiver_url": "https://air.example.com/clockwork/"}
    )
    assert settings is not None
    assert TOKEN not in repr(settings)
    assert settings.callback_url("receipts") == f"https://air.example.com/clockwork/cw/receipts?token={TOKEN}"
    assert settings.token_matches(TOKEN) and not settings.token_matches(TOKEN[:-1])


@pytest.mark.parametrize("token", ["short", " " + TOKEN, 12345678901234567890])
def test_a_weak_or_malformed_token_is_refused_without_echoing_it(token):
    with pytest.raises(ClockworkConfigError, match="'receiver_token' must be a text of at least 16") as error:
        read_receiver_settings("cw", {"receiver_token": token})
    assert str(token).strip() not in str(error.value)


def test_a_url_without_a_token_is_refused():
    with pytest.raises(ClockworkConfigError, match="has a 'receiver_url' but no 'receiver_token'"):
        read_receiver_settings("cw", {"receiver_url": "https://air.example.com/clockwork"})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"receiver_url": "ftp://x"}, "'receiver_url' 'ftp://x' is not an http"),
        ({"allowed_senders": ["0123"]}, "'allowed_senders': Recipient '0123'"),
    ],
)
def test_bad_receiver_settings_name_the_value(extra, message):
    with pytest.raises(ClockworkConfigError, match=message):
        read_receiver_settings("cw", {"receiver_token": TOKEN, **extra})


def test_allowed_senders_are_normalised():
    settings = read_receiver_settings(
        "cw", {"receiver_token": TOKEN, "allowed_senders": "+44 7700 900555, 0014155550100"}
    )
    assert settings is not None and settings.allowed_senders == frozenset({"447700900555", "14155550100"})
