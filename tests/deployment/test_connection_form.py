"""The Add Connection form of the real UI, driven by a headless Chromium.

Chromium is Debian's (``make`` installs it where missing); Playwright drives it. The
screenshots the docs show are taken on the way; ``CLOCKWORK_SCREENSHOTS=docs/images``
(``make screenshots``) writes them there, else they go to the test's temporary folder,
so a test run leaves the work tree as it was.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Deployment

pytestmark = [pytest.mark.deployment, pytest.mark.usefixtures("started_runs")]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
VIEWPORT = {"width": 1000, "height": 800}
UI_TIMEOUT_MS = 90_000
CONNECTION_ID = "clockwork_from_the_form"
EXTRA_DEFAULTS = {"timeout": 30, "sender": None, "to": None, "max_concurrent_requests": 4}
# What the form saves when the key and host are filled in and the one checkbox is ticked: the
# receiver's text fields stay empty.
SAVED_EXTRA = {
    **EXTRA_DEFAULTS,
    "receiver_url": None,
    "receiver_token": None,
    "allowed_senders": None,
    "reply_on_refusal": True,
}


@pytest.fixture(scope="module")
def browser_page(deployment: Deployment) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("CLOCKWORK_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_clockwork_form(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/connections", wait_until="networkidle", timeout=UI_TIMEOUT_MS)
    page.get_by_role("button", name="Add Connection").click()
    page.get_by_label("Connection ID").fill(CONNECTION_ID)
    page.get_by_role("combobox", name="Connection Type").fill("Clockwork")
    page.keyboard.press("Enter")  # picks the one type that matches
    assert page.get_by_text("Clockwork SMS", exact=True).is_visible()


def field_labels(page: Any) -> list[str]:
    return [label.inner_text().strip() for label in page.locator("form label, [role=dialog] label").all()]


def test_form_saves_a_connection_and_its_test_passes(deployment: Deployment, browser_page, screenshots):
    page, emulator = browser_page, deployment.emulator
    open_clockwork_form(page, deployment.ui_url)

    # Standard fields: relabelled, with placeholders; login and schema hidden; the key masked.
    labels = field_labels(page)
    assert {"Description", "Base URL (optional)", "API key", "Port"} <= set(labels)
    assert not {"Login", "Schema"} & set(labels)
    assert page.get_by_label("API key").get_attribute("type") == "password"
    assert page.get_by_label("API key").get_attribute("placeholder") == "Your Clockwork API key"
    assert (
        page.get_by_label("Base URL (optional)").get_attribute("placeholder")
        == "https://api.clockworksms.com"
    )
    page.get_by_label("Base URL (optional)").fill(f"http://{emulator.host}")
    page.get_by_label("Port").fill(str(emulator.port))  # without a port the UI's Test fails (see docs)
    page.get_by_label("API key").fill(deployment.api_key)
    page.screenshot(path=screenshots / "connection-form.png")

    # Extra fields, with their defaults and help texts.
    page.get_by_role("button", name="Extra Fields", exact=True).click()
    assert {
        "Timeout (seconds)",
        "Default sender (From)",
        "Default recipients (To)",
        "Concurrent requests",
    } <= set(field_labels(page))
    extra_values = {name: page.locator(f"[name=element_{name}]").input_value() for name in EXTRA_DEFAULTS}
    assert extra_values == {"timeout": "30", "sender": "", "to": "", "max_concurrent_requests": "4"}
    assert page.get_by_text("up to 11 characters, or 12 digits").is_visible()
    page.screenshot(path=screenshots / "connection-extra-fields.png")

    # The receiver's fields (delivery receipts and replies), the token masked like the key, and
    # the checkbox that texts refused replies back, off until ticked.
    assert {"Receiver URL", "Receiver token", "Allowed senders", "Text back refused replies"} <= set(
        field_labels(page)
    )
    assert page.locator("[name=element_receiver_token]").get_attribute("type") == "password"
    reply_on_refusal = page.get_by_label("Text back refused replies")
    reply_on_refusal.scroll_into_view_if_needed()
    assert page.get_by_text("is texted back saying why").is_visible()
    assert not reply_on_refusal.is_checked()
    page.screenshot(path=screenshots / "connection-receiver-fields.png")
    reply_on_refusal.locator("xpath=..").click()  # the switch drawn over the hidden checkbox
    assert reply_on_refusal.is_checked()

    page.get_by_role("button", name="Save").click()
    row = page.get_by_role("row").filter(has_text=CONNECTION_ID)
    # The started runs text in the background, so the credit may fall while the Test runs.
    credit_before = emulator.credit
    with page.expect_response("**/api/v2/connections/test") as tested:
        row.get_by_role("button", name="Test Connection").click()
    toast = page.get_by_role("status").filter(has_text="Test Connection Successful")
    toast.wait_for()
    credit_after = emulator.credit
    page.screenshot(path=screenshots / "connection-test-success.png")

    answer = tested.value.json()
    expected = rf"Connected to Clockwork at {re.escape(emulator.url)}: the API key works; credit: (\d+)\."
    reported = re.fullmatch(expected, answer["message"])
    assert answer["status"] is True and reported, answer
    assert credit_after <= int(reported[1]) <= credit_before
    assert deployment.api_key not in toast.inner_text()
    saved = deployment.api.call("GET", f"/connections/{CONNECTION_ID}")
    assert (saved["conn_type"], saved["host"], saved["port"]) == (
        "clockwork",
        f"http://{emulator.host}",
        emulator.port,
    )
    assert saved["password"] == "***"
    assert json.loads(saved["extra"]) == SAVED_EXTRA
