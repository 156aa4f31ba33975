"""Personalised fan-out: ClockworkSendSmsOperator mapped over texts, numbers and kwargs, in real runs."""

from __future__ import annotations

import pytest

from tests.dags.clockwork_test_mapped import CONTENTS, NUMBERS

pytestmark = pytest.mark.dags_test

TEAM = ["447700900123", "447700900456"]


def run_mapped(airflow_home, emulator, dag_id: str, to: str = ""):
    return airflow_home.dags_test(
        dag_id, connection_json=emulator.connection_json(), AIRFLOW_VAR_CLOCKWORK_TEST_TO=to
    )


def test_expand_content_sends_each_text_to_the_team_one_request_per_instance(
    airflow_home, clockwork_emulator
):
    run = run_mapped(airflow_home, clockwork_emulator, "clockwork_test_mapped_content", ", ".join(TEAM))

    assert run.state == "success", run.output[-5000:]
    assert run.states_by_map_index("send") == dict.fromkeys(range(len(CONTENTS)), "success")
    messages = clockwork_emulator.messages()
    assert sorted((m["content"], m["to"]) for m in messages) == sorted(
        (content, number) for content in CONTENTS for number in TEAM
    )
    assert len(clockwork_emulator.requests()) == len(CONTENTS)  # each instance batches its numbers
    for index, returned in run.xcoms_by_map_index("send").items():
        sent = {m["to"]: m["id"] for m in messages if m["content"] == CONTENTS[index]}
        assert returned == sent
        assert list(returned) == TEAM


def test_expand_to_sends_one_request_per_number(airflow_home, clockwork_emulator):
    run = run_mapped(airflow_home, clockwork_emulator, "clockwork_test_mapped_to")

    assert run.state == "success", run.output[-5000:]
    assert run.states_by_map_index("send") == dict.fromkeys(range(len(NUMBERS)), "success")
    by_number = {m["to"]: m for m in clockwork_emulator.messages()}
    assert set(by_number) == set(NUMBERS)
    assert len(clockwork_emulator.requests()) == len(NUMBERS)
    returned = run.xcoms_by_map_index("send")
    for index, number in enumerate(NUMBERS):
        assert by_number[number]["content"] == f"Your number is entry {index} of the rota"
        assert returned[index] == {number: by_number[number]["id"]}


def test_expand_kwargs_sends_each_person_their_own_text(airflow_home, clockwork_emulator):
    people = ["447700900501", "447700900502", "447700900503"]

    run = run_mapped(airflow_home, clockwork_emulator, "clockwork_test_mapped_kwargs", ",".join(people))

    assert run.state == "success", run.output[-5000:]
    by_number = {m["to"]: m for m in clockwork_emulator.messages()}
    assert {n: by_number[n]["content"] for n in people} == {
        number: f"Hello {index}, your code is {1000 + index}" for index, number in enumerate(people)
    }
    assert run.xcoms_by_map_index("send") == {
        index: {number: by_number[number]["id"]} for index, number in enumerate(people)
    }
