"""Content and sender checks: what a message may hold before anything is sent."""

from __future__ import annotations

import re

import pytest

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction
from airflow_provider_clockwork.protocol.message import (
    check_content,
    check_invalid_char_action,
    check_sender,
    prepare_message,
)

EMOJI = "\U0001f600"


@pytest.mark.parametrize(
    ("content", "long"),
    [
        pytest.param("Hello", False, id="short"),
        pytest.param("a" * 160, False, id="gsm-160"),
        pytest.param("€" * 80, False, id="euro-80-is-160"),
        pytest.param("€" * 79 + "ab", False, id="euro-79-plus-2-is-160"),
        pytest.param("ж" * 70, False, id="unicode-70"),
        pytest.param(EMOJI * 35, False, id="emoji-35-is-70-units"),
        pytest.param("a" * 161, True, id="long-gsm-161"),
        pytest.param("a" * 459, True, id="long-gsm-459"),
        pytest.param("€" * 229 + "a", True, id="long-euro-229-plus-1-is-459"),
        pytest.param("ж" * 71, True, id="long-unicode-71"),
        pytest.param("ж" * 201, True, id="long-unicode-201"),
        pytest.param(EMOJI * 100 + "a", True, id="long-emoji-100-plus-1-is-201"),
        pytest.param("a" * 10, True, id="long-flag-on-short-text"),
    ],
)
def test_content_within_limits_is_accepted_unchanged(content: str, long: bool) -> None:
    message = prepare_message(content, long=long)
    assert message.content == content
    assert message.long is long


@pytest.mark.parametrize(
    ("content", "length"),
    [
        pytest.param("a" * 161, "161", id="gsm-161"),
        pytest.param("a" * 300, "300", id="gsm-300"),
        pytest.param("€" * 81, "162", id="euro-81-is-162"),
        pytest.param("€" * 80 + "a", "161", id="euro-80-plus-1-is-161"),
        pytest.param("ж" * 71, "71", id="unicode-71"),
        pytest.param("a" * 100 + "ç", "101", id="one-non-gsm-char-drops-limit-to-70"),
        pytest.param(EMOJI * 36, "72", id="emoji-36-is-72-units"),
        pytest.param(EMOJI * 35 + "a", "71", id="emoji-35-plus-1-is-71"),
    ],
)
def test_over_one_message_without_long_says_use_long(content: str, length: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        prepare_message(content)
    text = str(caught.value)
    assert "long=True" in text
    assert length in text


@pytest.mark.parametrize(
    ("content", "length", "limit"),
    [
        pytest.param("a" * 460, "460", "459", id="gsm-460"),
        pytest.param("€" * 230, "460", "459", id="euro-230-is-460"),
        pytest.param("ж" * 202, "202", "201", id="unicode-202"),
        pytest.param(EMOJI * 101, "202", "201", id="emoji-101-is-202-units"),
    ],
)
def test_over_three_parts_with_long_fails(content: str, length: str, limit: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        prepare_message(content, long=True)
    text = str(caught.value)
    assert length in text
    assert limit in text


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        pytest.param(None, "None", id="none"),
        pytest.param("", "''", id="empty"),
        pytest.param("   ", "'   '", id="spaces"),
        pytest.param("\n\t \r\n", r"'\n\t \r\n'", id="line-breaks-and-tabs-only"),
        pytest.param(["hi"], "['hi']", id="list"),
        pytest.param(True, "True", id="bool"),
    ],
)
def test_empty_or_non_text_content_fails(content: object, shown: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_content(content, long=False)
    assert shown in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("line one\nline two", id="lf"),
        pytest.param("line one\r\nline two", id="crlf"),
        pytest.param("line one\rline two", id="cr"),
        pytest.param("col1\tcol2", id="tab"),
        pytest.param("\nleading and trailing\n", id="surrounding-newlines"),
        pytest.param("  padded  ", id="surrounding-spaces"),
        pytest.param("page\fbreak", id="form-feed-in-gsm-text"),
    ],
)
def test_text_whitespace_is_kept_intact(content: str) -> None:
    assert prepare_message(content).content == content


