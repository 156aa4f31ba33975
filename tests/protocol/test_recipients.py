"""Recipient numbers: the forms users write, the form Clockwork gets, and what is refused."""

from __future__ import annotations

import math

import pytest

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.recipients import (
    batches,
    normalise_number,
    normalise_recipients,
)

UK = "447700900123"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param("447700900123", UK, id="already-clean"),
        pytest.param("+44 7700 900123", UK, id="plus-and-spaces"),
        pytest.param("0044 7700 900123", UK, id="double-zero-prefix"),
        pytest.param("(44) 7700-900.123", UK, id="brackets-dash-dot"),
        pytest.param("[44] 7700 900 123", UK, id="square-brackets"),
        pytest.param("+44-7700-900-123", UK, id="plus-and-dashes"),
        pytest.param("44\t7700\t900123", UK, id="tabs"),
        pytest.param("  447700900123  ", UK, id="surrounding-spaces"),
        pytest.param("+44\u00a07700\u00a0900123", UK, id="non-breaking-spaces"),
        pytest.param(447700900123, UK, id="int"),
        pytest.param("+1 (415) 555-0100", "14155550100", id="us-number"),
        pytest.param("1234567", "1234567", id="seven-digits-minimum"),
        pytest.param("123456789012345", "123456789012345", id="fifteen-digits-maximum"),
        pytest.param("+123456789012345", "123456789012345", id="fifteen-digits-after-plus"),
        pytest.param("00123456789012345", "123456789012345", id="fifteen-digits-after-00"),
        pytest.param(1234567, "1234567", id="int-seven-digits"),
    ],
)
def test_normalise_number_accepts(entry: object, expected: str) -> None:
    assert normalise_number(entry) == expected


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        pytest.param("447700900123", [UK], id="single-string"),
        pytest.param(447700900123, [UK], id="single-int"),
        pytest.param("447700900123,447700900124", [UK, "447700900124"], id="comma-string"),
        pytest.param(
            "447700900123 , +44 7700 900124,  0044 7700 900125",
            [UK, "447700900124", "447700900125"],
            id="comma-string-with-spaces",
        ),
        pytest.param(
            ["+44 7700 900123", 447700900124, "0044 7700 900125"],
            [UK, "447700900124", "447700900125"],
            id="list-of-str-and-int",
        ),
        pytest.param(("447700900124", "447700900123"), ["447700900124", UK], id="tuple-order-kept"),
        pytest.param(
            ["447700900125", "447700900123", "447700900124"],
            ["447700900125", "447700900123", "447700900124"],
            id="list-order-kept-not-sorted",
        ),
        pytest.param([UK, UK], [UK], id="exact-duplicate-once"),
        pytest.param(
            ["447700900124", "+44 7700 900123", 447700900123, "0044-7700-900.123", "447700900124"],
            ["447700900124", UK],
            id="duplicates-after-normalisation-once-first-order",
        ),
        pytest.param(
            "447700900123,447700900124,+447700900123",
            [UK, "447700900124"],
            id="duplicate-in-comma-string",
        ),
    ],
)
def test_normalise_recipients_accepts(to: object, expected: list[str]) -> None:
    assert normalise_recipients(to) == expected


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        pytest.param("44770090012a", "'44770090012a'", id="letter"),
        pytest.param("zzz", "'zzz'", id="letters-only"),
        pytest.param("07700900123", "'07700900123'", id="local-uk-leading-zero"),
        pytest.param("+07700900123", "'+07700900123'", id="plus-then-zero"),
        pytest.param("000447700900123", "'000447700900123'", id="triple-zero"),
        pytest.param("123456", "'123456'", id="six-digits-too-short"),
        pytest.param("+44 (0)7700 900123", "'+44 (0)7700 900123'", id="uk-trunk-zero-in-brackets"),
        pytest.param("+44 ( 0 ) 7700 900123", "'+44 ( 0 ) 7700 900123'", id="trunk-zero-spaced"),
        pytest.param(-447700900123, "-447700900123", id="negative-int"),
        pytest.param("+12 3456", "'+12 3456'", id="six-digits-after-decoration"),
        pytest.param("1234567890123456", "'1234567890123456'", id="sixteen-digits-too-long"),
        pytest.param(1234567890123456, "1234567890123456", id="int-sixteen-digits"),
        pytest.param(123456, "123456", id="int-six-digits"),
        pytest.param("++447700900123", "'++447700900123'", id="double-plus"),
        pytest.param("44+7700900123", "'44+7700900123'", id="plus-in-middle"),
        pytest.param("447700900123/4", "'447700900123/4'", id="slash"),
        pytest.param(
            "\u0664\u0664\u0667\u0667\u0660\u0660\u0669\u0660\u0660\u0661\u0662\u0663",
            "'\u0664\u0664\u0667\u0667\u0660\u0660\u0669\u0660\u0660\u0661\u0662\u0663'",
            id="arabic-indic-digits",
        ),
        pytest.param(
            "\uff14\uff14\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13",
            "'\uff14\uff14\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13'",
            id="fullwidth-digits",
        ),
        pytest.param("", "''", id="empty-string"),
        pytest.param("   ", "'   '", id="blank-string"),
        pytest.param(None, "None", id="none"),
        pytest.param(True, "True", id="bool"),
        pytest.param(447700900123.0, "447700900123.0", id="float"),
        pytest.param({"to": UK}, "{'to': '447700900123'}", id="dict"),
    ],
)
def test_normalise_number_refuses_naming_entry(entry: object, shown: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        normalise_number(entry)
    assert shown in str(caught.value)


@pytest.mark.parametrize(
    ("to", "shown"),
    [
        pytest.param([UK, ""], "''", id="empty-string-in-list"),
        pytest.param("447700900123,,447700900124", "''", id="double-comma"),
        pytest.param("447700900123,", "''", id="trailing-comma"),
        pytest.param("447700900123, ", "' '", id="trailing-comma-and-space"),
        pytest.param(",447700900123", "''", id="leading-comma"),
        pytest.param("a,,b", "'a'", id="a-double-comma-b"),
        pytest.param("", "''", id="empty-string"),
        pytest.param([], "[]", id="empty-list"),
        pytest.param((), "()", id="empty-tuple"),
        pytest.param(None, "None", id="none"),
        pytest.param(True, "True", id="bool-true"),
        pytest.param(447700900123.0, "447700900123.0", id="float"),
        pytest.param({"to": UK}, "{'to': '447700900123'}", id="dict"),
        pytest.param([UK, True], "True", id="bool-in-list"),
        pytest.param([UK, None], "None", id="none-in-list"),
        pytest.param([UK, 4.5], "4.5", id="float-in-list"),
        pytest.param([UK, "07700900123"], "'07700900123'", id="local-number-in-list"),
        pytest.param("447700900123, 07700 900124", "'07700 900124'", id="local-number-in-string-as-written"),
        pytest.param(
            [UK, "447700900123,447700900124"], "'447700900123,447700900124'", id="comma-string-inside-list"
        ),
    ],
)
def test_normalise_recipients_refuses_naming_entry(to: object, shown: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        normalise_recipients(to)
    assert shown in str(caught.value)


def test_bad_entry_is_refused_even_after_good_ones() -> None:
    good = [f"4477009{n:05d}" for n in range(60)]
    with pytest.raises(InvalidInputError, match="'12'"):
        normalise_recipients([*good, "12"])


def _numbers(count: int) -> list[str]:
    return [f"4477009{n:05d}" for n in range(count)]


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        pytest.param(0, [], id="none"),
        pytest.param(1, [1], id="one"),
        pytest.param(49, [49], id="forty-nine"),
        pytest.param(50, [50], id="fifty-one-batch"),
        pytest.param(51, [50, 1], id="fifty-one-two-batches"),
        pytest.param(100, [50, 50], id="hundred"),
        pytest.param(120, [50, 50, 20], id="hundred-twenty"),
    ],
)
def test_batches_of_fifty(count: int, sizes: list[int]) -> None:
    numbers = _numbers(count)
    groups = batches(numbers)
    assert [len(group) for group in groups] == sizes
    assert len(groups) == math.ceil(count / 50)
    assert [number for group in groups for number in group] == numbers


def test_batches_accept_any_iterable() -> None:
    assert batches(iter(_numbers(51))) == [_numbers(51)[:50], _numbers(51)[50:]]


def test_normalised_duplicates_cost_no_extra_batch() -> None:
    # 51 entries, but two spell the same number: one request, not two.
    entries = [*_numbers(50), "+44 7700 900000"]
    assert [len(group) for group in batches(normalise_recipients(entries))] == [50]
