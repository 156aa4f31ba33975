"""The delivery-receipt settings of an XML ``<SMS>``, as the emulator reads them."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol.xml_api import read_send_document


def sms(inner: str) -> bytes:
    head = "<Message><Key>K</Key><SMS><To>447700900123</To><Content>Hi</Content>"
    return f"{head}{inner}</SMS></Message>".encode()


def test_the_settings_are_read() -> None:
    _, [message] = read_send_document(
        sms(
            "<DlrType>2</DlrType><DlrUrl> https://example.com/dlr?a=1&amp;b=2 </DlrUrl>"
            "<DlrContent>order=42</DlrContent>"
        )
    )

    assert (message.dlr_type, message.dlr_url, message.dlr_content) == (
        2,
        "https://example.com/dlr?a=1&b=2",
        "order=42",
    )


def test_without_settings_there_are_none() -> None:
    _, [message] = read_send_document(sms(""))

    assert (message.dlr_type, message.dlr_url, message.dlr_content) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "dlr_type"),
    [
        pytest.param("1", 1, id="get"),
        pytest.param("2", 2, id="form-post"),
        pytest.param("3", 3, id="xml"),
        pytest.param(" 4 ", 4, id="xml-batch-padded"),
        pytest.param("0", None, id="zero"),
        pytest.param("5", None, id="five"),
        pytest.param("two", None, id="text"),
        pytest.param("²", None, id="unicode-digit"),
        pytest.param("", None, id="empty"),
    ],
)
def test_only_the_documented_dlr_types_are_read(text, dlr_type) -> None:
    _, [message] = read_send_document(sms(f"<DlrType>{text}</DlrType>"))

    assert message.dlr_type == dlr_type


def test_a_blank_dlr_url_is_none() -> None:
    _, [message] = read_send_document(sms("<DlrType>1</DlrType><DlrUrl>  </DlrUrl>"))

    assert message.dlr_url is None
