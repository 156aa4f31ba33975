"""Cutting an alert to fit: exact at the limit, as a handset counts the text as it arrives."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol.fit import ELLIPSIS, cut_to_fit
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction
from airflow_provider_clockwork.protocol.message import prepare_message

EMOJI = "\U0001f600"  # two UTF-16 units
REPLACE, REMOVE, ERROR = InvalidCharAction.REPLACE, InvalidCharAction.REMOVE, InvalidCharAction.ERROR


@pytest.mark.parametrize(
    ("text", "long", "action"),
    [
        pytest.param("x" * 160, False, None, id="gsm-at-the-limit"),
        pytest.param("{" * 80, False, None, id="extension-at-the-limit"),
        pytest.param("ж" * 70, False, None, id="unicode-at-the-limit"),
        pytest.param("x" * 459, True, None, id="long-at-the-limit"),
        pytest.param("ł" * 160, False, REPLACE, id="replaced-at-the-limit"),
        pytest.param("é" * 100 + "ж" * 200, False, ERROR, id="error-refuses-rather-than-cuts"),
    ],
)
def test_text_that_fits_or_cannot_be_cut_is_left_alone(text, long, action) -> None:
    assert cut_to_fit(text, long, action) is None


@pytest.mark.parametrize(
    ("text", "long", "action", "kept", "length", "encoding"),
    [
        pytest.param("x" * 200, False, None, "x" * 157, 160, "GSM-7", id="gsm"),
        pytest.param("{" * 100, False, None, "{" * 78, 159, "GSM-7", id="extension-counts-two"),
        pytest.param("ж" * 100, False, None, "ж" * 67, 70, "Unicode", id="unicode"),
        pytest.param(EMOJI * 50, False, None, EMOJI * 33, 69, "Unicode", id="emoji-counts-two"),
        pytest.param("x" * 150 + "ж" * 20, False, None, "x" * 150, 153, "GSM-7", id="unicode-tail-cut-away"),
        pytest.param("x" * 500, True, None, "x" * 456, 459, "GSM-7", id="long"),
        pytest.param("ж" * 300, True, None, "ж" * 198, 201, "Unicode", id="long-unicode"),
        pytest.param("ł" * 200, False, REPLACE, "ł" * 157, 160, "GSM-7", id="replace-keeps-gsm"),
        pytest.param(
            "ж" * 10 + "x" * 200, False, REMOVE, "ж" * 10 + "x" * 157, 160, "GSM-7", id="removed-cost-0"
        ),
        pytest.param(
            "e\u0301" * 50, False, None, "e\u0301" * 33, 69, "Unicode", id="accent-stays-on-its-letter"
        ),
        pytest.param(
            "failed:   " + "x" * 200, False, None, "failed:   " + "x" * 147, 160, "GSM-7", id="inner-spaces"
        ),
        pytest.param(
            "x" * 156 + " " + "y" * 50, False, None, "x" * 156, 159, "GSM-7", id="space-before-cut-dropped"
        ),
    ],
)
def test_over_long_text_keeps_its_beginning_up_to_the_limit(
    text, long, action, kept, length, encoding
) -> None:
    cut = cut_to_fit(text, long, action)

    assert cut is not None
    assert cut.text == kept + ELLIPSIS
    assert (cut.length, cut.encoding) == (length, encoding)
    assert cut.dropped == len(text) - len(kept)
    message = prepare_message(cut.text, long=long, invalid_char_action=action)  # the send's own check passes
    assert message.measure.length == length


def longest_by_brute_force(text: str, long: bool, action: InvalidCharAction | None) -> str:
    """The oracle: try every beginning, longest first, with the send's own checks."""
    for end in range(len(text), 0, -1):
        candidate = text[:end].rstrip() + ELLIPSIS
        try:
            prepare_message(candidate, long=long, invalid_char_action=action)
        except ValueError:
            continue
        if end < len(text) and (text[end] in "\u0301\U0001f3fd" or text[end - 1] == "\u200d"):
            continue  # never split a letter from its accent or an emoji from its modifier
        return candidate
    raise AssertionError("nothing fits")


MIXED = "Load ~failed~ [x] {" + EMOJI + "} Zoë’s job €5 \u200d" + EMOJI + "\U0001f3fd ж " * 3


@pytest.mark.parametrize("action", [None, REPLACE, REMOVE])
@pytest.mark.parametrize("long", [False, True])
@pytest.mark.parametrize("repeat", [4, 9, 17])
def test_cut_is_the_longest_beginning_that_fits(action, long, repeat) -> None:
    text = MIXED * repeat
    try:
        prepare_message(text, long=long, invalid_char_action=action)
    except ValueError:
        fits = False
    else:
        fits = True

    cut = cut_to_fit(text, long, action)

    if fits:
        assert cut is None
    else:
        assert cut is not None
        assert cut.text == longest_by_brute_force(text, long, action)
