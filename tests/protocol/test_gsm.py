"""Which texts travel as GSM-7, how a handset counts them, and how many parts they take."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol.gsm import (
    InvalidCharAction,
    gsm7_equivalent,
    is_gsm7,
    measure,
    non_gsm7_characters,
)

EMOJI = "\U0001f600"  # 😀, outside the Basic Multilingual Plane


@pytest.mark.parametrize(
    ("text", "gsm", "length"),
    [
        pytest.param("Hello world", True, 11, id="plain-ascii"),
        pytest.param("Job 42 failed: see log @ 10:15!", True, 31, id="digits-punctuation"),
        pytest.param("line1\nline2\r\n", True, 13, id="cr-lf"),
        pytest.param("é", True, 1, id="e-acute"),
        pytest.param("Ä", True, 1, id="a-umlaut-upper"),
        pytest.param("ñ", True, 1, id="n-tilde"),
        pytest.param("Ç", True, 1, id="c-cedilla-upper-is-gsm"),
        pytest.param("£$¥¤§¿¡", True, 7, id="currency-and-inverted-marks"),
        pytest.param("ΔΦΓΛΩΠΨΣΘΞ", True, 10, id="greek-capitals-in-table"),
        pytest.param("€", True, 2, id="euro"),
        pytest.param("[", True, 2, id="open-square"),
        pytest.param("]", True, 2, id="close-square"),
        pytest.param("{", True, 2, id="open-brace"),
        pytest.param("}", True, 2, id="close-brace"),
        pytest.param("~", True, 2, id="tilde"),
        pytest.param("|", True, 2, id="pipe"),
        pytest.param("\\", True, 2, id="backslash"),
        pytest.param("^", True, 2, id="caret"),
        pytest.param("\f", True, 2, id="form-feed"),
        pytest.param("a€b", True, 4, id="euro-between-letters"),
        pytest.param("{x}", True, 5, id="braces-around-letter"),
        pytest.param("ç", False, 1, id="c-cedilla-lower-is-not-gsm"),
        pytest.param("á", False, 1, id="a-acute-not-gsm"),
        pytest.param("`", False, 1, id="backtick-not-gsm"),
        pytest.param("\u2019", False, 1, id="curly-apostrophe-not-gsm"),
        pytest.param("\t", False, 1, id="tab-not-gsm"),
        pytest.param("\x1b", False, 1, id="bare-escape-not-text"),
        pytest.param("привет", False, 6, id="cyrillic"),
        pytest.param("你好世界", False, 4, id="cjk"),
        pytest.param(EMOJI, False, 2, id="emoji-two-units"),
        pytest.param("ok " + EMOJI, False, 5, id="ascii-plus-emoji"),
        pytest.param("€ç", False, 2, id="euro-counts-one-in-unicode"),
        pytest.param("{ç}", False, 3, id="braces-count-one-in-unicode"),
    ],
)
def test_encoding_and_length(text: str, gsm: bool, length: int) -> None:
    assert is_gsm7(text) is gsm
    size = measure(text)
    assert size.is_gsm7 is gsm
    assert size.length == length
    assert size.encoding == ("GSM-7" if gsm else "Unicode")


def test_one_non_gsm_character_makes_the_whole_text_unicode() -> None:
    text = "a" * 100 + "ç"
    size = measure(text)
    assert not size.is_gsm7
    assert size.length == 101
    assert size.parts == 2  # 101 > 70, and 101 <= 2 * 67


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        pytest.param("a", 1, id="gsm-1"),
        pytest.param("a" * 160, 1, id="gsm-160"),
        pytest.param("a" * 161, 2, id="gsm-161"),
        pytest.param("a" * 306, 2, id="gsm-306"),
        pytest.param("a" * 307, 3, id="gsm-307"),
        pytest.param("a" * 459, 3, id="gsm-459"),
        pytest.param("a" * 460, 4, id="gsm-460"),
        pytest.param("€" * 80, 1, id="gsm-80-euro-is-160"),
        pytest.param("€" * 80 + "a", 2, id="gsm-80-euro-plus-one"),
        pytest.param("ж", 1, id="unicode-1"),
        pytest.param("ж" * 70, 1, id="unicode-70"),
        pytest.param("ж" * 71, 2, id="unicode-71"),
        pytest.param("ж" * 134, 2, id="unicode-134"),
        pytest.param("ж" * 135, 3, id="unicode-135"),
        pytest.param("ж" * 201, 3, id="unicode-201"),
        pytest.param("ж" * 202, 4, id="unicode-202"),
        pytest.param(EMOJI * 35, 1, id="emoji-35-is-70-units"),
        pytest.param(EMOJI * 36, 2, id="emoji-36-is-72-units"),
    ],
)
def test_parts(text: str, parts: int) -> None:
    assert measure(text).parts == parts


@pytest.mark.parametrize(
    ("text", "single", "long"),
    [
        pytest.param("hello", 160, 459, id="gsm"),
        pytest.param("привет", 70, 201, id="unicode"),
    ],
)
def test_limits_follow_encoding(text: str, single: int, long: int) -> None:
    size = measure(text)
    assert size.single_limit == single
    assert size.long_limit == long


@pytest.mark.parametrize(
    ("char", "equivalent"),
    [
        pytest.param("a", "a", id="gsm-letter-kept"),
        pytest.param("€", "€", id="gsm-extension-kept"),
        pytest.param("\u2019", "'", id="curly-apostrophe"),
        pytest.param("\u201c", '"', id="curly-double-quote"),
        pytest.param("\u00ab", '"', id="guillemet"),
        pytest.param("`", "'", id="backtick"),
        pytest.param("\u2013", "-", id="en-dash"),
        pytest.param("\u2014", "-", id="em-dash"),
        pytest.param("\u2212", "-", id="minus-sign"),
        pytest.param("\u2026", "...", id="ellipsis-takes-three"),
        pytest.param("\u2022", "*", id="bullet"),
        pytest.param("\t", " ", id="tab"),
        pytest.param("á", "a", id="a-acute"),
        pytest.param("ç", "c", id="c-cedilla-lower"),
        pytest.param("Ő", "O", id="o-double-acute"),
        pytest.param("Ł", "L", id="l-stroke-no-decomposition"),
        pytest.param("đ", "d", id="d-stroke"),
        pytest.param("œ", "oe", id="oe-ligature"),
        pytest.param("\u00a0", " ", id="no-break-space"),
        pytest.param("\u2009", " ", id="thin-space"),
        pytest.param("\ufb01", "fi", id="fi-ligature"),
        pytest.param("\u2122", "TM", id="trade-mark"),
        pytest.param("\uff21", "A", id="full-width-letter"),
        pytest.param(EMOJI, "?", id="emoji"),
        pytest.param("你", "?", id="cjk"),
        pytest.param("ж", "?", id="cyrillic"),
        pytest.param("\u00bd", "?", id="half-decomposes-to-non-gsm-slash"),
        pytest.param("\u0301", "", id="lone-combining-accent"),
        pytest.param("\ufe0f", "", id="variation-selector"),
        pytest.param("\u200d", "", id="zero-width-joiner"),
        pytest.param("\U0001f3fd", "", id="skin-tone"),
    ],
)
def test_close_gsm7_equivalent_of_one_character(char: str, equivalent: str) -> None:
    assert gsm7_equivalent(char) == equivalent
    assert is_gsm7(equivalent)


@pytest.mark.parametrize(
    ("text", "replaced", "removed"),
    [
        pytest.param("Plain GSM text {ok} €5", "Plain GSM text {ok} €5", "Plain GSM text {ok} €5", id="gsm7"),
        pytest.param(
            "Load done \u2014 it\u2019s fine\u2026",
            "Load done - it's fine...",
            "Load done  its fine",
            id="typography",
        ),
        pytest.param("Zoë Brontë & Ágnes", "Zoe Bronte & Agnes", "Zo Bront & gnes", id="accents"),
        pytest.param("Deploy \U0001f680 ok", "Deploy ? ok", "Deploy  ok", id="emoji"),
        pytest.param("col1\tcol2", "col1 col2", "col1col2", id="tab"),
        pytest.param("cafe\u0301", "café", "café", id="accent-typed-as-a-separate-mark-joins-its-letter"),
        pytest.param("a\u0301 ok", "a ok", " ok", id="decomposed-non-gsm-letter"),
        pytest.param(
            "\u2764\ufe0f love", "? love", " love", id="variation-selector-is-not-a-second-question-mark"
        ),
        pytest.param("\U0001f44d\U0001f3fd", "?", "", id="skin-tone-goes-with-its-emoji"),
        pytest.param("x\u200by\u00adz", "xyz", "xyz", id="zero-width-space-and-soft-hyphen"),
    ],
)
def test_replace_and_remove_keep_text_to_gsm7(text: str, replaced: str, removed: str) -> None:
    assert InvalidCharAction.REPLACE.apply(text) == replaced
    assert InvalidCharAction.REMOVE.apply(text) == removed
    assert InvalidCharAction.ERROR.apply(text) == text
    assert is_gsm7(replaced) and is_gsm7(removed)


def test_non_gsm7_characters_are_listed_once_in_order() -> None:
    assert non_gsm7_characters("ça\u2019ç\u2019 ok \U0001f680") == ["ç", "\u2019", "\U0001f680"]
    assert non_gsm7_characters("all GSM {€}") == []
