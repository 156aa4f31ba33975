"""Reply codes given out by the receiver, served for real on a migrated Airflow database (Airflow 3.3+).

The notifier asks the receiver for a code (``POST .../hitl-codes``), because only the
receiver sees every waiting request. These tests fill the database as Airflow leaves it and
check the promise: a code is never given to two requests that wait at the same time, even
when reservations arrive together and the codes run out.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.receiver.conftest import needs_store
from tests.receiver.running import TOKEN
from tests.receiver.test_hitl_answers import NOW, codes_of, task_of, waiting_request

pytestmark = needs_store
EVERY_CODE = [f"{number:04d}" for number in range(10_000)]


def reserve(receiver: Any, task: dict[str, Any], token: str | None = TOKEN) -> requests.Response:
    headers = {"X-Clockwork-Token": token} if token else {}
    return requests.post(receiver.url("hitl-codes", token=None), json=task, headers=headers, timeout=60)


def requests_holding(receiver: Any, codes: list[str]) -> None:
    """One waiting request per code, all in one DAG run (quicker than a run each)."""
    run_id = f"busy_{uuid.uuid4().hex[:8]}"
    with sqlite3.connect(receiver.database, timeout=30) as db:
        run = db.execute(
            "INSERT INTO dag_run (dag_id, run_id, run_type, run_after, state)"
            " VALUES ('busy_dag', ?, 'manual', ?, 'running')",
            (run_id, NOW),
        ).lastrowid
        rows = [(uuid.uuid4().hex, f"ask_{code}", code) for code in codes]
        db.executemany(
            "INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, try_number, pool,"
            " pool_slots, state) VALUES (?, ?, 'busy_dag', ?, -1, 1, 'default_pool', 1, 'awaiting_input')",
            [(ti_id, task_id, run_id) for ti_id, task_id, _ in rows],
        )
        db.executemany(
            "INSERT INTO hitl_detail (ti_id, options, subject, multiple, params, created_at, params_input)"
            " VALUES (?, '[\"Approve\", \"Reject\"]', 'Go?', 0, '{}', ?, '{}')",
            [(ti_id, NOW) for ti_id, _, _ in rows],
        )
        db.executemany(
            "INSERT INTO task_state_store (dag_run_id, task_id, map_index, key, dag_id, run_id, value,"
            " updated_at) VALUES (?, ?, -1, ?, 'busy_dag', ?, ?, ?)",
            [
                (run, task_id, f"clockwork_hitl/{code}", run_id, '{"conn_id": "clockwork_default"}', NOW)
                for _, task_id, code in rows
            ],
        )


def test_a_waiting_request_gets_a_code_kept_in_its_task_state_store(no_codes):
    ti_id = waiting_request(no_codes, code=None)

    answer = reserve(no_codes, task_of(no_codes, ti_id))

    assert answer.status_code == 200, answer.text
    code = answer.json()["code"]
    assert codes_of(no_codes, ti_id) == {code: {"conn_id": "clockwork_default", "to": []}}


def test_no_code_is_given_twice_while_its_request_waits_even_to_reservations_at_once(no_codes):
    free = ["0042", "7311"]
    requests_holding(no_codes, [code for code in EVERY_CODE if code not in free])
    asking = [task_of(no_codes, waiting_request(no_codes, code=None)) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda task: reserve(no_codes, task), asking))

    assert all(answer.status_code != 500 for answer in answers), no_codes.log[-6000:]
    given = sorted(answer.json()["code"] for answer in answers if answer.status_code == 200)
    refused = [answer for answer in answers if answer.status_code != 200]
    assert given == free
    assert [(answer.status_code, answer.json()["detail"]) for answer in refused] == [
        (503, "All 10000 reply codes name a waiting request.")
    ]


def test_a_new_try_gets_a_new_code_and_the_old_one_is_dropped(no_codes):
    ti_id = waiting_request(no_codes, code="1234")

    code = reserve(no_codes, task_of(no_codes, ti_id)).json()["code"]

    assert list(codes_of(no_codes, ti_id)) == [code]


def test_a_task_that_does_not_wait_for_an_answer_gets_no_code(no_codes):
    ti_id = waiting_request(no_codes, code=None)
    with sqlite3.connect(no_codes.database, timeout=30) as db:
        db.execute("UPDATE task_instance SET state = 'success' WHERE id = ?", (ti_id,))
    task = task_of(no_codes, ti_id)

    answer = reserve(no_codes, task)

    assert answer.status_code == 404
    assert answer.json()["detail"] == (
        f"No Human-in-the-loop request of hitl_dag.ask in {task['run_id']} waits for an answer."
    )
    assert codes_of(no_codes, ti_id) == {}


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("wrong-token-0123456789", 404)],
)
def test_a_reservation_needs_the_token(no_codes, token, status):
    ti_id = waiting_request(no_codes, code=None)

    assert reserve(no_codes, task_of(no_codes, ti_id), token=token).status_code == status
    assert codes_of(no_codes, ti_id) == {}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"dag_id": "d", "run_id": "r"}, "The body's task_id must be given"),
        ({"dag_id": "d", "run_id": "r", "task_id": "t", "map_index": "0"}, "The body's map_index"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_a_reservation_names_what_its_body_lacks(no_codes, body, detail):
    answer = reserve(no_codes, body)

    assert answer.status_code == 400
    assert detail in answer.json()["detail"]


def test_a_body_that_is_no_json_is_refused(no_codes):
    answer = requests.post(
        no_codes.url("hitl-codes", token=None),
        data=b"dag_id=d",
        headers={"X-Clockwork-Token": TOKEN},
        timeout=60,
    )

    assert (answer.status_code, answer.json()["detail"][:21]) == (400, "The body is not JSON:")


def test_the_token_is_in_no_log_line(no_codes):
    reserve(no_codes, task_of(no_codes, waiting_request(no_codes, code=None)))

    logged = no_codes.wait_for_log("reply code was reserved for hitl_dag.ask in ")
    assert TOKEN not in logged
    assert json.dumps(TOKEN) not in logged
