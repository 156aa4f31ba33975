"""ClockworkSendSmsOperator in real `airflow dags test` runs: XCom, errors, retries, secrets."""

from __future__ import annotations

import re

import pytest

from airflow_provider_clockwork.protocol.delivery import parse_form_receipt
from tests.conftest import TEST_KEY
from tests.emulator.receiver import running_receiver

pytestmark = pytest.mark.dags_test

NUMBERS = [f"4477009{index:05d}" for index in range(120)]


def run_send(airflow_home, emulator, to, content, retries=0, **env):
    return airflow_home.dags_test(
        "clockwork_test_send",
        connection_json=emulator.connection_json(),
        AIRFLOW_VAR_CLOCKWORK_TEST_TO=to,
        AIRFLOW_VAR_CLOCKWORK_TEST_CONTENT=content,
        CLOCKWORK_TEST_RETRIES=str(retries),
        **env,
    )


def listed_at_info(output: str, pattern: str) -> list[tuple[int, list[str]]]:
    """Each line matching ``pattern`` (a count, then a sample): the count and the numbers named.

    The sample names at most 10 numbers, then how many more, and they add up to the count.
    Airflow 2.11's ``dags test`` prints each line twice: a line is taken once.
    """
    found = []
    for count_text, sample in dict.fromkeys(re.findall(pattern, output)):
        count = int(count_text)
        shown, _, rest = sample.partition(" and ")
        named = shown.split(", ")
        assert len(named) == min(count, 10), sample
        assert rest == (f"{count - 10:,} more" if count > 10 else ""), sample
        found.append((count, named))
    return found