@pytest.mark.parametrize(
    "char",
    [
        pytest.param("\x00", id="nul"),
        pytest.param("\x07", id="bell"),
        pytest.param("\x08", id="backspace"),
        pytest.param("\x0b", id="vertical-tab"),
        pytest.param("\x1b", id="escape"),
        pytest.param("\x7f", id="delete"),
        pytest.param("\x85", id="c1-next-line"),
    ],
)
def test_stray_control_character_fails_naming_it(char: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        prepare_message(f"Job failed{char} at noon")
    assert repr(char) in str(caught.value)


@pytest.mark.parametrize(
    "char",
    [
        pytest.param("\f", id="form-feed"),
        pytest.param("\ufffe", id="noncharacter-fffe"),
        pytest.param("\uffff", id="noncharacter-ffff"),
    ],
)
def test_unicode_text_refuses_characters_xml_cannot_carry(char: str) -> None:
    # Unicode text goes out as an XML document, and XML 1.0 has no way to write these.
    with pytest.raises(InvalidInputError) as caught:
        prepare_message(f"Привет{char}мир")
    assert repr(char) in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("bad \ud83d half emoji", id="lone-high-surrogate"),
        pytest.param("bad \ude00", id="lone-low-surrogate"),
    ],
)
def test_lone_surrogate_fails_as_invalid_input(content: str) -> None:
    with pytest.raises(InvalidInputError, match=r"Content holds '\\ud[0-9a-f]{3}', which cannot be sent"):
        prepare_message(content)


@pytest.mark.parametrize(
    ("content", "gsm"),
    [
        pytest.param("Hello", True, id="gsm"),
        pytest.param("Привет", False, id="unicode"),
        pytest.param("ok " + EMOJI, False, id="emoji"),
    ],
)
def test_message_knows_whether_it_needs_unicode(content: str, gsm: bool) -> None:
    assert prepare_message(content).needs_unicode is not gsm


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("Acme", "Acme", id="short-text"),
        pytest.param("Acme Alerts", "Acme Alerts", id="text-11"),
        pytest.param("ACME-OPS.01", "ACME-OPS.01", id="text-11-punctuation"),
        pytest.param("447700900123", "447700900123", id="digits-12"),
        pytest.param("12345678901", "12345678901", id="digits-11"),
        pytest.param(447700900123, "447700900123", id="int-12-digits"),
        pytest.param(43704, "43704", id="int-short-code"),
    ],
)
def test_sender_accepted(sender: object, expected: str | None) -> None:
    assert check_sender(sender) == expected
    assert prepare_message("hi", sender=sender).sender == expected


@pytest.mark.parametrize(
    ("sender", "shown"),
    [
        pytest.param("Acme Alerts!", "'Acme Alerts!'", id="text-12"),
        pytest.param("A" * 20, "'" + "A" * 20 + "'", id="text-20"),
        pytest.param("4477009001234", "'4477009001234'", id="digits-13"),
        pytest.param(4477009001234, "'4477009001234'", id="int-13-digits"),
        pytest.param("+447700900123", "'+447700900123'", id="plus-makes-13-characters"),
        pytest.param("", "''", id="empty"),
        pytest.param("   ", "'   '", id="blank"),
        pytest.param("Acme\r", r"'Acme\r'", id="cr"),
        pytest.param("Ac\nme", r"'Ac\nme'", id="lf"),
        pytest.param("Ac\tme", r"'Ac\tme'", id="tab"),
        pytest.param("Acme\x00", r"'Acme\x00'", id="nul"),
        pytest.param("Привет", "'Привет'", id="non-gsm-letters"),
        pytest.param(True, "True", id="bool"),
        pytest.param(4.5, "4.5", id="float"),
        pytest.param(["Acme"], "['Acme']", id="list"),
    ],
)
def test_sender_refused_naming_it(sender: object, shown: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_sender(sender)
    assert shown in str(caught.value)
    with pytest.raises(InvalidInputError, match=f"^Sender {re.escape(shown)} "):
        prepare_message("hi", sender=sender)


def test_content_is_checked_before_sender_is_used() -> None:
    # Both wrong: the call fails either way, and never yields a half-checked message.
    with pytest.raises(InvalidInputError, match="Content '' is empty"):
        prepare_message("", sender="Acme Alerts!")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="unset"),
        pytest.param("error", InvalidCharAction.ERROR, id="error"),
        pytest.param("remove", InvalidCharAction.REMOVE, id="remove"),
        pytest.param("replace", InvalidCharAction.REPLACE, id="replace"),
        pytest.param(" Replace ", InvalidCharAction.REPLACE, id="any-case-and-spaces"),
        pytest.param(1, InvalidCharAction.ERROR, id="clockwork-1"),
        pytest.param(2, InvalidCharAction.REMOVE, id="clockwork-2"),
        pytest.param(3, InvalidCharAction.REPLACE, id="clockwork-3"),
        pytest.param(InvalidCharAction.REMOVE, InvalidCharAction.REMOVE, id="member"),
    ],
)
def test_invalid_char_action_accepted(value: object, expected: InvalidCharAction | None) -> None:
    assert check_invalid_char_action(value) is expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("strip", "'strip'", id="unknown-word"),
        pytest.param("", "''", id="empty"),
        pytest.param(0, "0", id="zero"),
        pytest.param(4, "4", id="four"),
        pytest.param(True, "True", id="bool"),
        pytest.param(["replace"], "['replace']", id="list"),
        pytest.param("None", "'None'", id="rendered-none"),
    ],
)
def test_invalid_char_action_refused_naming_the_value(value: object, shown: str) -> None:
    with pytest.raises(InvalidInputError, match="'error', 'remove', 'replace'") as raised:
        prepare_message("Hi", invalid_char_action=value)
    assert f"invalid_char_action {shown} " in str(raised.value)


