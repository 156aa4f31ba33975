"""Exactly once in real `airflow dags test` runs: tries that fail *after* their send, texts that
render differently in the retry, mapped siblings, personalised sends; and where the ledger is left.

Try 1 of each DAG in ``tests/dags/clockwork_test_exactly_once.py`` sends, then fails as
``CLOCKWORK_TEST_LATE_FAILURE`` says; Airflow decides the retry. The verdict is the
emulator's record (each number texted once), the XComs and the ledger in the run's own
metadata database (task state store on Airflow 3.3+, Variables before).
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.system.ledger_probe import ledger_chunks, ledger_ids

pytestmark = pytest.mark.dags_test

NUMBERS = ["447700900123", "447700900456", "447700900789"]


def run_late_failure(airflow_home, emulator, dag_id, late_failure, retries=1, try_in_text=False, to=NUMBERS):
    return airflow_home.dags_test(
        dag_id,
        connection_json=emulator.connection_json(),
        AIRFLOW_VAR_CLOCKWORK_TEST_TO=",".join(to),
        AIRFLOW_VAR_CLOCKWORK_TEST_CONTENT="Nightly load done",
        CLOCKWORK_TEST_TRY_IN_TEXT="1" if try_in_text else "",
        CLOCKWORK_TEST_LATE_FAILURE=late_failure,
        CLOCKWORK_TEST_RETRIES=str(retries),
    )


def texted(emulator, key="to") -> Counter[str]:
    return Counter(message[key] for message in emulator.messages())


@pytest.mark.parametrize(
    ("late_failure", "try_in_text"),
    [
        pytest.param("raise", False, id="subclass-raises-after-send"),
        pytest.param("xcom", True, id="xcom-push-fails-and-text-names-the-try"),
    ],
)
def test_a_try_that_fails_after_its_send_is_retried_without_texting_anyone_again(
    airflow_home, clockwork_emulator, late_failure, try_in_text
):
    run = run_late_failure(
        airflow_home, clockwork_emulator, "clockwork_test_late_failure", late_failure, 1, try_in_text
    )

    assert run.state == "success", run.output[-5000:]
    assert run.try_numbers["send"] == 2
    assert texted(clockwork_emulator) == dict.fromkeys(NUMBERS, 1)
    sent = {m["to"]: m["id"] for m in clockwork_emulator.messages()}
    assert run.xcom("send") == sent  # try 1's IDs, returned by try 2
    assert "3 number(s) got a message ID in an earlier try and are skipped" in run.output
    if try_in_text:
        assert {m["content"] for m in clockwork_emulator.messages()} == {"Nightly load done (try 1)"}
        assert "renders differently" in run.output
    assert ledger_chunks(airflow_home, run.dag_id, run.run_id, "send") == []  # gone after the success


def test_a_final_failure_after_the_send_leaves_the_ledger_with_every_id(airflow_home, clockwork_emulator):
    run = run_late_failure(
        airflow_home, clockwork_emulator, "clockwork_test_late_failure", "raise", retries=0
    )

    assert run.task_states["send"] == "failed"
    sent = {m["to"]: m["id"] for m in clockwork_emulator.messages()}
    assert set(sent) == set(NUMBERS)
    assert ledger_ids(ledger_chunks(airflow_home, run.dag_id, run.run_id, "send")) == sent


def test_a_mapped_instance_failing_after_its_send_retries_while_its_sibling_succeeds(
    airflow_home, clockwork_emulator
):
    run = run_late_failure(airflow_home, clockwork_emulator, "clockwork_test_late_failure_mapped", "raise")

    assert run.states_by_map_index("send") == {0: "success", 1: "success"}, run.output[-5000:]
    numbers = ["447700900501", "447700900502", "447700900503", "447700900504"]
    assert texted(clockwork_emulator) == dict.fromkeys(numbers, 1)
    sent = {m["to"]: m["id"] for m in clockwork_emulator.messages()}
    assert run.xcoms_by_map_index("send") == {
        0: {n: sent[n] for n in numbers[:2]},
        1: {n: sent[n] for n in numbers[2:]},
    }
    assert all(ledger_chunks(airflow_home, run.dag_id, run.run_id, "send", index) == [] for index in (0, 1))


def test_a_personalised_send_failing_after_its_send_is_retried_without_sending_again(
    airflow_home, clockwork_emulator
):
    run = run_late_failure(
        airflow_home, clockwork_emulator, "clockwork_test_late_failure_personalised", "raise", 1, True
    )

    assert run.state == "success", run.output[-5000:]
    assert run.try_numbers["send"] == 2
    assert texted(clockwork_emulator, "client_id") == {"ann": 1, "bob": 1, "ann-2": 1}
    assert run.xcom("send") == {m["client_id"]: m["id"] for m in clockwork_emulator.messages()}
    assert ledger_chunks(airflow_home, run.dag_id, run.run_id, "send") == []


def test_a_personalised_retry_after_a_partial_send_sends_only_the_refused_message(
    airflow_home, clockwork_emulator
):
    clockwork_emulator.refuse("447700900602", code=3, description="Insufficient Credits Available", times=1)

    run = run_late_failure(airflow_home, clockwork_emulator, "clockwork_test_late_failure_personalised", "")

    assert run.state == "success", run.output[-5000:]
    assert run.try_numbers["send"] == 2
    assert texted(clockwork_emulator, "client_id") == {"ann": 1, "bob": 1, "ann-2": 1}
    assert [request["numbers"] for request in clockwork_emulator.requests()][1:] == [["447700900602"]]
    assert run.xcom("send") == {m["client_id"]: m["id"] for m in clockwork_emulator.messages()}
