"""Human-in-the-loop by text: the question a phone receives, and how its reply is read."""

from __future__ import annotations

import pytest

from airflow_provider_clockwork.protocol.errors import InvalidInputError
from airflow_provider_clockwork.protocol.gsm import InvalidCharAction, measure
from airflow_provider_clockwork.protocol.hitl import (
    CODE_DIGITS,
    NoCodeFree,
    Reply,
    ReplyRefused,
    chosen_options,
    compose_question,
    parse_reply,
    pick_code,
    reply_instructions,
)

APPROVAL = ["Approve", "Reject"]
LOADS = ["Full", "Delta", "Skip"]


@pytest.mark.parametrize(
    ("options", "multiple", "expected"),
    [
        (APPROVAL, False, "Reply YES 4711 or NO 4711"),
        (["OK"], False, "Reply OK 4711"),
        (LOADS, False, "Reply Full 4711, Delta 4711 or Skip 4711"),
        (LOADS, True, "Reply one or more of Full, Delta, Skip, comma-separated, then 4711"),
        (["Only"], True, "Reply Only 4711"),
    ],
)
def test_reply_instructions(options, multiple, expected):
    assert reply_instructions(options, "4711", multiple) == expected


def test_a_question_that_fits_is_subject_and_instructions():
    text = compose_question("Approve backfill 2026-11-28?", reply_instructions(APPROVAL, "4711"))
    assert text == "Approve backfill 2026-11-28?\nReply YES 4711 or NO 4711"


@pytest.mark.parametrize(
    ("subject", "long", "limit"),
    [
        ("x" * 400, False, 160),
        ("x" * 600, True, 459),
        ("é" * 10 + "€" * 200, False, 160),  # extension characters count two
        ("Überprüfung " + "ж" * 200, False, 70),  # Unicode text
    ],
)
def test_only_the_subject_is_cut_and_the_text_fills_the_message(subject, long, limit):
    instructions = reply_instructions(LOADS, "0042")
    text = compose_question(subject, instructions, long)

    head, tail = text.rsplit("\n", 1)
    assert tail == instructions
    assert head.endswith("...")
    assert subject.startswith(head[:-3])
    assert measure(text).length <= limit
    one_more = subject[: len(head) - 2] + "...\n" + instructions
    assert measure(one_more).length > limit


def test_cutting_measures_the_text_as_invalid_char_action_sends_it():
    subject = "ж" * 300
    text = compose_question(subject, reply_instructions(APPROVAL, "1234"), action=InvalidCharAction.REPLACE)
    assert text.endswith("...\nReply YES 1234 or NO 1234")
    assert len(text) > 70  # measured as the replaced GSM-7 text, not as Unicode


def test_instructions_that_cannot_fit_are_refused_naming_them():
    options = [f"Option number {n} with a long label" for n in range(6)]
    with pytest.raises(InvalidInputError, match=r"reply instructions 'Reply Option number 0.*long=True"):
        compose_question("Pick", reply_instructions(options, "4711"))
    assert compose_question("Pick", reply_instructions(options, "4711"), long=True).startswith("Pick\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YES 4711", Reply("4711", "YES")),
        ("  no   4711 ", Reply("4711", "no")),
        ("4711 yes", Reply("4711", "yes")),
        ("Full, Delta 0042.", Reply("0042", "Full, Delta")),
        ("run full load 0042", Reply("0042", "run full load")),
        ("yes\n4711", Reply("4711", "yes")),
    ],
)
def test_replies_are_read_as_option_and_code(text, expected):
    assert parse_reply(text) == expected


@pytest.mark.parametrize("text", ["YES", "4711", "yes 471", "yes 47110", "RERUN load", "yes please"])
def test_texts_without_a_code_are_no_answer(text):
    assert parse_reply(text) is None


@pytest.mark.parametrize(
    ("choice", "options", "multiple", "expected"),
    [
        ("YES", APPROVAL, False, ["Approve"]),
        ("y", APPROVAL, False, ["Approve"]),
        ("No", APPROVAL, False, ["Reject"]),
        ("reject", APPROVAL, False, ["Reject"]),
        ("delta", LOADS, False, ["Delta"]),
        ("skip, FULL", LOADS, True, ["Full", "Skip"]),
        ("Full,Full", LOADS, True, ["Full"]),
        ("run  full", ["Run full", "Skip"], False, ["Run full"]),
    ],
)
def test_choices_name_offered_options(choice, options, multiple, expected):
    assert chosen_options(choice, options, multiple) == expected


@pytest.mark.parametrize(
    ("choice", "options", "multiple", "message"),
    [
        ("maybe", APPROVAL, False, r"'maybe' is not an option; the options are YES, NO\."),
        ("yes", LOADS, False, r"'yes' is not an option; the options are Full, Delta, Skip\."),
        ("Full, Delta", LOADS, False, r"'Full, Delta' is not an option"),
        ("Full, Later", LOADS, True, r"'Later' is not an option"),
        ("a", ["A", "a"], False, r"'a' names more than one option"),
        (" , ", LOADS, True, r"The reply names no option\."),
    ],
)
def test_choices_that_name_no_offered_option_are_refused(choice, options, multiple, message):
    with pytest.raises(ReplyRefused, match=message):
        chosen_options(choice, options, multiple)


EVERY_CODE = [f"{number:04d}" for number in range(10**CODE_DIGITS)]


def test_codes_are_random_digits_of_fixed_length():
    codes = {pick_code(()) for _ in range(200)}
    assert all(len(code) == CODE_DIGITS and code.isdigit() for code in codes)
    assert len(codes) > 150


def test_a_code_a_waiting_request_holds_is_never_given():
    in_use = EVERY_CODE[:-3]

    codes = {pick_code(in_use) for _ in range(100)}

    assert codes == set(EVERY_CODE[-3:])


def test_codes_used_lately_are_avoided_while_others_are_free():
    lately = EVERY_CODE[2:]

    assert {pick_code(["0000"], lately) for _ in range(20)} == {"0001"}


def test_codes_used_lately_are_given_before_none_at_all():
    assert pick_code(EVERY_CODE[1:], ["0000"]) == "0000"


def test_when_every_code_waits_there_is_none_to_give():
    with pytest.raises(NoCodeFree, match="All 10000 reply codes name a waiting request"):
        pick_code(EVERY_CODE)
