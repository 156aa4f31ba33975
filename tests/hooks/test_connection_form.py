"""The Clockwork connection form as Airflow's providers manager sees it (Airflow 2.11 and 3.x)."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.connection_form import EXTRA_FIELDS
from airflow_provider_clockwork.hooks.clockwork import ClockworkHook


@pytest.fixture(scope="module")
def providers_manager():
    from airflow.providers_manager import ProvidersManager

    return ProvidersManager()


def widget_label(widget) -> str:
    field = widget.field
    if isinstance(field, dict):  # Airflow 3: JSON-schema form metadata
        return field["schema"]["title"]
    return str(field.args[0])  # Airflow 2: a WTForms field


def widget_description(widget) -> str:
    field = widget.field
    return field["description"] if isinstance(field, dict) else str(field.kwargs["description"])


def checkbox_default(widget) -> bool | None:
    """The initial state of a checkbox field, or None when the field is no checkbox."""
    field = widget.field
    if isinstance(field, dict):  # Airflow 3 renders a boolean schema as a switch
        return field["value"] if "boolean" in field["schema"]["type"] else None
    from wtforms import BooleanField

    return field.kwargs["default"] if field.field_class is BooleanField else None


def test_form_has_labelled_timeout_and_sender_fields(providers_manager) -> None:
    widgets = providers_manager.connection_form_widgets

    labels = {name: widget_label(widgets[f"extra__clockwork__{name}"]) for name in EXTRA_FIELDS}

    assert labels == {
        "timeout": "Timeout (seconds)",
        "sender": "Default sender (From)",
        "max_concurrent_requests": "Concurrent requests",
        "receiver_url": "Receiver URL",
        "receiver_token": "Receiver token",
        "allowed_senders": "Allowed senders",
        "to": "Default recipients (To)",
        "reply_on_refusal": "Text back refused replies",
    }


def test_the_receiver_token_is_a_secret_field_and_no_other_is(providers_manager) -> None:
    widgets = providers_manager.connection_form_widgets

    secret = {name for name in EXTRA_FIELDS if widgets[f"extra__clockwork__{name}"].is_sensitive}

    assert secret == {"receiver_token"}


def test_reply_on_refusal_is_the_only_checkbox_and_starts_off(providers_manager) -> None:
    widgets = providers_manager.connection_form_widgets

    checkboxes = {
        name: checkbox_default(widgets[f"extra__clockwork__{name}"])
        for name in EXTRA_FIELDS
        if checkbox_default(widgets[f"extra__clockwork__{name}"]) is not None
    }

    assert checkboxes == {"reply_on_refusal": False}
    assert "texted back saying why" in widget_description(widgets["extra__clockwork__reply_on_refusal"])


@pytest.mark.parametrize(
    ("saved", "replies"),
    [
        pytest.param(True, True, id="checked"),
        pytest.param(False, False, id="unchecked"),
        pytest.param(None, False, id="never-set"),
        pytest.param("true", True, id="typed-in-extra-json"),
    ],
)
def test_the_checkbox_turns_text_back_on_refusal_on_and_off(saved, replies) -> None:
    from airflow_provider_clockwork.receiver.settings import read_receiver_settings

    settings = read_receiver_settings("cw", {"receiver_token": "t" * 16, "reply_on_refusal": saved})

    assert settings is not None and settings.reply_on_refusal is replies


def test_a_reply_on_refusal_that_is_no_flag_is_named() -> None:
    from airflow_provider_clockwork.exceptions import ClockworkConfigError
    from airflow_provider_clockwork.receiver.settings import read_receiver_settings

    with pytest.raises(ClockworkConfigError, match="'reply_on_refusal' must be true or false, not 'yes'"):
        read_receiver_settings("cw", {"receiver_token": "t" * 16, "reply_on_refusal": "yes"})


@pytest.mark.parametrize(
    ("sender", "valid"),
    [
        pytest.param("ABCDEFGHIJK", True, id="11-letters"),
        pytest.param("ABCDEFGHIJKL", False, id="12-letters"),
        pytest.param("447700900123", True, id="12-digits"),
        pytest.param("4477009001234", False, id="13-digits"),
    ],
)
def test_sender_field_takes_11_characters_or_12_digits(sender, valid) -> None:
    import re

    schema = EXTRA_FIELDS["sender"]["schema"]

    assert (
        len(sender) <= schema["maxLength"] and re.fullmatch(schema["pattern"], sender) is not None
    ) is valid


def test_form_hides_unused_fields_and_relabels_the_key(providers_manager) -> None:
    behaviour = providers_manager.field_behaviours["clockwork"]

    assert set(behaviour["hidden_fields"]) == {"login", "schema", "extra"}
    assert behaviour["relabeling"] == {"password": "API key", "host": "Base URL (optional)"}
    assert "api.clockworksms.com" in str(behaviour["placeholders"])


def test_connection_type_is_named_and_testable(providers_manager) -> None:
    assert providers_manager.hooks["clockwork"].hook_name == "Clockwork SMS"
    assert providers_manager.hooks["clockwork"].connection_testable


def test_hook_methods_describe_the_same_form() -> None:
    assert ClockworkHook.get_ui_field_behaviour()["relabeling"]["password"] == "API key"


@pytest.mark.parametrize(
    ("extra", "timeout", "sender"),
    [
        pytest.param({"timeout": "12", "sender": "Ops"}, 12.0, "Ops", id="plain-names"),
        pytest.param({"timeout": 12, "max_concurrent_requests": 2}, 12.0, None, id="with-concurrency"),
        pytest.param(
            {"extra__clockwork__timeout": 7, "extra__clockwork__sender": "Ops"},
            7.0,
            "Ops",
            id="prefixed-names",
        ),
        pytest.param({"timeout": "", "sender": ""}, 30.0, None, id="empty-form-fields"),
    ],
)
def test_form_values_are_read_whichever_way_airflow_saved_them(extra, timeout, sender) -> None:
    from airflow_provider_clockwork.connection import read_settings

    settings = read_settings("cw", password="k", host=None, port=None, extra=extra)

    assert (settings.timeout, settings.default_sender) == (timeout, sender)