def times_texted(emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in emulator.messages():
        counts[message["to"]] = counts.get(message["to"], 0) + 1
    return counts


def test_refused_number_fails_the_task_after_sending_the_rest(airflow_home, clockwork_emulator):
    clockwork_emulator.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    run = run_send(airflow_home, clockwork_emulator, "447700900123, 447700900456, 447700900789", "Hi")

    assert run.task_states["send"] == "failed"
    sent = {m["to"]: m["id"] for m in clockwork_emulator.messages()}
    assert set(sent) == {"447700900123", "447700900789"}
    assert run.xcom("send", "message_ids") == sent
    assert run.xcom("send") is None
    assert "447700900456: Error 10: Invalid 'To' Parameter" in run.output


def test_unicode_content_arrives_intact(airflow_home, clockwork_emulator):
    run = run_send(airflow_home, clockwork_emulator, "447700900123", "Łódź: załadowano ✓ 🚀")

    assert run.state == "success", run.output[-5000:]
    (message,) = clockwork_emulator.messages()
    assert (message["content"], message["msg_type"]) == ("Łódź: załadowano ✓ 🚀", "UCS2")
    assert run.xcom("send") == {"447700900123": message["id"]}


def test_replaced_characters_keep_the_text_to_gsm7(airflow_home, clockwork_emulator):
    run = run_send(
        airflow_home,
        clockwork_emulator,
        "447700900123",
        "Łódź load done — it’s fine",
        CLOCKWORK_TEST_INVALID_CHAR_ACTION="replace",
    )

    assert run.state == "success", run.output[-5000:]
    (message,) = clockwork_emulator.messages()
    assert (message["content"], message["msg_type"]) == ("Lodz load done - it's fine", "TEXT")
    assert run.xcom("send") == {"447700900123": message["id"]}
    assert 'the text arrives as "Lodz load done - it\'s fine"' in run.output


def test_error_action_fails_the_task_before_any_request(airflow_home, clockwork_emulator):
    run = run_send(
        airflow_home,
        clockwork_emulator,
        "447700900123",
        "Łódź load done",
        CLOCKWORK_TEST_INVALID_CHAR_ACTION="error",
    )

    assert run.task_states["send"] == "failed"
    assert "Content holds 'Łóź'" in run.output
    assert clockwork_emulator.requests() == []


def test_templated_receipt_request_brings_back_the_run_id(airflow_home, clockwork_emulator):
    with running_receiver() as receiver:
        run = airflow_home.dags_test(
            "clockwork_test_receipts",
            connection_json=clockwork_emulator.connection_json(),
            AIRFLOW_VAR_CLOCKWORK_TEST_TO="447700900123, 447700900456",
            AIRFLOW_VAR_CLOCKWORK_TEST_CONTENT="Nightly load done",
            AIRFLOW_VAR_CLOCKWORK_TEST_RECEIPT_URL=f"{receiver.url}/dlr",
        )
        assert run.state == "success", run.output[-5000:]
        assert clockwork_emulator.wait_for_callbacks(10.0)
        receipts = [parse_form_receipt(got.form()) for got in receiver.received()]

    assert {r.to: r.message_id for r in receipts} == run.xcom("send")
    assert all(r.extra == {"dag_id": "clockwork_test_receipts", "run_id": run.run_id} for r in receipts)


def test_retry_after_a_failed_batch_texts_each_number_exactly_once(airflow_home, clockwork_emulator):
    clockwork_emulator.inject({"kind": "delay", "seconds": 0}, {"kind": "status", "status": 502, "body": ""})

    run = run_send(airflow_home, clockwork_emulator, ",".join(NUMBERS), "Incident 42", retries=1)

    assert run.state == "success", run.output[-5000:]
    assert run.try_numbers["send"] == 2
    assert times_texted(clockwork_emulator) == dict.fromkeys(NUMBERS, 1)
    ids = {m["to"]: m["id"] for m in clockwork_emulator.messages()}
    assert run.xcom("send") == ids
    # Try 1: one batch answered 502 (none starts after it, those in flight finish); try 2 sends
    # what got no ID: that batch again, and any batch try 1 had not started. Only the failed
    # batch's numbers are requested twice.
    requests = clockwork_emulator.requests()
    (failed,) = [r for r in requests if r["fault"] and r["fault"]["kind"] == "status"]
    after_failure = {n for r in requests[requests.index(failed) + 1 :] for n in r["numbers"]}
    assert set(failed["numbers"]) <= after_failure
    assert sum(len(r["numbers"]) for r in requests) == len(NUMBERS) + len(failed["numbers"])
    # Phone numbers are personal data: INFO lines give counts and at most 10 numbers.
    texting = listed_at_info(run.output, r"Texting (\d+) number\(s\) \((.*?)\), ")
    (skipped,) = listed_at_info(
        run.output, r"(\d+) number\(s\) got a message ID in an earlier try and are skipped: (.*?)\.(?:\s|$)"
    )
    assert [count for count, _ in texting] == [len(NUMBERS), len(NUMBERS) - skipped[0]]
    assert (
        f"Clockwork accepted {len(NUMBERS) - skipped[0]} number(s) in this try; {len(NUMBERS)} have a "
        f"message ID, {skipped[0]} of them from earlier tries."
    ) in run.output
    assert "Texting: " not in run.output  # the full list is a DEBUG line
    # The failed batch's numbers were in doubt (a 502 may come after Clockwork acted): the retry says so.
    (again,) = listed_at_info(
        run.output,
        r"(\d+) number\(s\) may have been texted by an earlier try .*? text twice: (.*?)\.(?:\s|$)",
    )
    assert again == (len(failed["numbers"]), failed["numbers"][:10])


def test_retry_after_a_partial_error_texts_each_number_exactly_once(airflow_home, clockwork_emulator):
    # Error 3 (no credit) is transient: the retry may succeed, so Airflow must retry.
    clockwork_emulator.refuse("447700900456", code=3, description="Insufficient Credits Available", times=1)

    run = run_send(airflow_home, clockwork_emulator, "447700900123, 447700900456", "Hi", retries=1)

    assert run.state == "success", run.output[-5000:]
    assert run.try_numbers["send"] == 2
    assert times_texted(clockwork_emulator) == {"447700900123": 1, "447700900456": 1}
    assert run.xcom("send") == {m["to"]: m["id"] for m in clockwork_emulator.messages()}


def test_permanent_refusal_fails_without_using_the_retries(airflow_home, clockwork_emulator):
    # Error 10 (invalid number) is permanent: every retry would get the same answer.
    clockwork_emulator.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    run = run_send(airflow_home, clockwork_emulator, "447700900123, 447700900456", "Hi", retries=2)

    assert run.task_states["send"] == "failed"
    assert run.try_numbers["send"] == 1
    assert [len(r["numbers"]) for r in clockwork_emulator.requests()] == [2]
    assert run.xcom("send", "message_ids") == {m["to"]: m["id"] for m in clockwork_emulator.messages()}
    assert "447700900456: Error 10: Invalid 'To' Parameter" in run.output


def test_key_never_reaches_logs_or_xcom(airflow_home, clockwork_emulator):
    clockwork_emulator.refuse("447700900456", code=10, description="Invalid 'To' Parameter")

    run = run_send(airflow_home, clockwork_emulator, "447700900123, 447700900456", "Hi")

    assert run.task_states["send"] == "failed"
    assert TEST_KEY not in run.output
    assert all(TEST_KEY not in repr(value) for value in run.xcoms.values())


# Where Airflow decides retry or not, one real run per failure class (the in-process table is
# tests/reliability/test_permanence.py). Already above: a transport error (the 502) and a
# retryable refusal (Error 3) are retried; a permanent refusal is not. Below: a permanent
# whole-request error, and bad input found before any request, fail once whatever `retries`.


def test_a_permanent_whole_request_error_fails_without_using_the_retries(airflow_home, clockwork_emulator):
    run = airflow_home.dags_test(
        "clockwork_test_send",
        connection_json=clockwork_emulator.connection_json(key="not-the-key"),
        AIRFLOW_VAR_CLOCKWORK_TEST_TO="447700900123, 447700900456",
        AIRFLOW_VAR_CLOCKWORK_TEST_CONTENT="Hi",
        CLOCKWORK_TEST_RETRIES="2",
    )

    assert run.task_states["send"] == "failed"
    assert run.try_numbers["send"] == 1
    assert len(clockwork_emulator.requests()) == 1
    assert clockwork_emulator.messages() == []
    assert "Not retried: Clockwork's Error 2 is permanent." in run.output


def test_bad_input_fails_once_without_any_request(airflow_home, clockwork_emulator):
    run = run_send(airflow_home, clockwork_emulator, "447700900123, 07700 900456", "Hi", retries=2)

    assert run.task_states["send"] == "failed"
    assert "'07700 900456'" in run.output
    assert clockwork_emulator.requests() == []
    assert run.try_numbers["send"] == 1