ACCENTED_160 = "Ágnes " + "a" * 154  # one character outside GSM-7 makes it Unicode: 160 > 70


@pytest.mark.parametrize(
    ("content", "action", "arrives_as", "length", "encoding", "xml"),
    [
        pytest.param(
            ACCENTED_160, "replace", "Agnes " + "a" * 154, 160, "GSM-7", True, id="replace-keeps-160"
        ),
        pytest.param(ACCENTED_160, "remove", "gnes " + "a" * 154, 159, "GSM-7", True, id="remove-keeps-160"),
        pytest.param("Done \u2014 ok", "replace", "Done - ok", 9, "GSM-7", True, id="replace-dash"),
        pytest.param("GSM {ok}", "replace", "GSM {ok}", 10, "GSM-7", False, id="gsm7-text-goes-http"),
        pytest.param("GSM {ok}", "error", "GSM {ok}", 10, "GSM-7", False, id="error-passes-gsm7-text"),
        pytest.param("Łódź ✓", None, "Łódź ✓", 6, "Unicode", True, id="unset-sends-unicode"),
    ],
)
def test_invalid_char_action_measures_the_text_as_it_arrives(
    content: str, action: str | None, arrives_as: str, length: int, encoding: str, xml: bool
) -> None:
    message = prepare_message(content, invalid_char_action=action)

    assert message.content == content
    assert message.arrives_as == arrives_as
    assert (message.measure.length, message.measure.encoding) == (length, encoding)
    assert message.needs_xml is xml


def test_unicode_text_over_70_needs_long_unless_replaced() -> None:
    with pytest.raises(InvalidInputError, match="160 Unicode characters, over the 70"):
        prepare_message(ACCENTED_160)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param("\U0001f680" * 36, "72 Unicode characters, over the 70 of one message (as", id="emoji"),
        pytest.param("{" * 81, "162 GSM-7 characters, over the 160 of one message (as a", id="extension"),
        pytest.param("a" * 161, "161 GSM-7 characters, over the 160 of one message; use", id="plain"),
    ],
)
def test_a_length_a_user_would_not_count_says_how_it_is_counted(content: str, says: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(says)):
        prepare_message(content)


def test_error_action_refuses_text_outside_gsm7_naming_the_characters() -> None:
    with pytest.raises(InvalidInputError, match="invalid_char_action='error'") as raised:
        prepare_message("Zoë\u2019s build \U0001f680 failed", invalid_char_action="error")
    assert "'ë\u2019\U0001f680'" in str(raised.value)  # ë is not GSM-7 (è and é are)


def test_replacing_can_push_a_text_over_its_limit_and_says_so() -> None:
    content = "a" * 158 + "\u2026"  # 159 as Unicode, 161 once the ellipsis becomes "..."
    with pytest.raises(InvalidInputError, match="161 GSM-7 characters once invalid_char_action='replace'"):
        prepare_message(content, invalid_char_action="replace", long=False)
    assert prepare_message(content, invalid_char_action="replace", long=True).measure.parts == 2


def test_removing_every_character_is_empty_content() -> None:
    with pytest.raises(InvalidInputError, match="empty once invalid_char_action='remove'"):
        prepare_message("\U0001f680\U0001f680", invalid_char_action="remove")


@pytest.mark.parametrize(
    ("options", "refused"),
    [
        pytest.param({}, False, id="gsm7-over-http-carries-form-feed"),
        pytest.param({"delivery_receipt": "https://example.com/dlr"}, True, id="receipt-means-xml"),
        pytest.param({"invalid_char_action": "replace"}, True, id="replace-means-xml"),
    ],
)
def test_form_feed_is_refused_whenever_the_message_goes_by_xml(options: dict, refused: bool) -> None:
    content = "Page 1\fPage 2 \u2014 end" if "invalid_char_action" in options else "Page 1\fPage 2"
    if not refused:
        assert prepare_message(content, **options).content == content
        return
    with pytest.raises(InvalidInputError, match="XML interface") as raised:
        prepare_message(content, **options)
    assert "'\\x0c'" in str(raised.value)
