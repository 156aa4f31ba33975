"""What the Airflow UI shows for a Clockwork connection: one description, two formats.

Airflow 3.2+ reads it declaratively from ``get_provider_info`` (``conn-fields`` and
``ui-field-behaviour``); Airflow 2.11 asks the hook (``get_connection_form_widgets``
and ``get_ui_field_behaviour``). Both are built from the data below so they cannot
disagree. Pure data: importing this module imports nothing from Airflow.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_clockwork.protocol.message import MAX_NUMERIC_SENDER, MAX_TEXT_SENDER

CONNECTION_TYPE = "clockwork"
HOOK_NAME = "Clockwork SMS"
DEFAULT_MAX_CONCURRENT_REQUESTS = 4
MAX_CONCURRENT_REQUESTS_LIMIT = 32
# Up to 11 characters, or up to 12 digits. Airflow 2.11's form checks it; Airflow 3's form only
# limits the length (12), so a 12-letter sender is caught by the connection's Test instead.
SENDER_PATTERN = rf"^(.{{0,{MAX_TEXT_SENDER}}}|[0-9]{{{MAX_TEXT_SENDER + 1},{MAX_NUMERIC_SENDER}}})$"

# Extra fields: name -> label, description and JSON schema (Airflow 3's form format).
EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Connect and read timeout of each request to Clockwork. Default 30.",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 30},
    },
    "sender": {
        "label": "Default sender (From)",
        "description": "Shown on phones when a task sets no sender: up to 11 characters, or 12 digits.",
        "schema": {"type": ["string", "null"], "maxLength": MAX_NUMERIC_SENDER, "pattern": SENDER_PATTERN},
    },
    "to": {
        "label": "Default recipients (To)",
        "description": (
            "Texted when a task or alert gives no 'to', e.g. the on-call number: "
            "international numbers, comma-separated. A task's 'to' replaces them."
        ),
        "schema": {"type": ["string", "null"]},
    },
    "max_concurrent_requests": {
        "label": "Concurrent requests",
        "description": (
            "Batches of 50 numbers sent at once by one task "
            f"(1 to {MAX_CONCURRENT_REQUESTS_LIMIT}; 1 sends one batch at a time)."
        ),
        "schema": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": MAX_CONCURRENT_REQUESTS_LIMIT,
            "default": DEFAULT_MAX_CONCURRENT_REQUESTS,
        },
    },
    "receiver_url": {
        "label": "Receiver URL",
        "description": (
            "Where Clockwork reaches this Airflow's receiver, e.g. https://airflow.example.com/clockwork; "
            "sends then ask for delivery receipts there."
        ),
        "schema": {"type": ["string", "null"]},
    },
    "receiver_token": {
        "label": "Receiver token",
        "description": "Secret in the receiver URLs Clockwork calls: at least 16 characters.",
        "schema": {"type": ["string", "null"], "format": "password", "minLength": 16},
    },
    "allowed_senders": {
        "label": "Allowed senders",
        "description": "Numbers whose texts to your Clockwork number trigger DAGs (comma-separated).",
        "schema": {"type": ["string", "null"]},
    },
    "reply_on_refusal": {
        "label": "Text back refused replies",
        "description": (
            "When on, a reply that answers no Human-in-the-loop request is texted back saying why "
            "(each such text is a message you pay for)."
        ),
        "schema": {"type": ["boolean", "null"], "default": False},
    },
}
SECRET_EXTRA_FIELDS = frozenset(
    name for name, field in EXTRA_FIELDS.items() if field["schema"].get("format") == "password"
)

HIDDEN_FIELDS = ["login", "schema", "extra"]
RELABELING = {"password": "API key", "host": "Base URL (optional)"}
PLACEHOLDERS = {
    "password": "Your Clockwork API key",
    "host": "https://api.clockworksms.com",
    "port": "Replaces any port in the base URL",
}


def declarative_form() -> dict[str, Any]:
    """The ``conn-fields`` and ``ui-field-behaviour`` entries of the provider info."""
    return {
        "conn-fields": EXTRA_FIELDS,
        "ui-field-behaviour": {
            "hidden-fields": HIDDEN_FIELDS,
            "relabeling": RELABELING,
            "placeholders": PLACEHOLDERS,
        },
    }


def ui_field_behaviour() -> dict[str, Any]:
    """The same behaviour in the shape Airflow 2's ``get_ui_field_behaviour`` returns."""
    return {"hidden_fields": HIDDEN_FIELDS, "relabeling": RELABELING, "placeholders": PLACEHOLDERS}


def form_widgets() -> dict[str, Any]:
    """Airflow 2's WTForms widgets for the extra fields (imports Flask only when called)."""
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, PasswordField, StringField
    from wtforms.validators import Optional, Regexp

    def checks(field: dict[str, Any]) -> list[Any]:
        pattern = field["schema"].get("pattern")
        return (
            [Optional()] if pattern is None else [Optional(), Regexp(pattern, message=field["description"])]
        )

    def widget(name: str, field: dict[str, Any]) -> Any:
        if "boolean" in field["schema"]["type"]:  # a checkbox: nothing to validate
            return BooleanField(
                lazy_gettext(field["label"]),
                description=field["description"],
                default=field["schema"]["default"],
            )
        secret = name in SECRET_EXTRA_FIELDS
        return (PasswordField if secret else StringField)(
            lazy_gettext(field["label"]),
            description=field["description"],
            validators=checks(field),
            widget=BS3PasswordFieldWidget() if secret else BS3TextFieldWidget(),
        )

    return {name: widget(name, field) for name, field in EXTRA_FIELDS.items()}
