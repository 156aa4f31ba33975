"""The retry ledger: chunks per task instance, read back in order, in whatever store Airflow offers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_clockwork import ledger
from airflow_provider_clockwork.ledger import (
    MAX_CHUNK_ENTRIES,
    MemoryStore,
    SendLedger,
    TaskScope,
    TaskStateStore,
    VariableStore,
    chunk_ids,
    forget_sent_ids,
)


def record(sent: SendLedger, message_ids: dict[str, str]) -> None:
    """Store these IDs (and any still held) at once, as a send's last write does."""
    sent.hold(message_ids)
    sent.write()


class FakeTI:
    def __init__(self, task_id: str = "send", map_index: int = -1) -> None:
        self.dag_id, self.task_id, self.map_index = "dag", task_id, map_index
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


class FakeTaskStateStore:
    """Airflow 3.3's accessor as the ledger uses it: JSON values by key, scoped by Airflow."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes: list[int] = []

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self.values[key] = value
        self.writes.append(len(chunk_ids(value)))

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def context(run_id: str = "r1", **ti: Any) -> dict[str, Any]:
    return {"ti": FakeTI(**ti), "run_id": run_id}


@pytest.fixture
def memory() -> Any:
    store = MemoryStore()
    previous = ledger.set_fallback_store(store)
    yield store
    ledger.set_fallback_store(previous)


def test_variables_are_the_fallback_and_the_task_state_store_wins_where_airflow_has_it() -> None:
    assert isinstance(ledger.get_fallback_store(), VariableStore)
    plain = SendLedger.for_task(context())
    with_store = SendLedger.for_task({**context(), "task_state_store": FakeTaskStateStore()})
    assert plain is not None and isinstance(plain.store, VariableStore)
    assert with_store is not None and isinstance(with_store.store, TaskStateStore)


def test_the_ledger_belongs_to_the_task_instance_not_to_the_text(memory) -> None:
    first = SendLedger.for_task(context(), sending="text of try 1")
    assert first is not None and first.load().ids == {}
    record(first, {"447700900123": "AB_1"})
    record(first, {})  # nothing new: nothing written

    retry = SendLedger.for_task(context(), sending="text of try 2")
    other_run = SendLedger.for_task(context(run_id="r2"))
    other_index = SendLedger.for_task(context(map_index=3))
    assert retry is not None and other_run is not None and other_index is not None
    earlier = retry.load()
    assert earlier.ids == {"447700900123": "AB_1"}
    assert earlier.fingerprints == {"text of try 1"}
    assert other_run.load().ids == {}
    assert other_index.load().ids == {}


def test_each_write_holds_only_its_own_wave_and_a_retry_reads_every_chunk() -> None:
    accessor = FakeTaskStateStore()
    first = SendLedger.for_task({**context(), "task_state_store": accessor})
    assert first is not None
    first.load()
    for wave in range(3):
        record(first, {f"4477009{wave:02d}{n:03d}": f"ID_{wave}_{n}" for n in range(50)})
    big = {f"4478009{n:05d}": f"BIG_{n}" for n in range(MAX_CHUNK_ENTRIES + 5)}
    record(first, big)

    assert accessor.writes == [50, 50, 50, MAX_CHUNK_ENTRIES, 5]
    retry = SendLedger.for_task({**context(), "task_state_store": accessor})
    assert retry is not None
    assert len(retry.load().ids) == 150 + len(big)
    record(retry, {"447700999999": "LATE"})
    assert sorted(accessor.values) == [f"clockwork_sent.{n}" for n in range(6)]


def test_a_chunk_stores_its_ids_as_one_json_text_whatever_the_keys_hold() -> None:
    accessor = FakeTaskStateStore()
    ids = {'order "7": 1\u00e9 447700900123': "AB_1", "x,y 447700900456": "AB:2", "447700900789": "AB 3"}
    first = SendLedger.for_task({**context(), "task_state_store": accessor}, sending="fp")
    assert first is not None
    record(first, ids)

    stored = accessor.values["clockwork_sent.0"]
    assert all(isinstance(member, str) for member in stored.values())  # no member for Airflow to walk
    retry = SendLedger.for_task({**context(), "task_state_store": accessor})
    assert retry is not None
    earlier = retry.load()
    assert earlier.ids == ids
    assert earlier.fingerprints == {"fp"}


def test_a_retry_after_an_upgrade_reads_chunks_stored_as_an_object() -> None:
    accessor = FakeTaskStateStore()
    accessor.values["clockwork_sent.0"] = {"ids": {"447700900123": "AB_1"}, "sending": "fp"}
    retry = SendLedger.for_task({**context(), "task_state_store": accessor})
    assert retry is not None

    assert retry.load().ids == {"447700900123": "AB_1"}
    record(retry, {"447700900456": "AB_2"})
    assert sorted(accessor.values) == ["clockwork_sent.0", "clockwork_sent.1"]


class FailingOnce(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.fail_next = True

    def set(self, scope: TaskScope, key: str, value: dict[str, Any]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("metadata database unavailable")
        super().set(scope, key, value)


def test_ids_of_a_failed_write_go_with_the_next_write() -> None:
    store = FailingOnce()
    sent = SendLedger(TaskScope("dag", "r1", "send"), store)
    with pytest.raises(RuntimeError, match="unavailable"):
        record(sent, {"447700900123": "AB_1"})
    assert sent.unwritten == {"447700900123": "AB_1"}

    record(sent, {"447700900456": "AB_2"})

    assert sent.unwritten == {}
    again = SendLedger(TaskScope("dag", "r1", "send"), store)
    assert again.load().ids == {"447700900123": "AB_1", "447700900456": "AB_2"}


def test_the_success_callback_deletes_every_chunk_of_that_task_instance_only(memory) -> None:
    for map_index in (0, 1):
        sent = SendLedger.for_task(context(map_index=map_index))
        assert sent is not None
        record(sent, {"447700900123": f"AB_{map_index}"})
        record(sent, {"447700900456": f"CD_{map_index}"})

    forget_sent_ids(context(map_index=0))

    if ledger.AIRFLOW_2:
        # Airflow 2 runs success callbacks before it saves the state: the callback leaves the
        # ledger to the provider's listener, which Airflow 2 calls after the save.
        assert len(memory.snapshot()) == 2
        from airflow_provider_clockwork.plugins import ledger_listener

        ti = FakeTI(map_index=0)
        ti.run_id = "r1"  # type: ignore[attr-defined]
        ti.task = type("Task", (), {"on_success_callback": [forget_sent_ids]})()  # type: ignore[attr-defined]
        ledger_listener.on_task_instance_success(None, ti)
    assert list(memory.snapshot()) == [TaskScope("dag", "r1", "send", 1)]


def test_variable_names_are_listable_and_distinct_per_task_instance() -> None:
    names = {
        VariableStore.variable_name(TaskScope("dag", "r1", "send", index), f"clockwork_sent.{chunk}")
        for index in (-1, 0, 1)
        for chunk in (0, 1)
    }
    assert len(names) == 6
    assert all(name.startswith("clockwork_ledger.") and len(name) < 250 for name in names)


def test_memory_store_hands_out_copies() -> None:
    store = MemoryStore()
    scope = TaskScope("dag", "r1", "send")
    value = {"ids": {"447700900123": "AB_1"}}
    store.set(scope, "k", value)
    value["ids"]["447700900456"] = "AB_2"
    read = store.get(scope, "k")
    assert read == {"ids": {"447700900123": "AB_1"}}
    store.delete(scope, "k")
    store.delete(scope, "k")
    assert store.get(scope, "k") is None


def test_no_ledger_outside_a_task_run() -> None:
    assert SendLedger.for_task({}) is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def wave(first: int, size: int) -> Any:
    from airflow_provider_clockwork.protocol.results import SendResult

    return SendResult(message_ids={f"4477{n:08d}": f"ID_{n}" for n in range(first, first + size)})


def recorder_for(accessor: FakeTaskStateStore, clock: Clock) -> Any:
    from airflow_provider_clockwork.operators._ledgered_send import NUMBERS, Recorder

    sent = SendLedger.for_task({**context(), "task_state_store": accessor})
    return Recorder(logging.getLogger("test"), sent, NUMBERS, {}, str, clock=clock)


def test_a_send_writes_whole_chunks_as_they_fill_and_the_rest_when_it_ends() -> None:
    """20,000 numbers arriving fast: one write per 1,000 IDs (20 calls), not one per wave (50+)."""
    accessor, clock = FakeTaskStateStore(), Clock()
    recorder = recorder_for(accessor, clock)
    for index in range(21):  # 21 waves of 200 answers, 10 ms apart
        clock.now += 0.01
        recorder.on_batch(wave(index * 200, 200))
    assert accessor.writes == [MAX_CHUNK_ENTRIES] * 4
    recorder.flush()
    assert accessor.writes == [MAX_CHUNK_ENTRIES] * 4 + [200]


def test_a_slow_send_writes_what_it_holds_every_half_second() -> None:
    from airflow_provider_clockwork.operators._ledgered_send import WRITE_AFTER_SECONDS

    accessor, clock = FakeTaskStateStore(), Clock()
    recorder = recorder_for(accessor, clock)
    for index in range(6):  # a wave of 50 every 0.2 s
        clock.now += 0.2
        recorder.on_batch(wave(index * 50, 50))
    # Writes at 0.6 s (3 waves held) and 1.2 s (3 more): never more than WRITE_AFTER_SECONDS of answers held.
    assert WRITE_AFTER_SECONDS == 0.5
    assert accessor.writes == [150, 150]
    recorder.flush()
    assert accessor.writes == [150, 150]  # nothing was left to write


def test_whatever_ends_a_send_what_it_obtained_is_written_first() -> None:
    """A task killed mid-send (Airflow raises in the task's thread) still records its IDs."""
    from airflow_provider_clockwork.operators._ledgered_send import NUMBERS, send_with_ledger
    from airflow_provider_clockwork.protocol.results import SendResult

    accessor = FakeTaskStateStore()
    sent = SendLedger.for_task({**context(), "task_state_store": accessor})

    def send(pending: list[str], on_batch: Any) -> SendResult:
        on_batch(SendResult(message_ids={pending[0]: "ID_1"}))
        raise KeyboardInterrupt("the task was terminated")

    with pytest.raises(KeyboardInterrupt, match="terminated"):
        send_with_ledger(
            log=logging.getLogger("test"),
            context=context(),
            ledger=sent,
            keys=["447700900123", "447700900456"],
            result=SendResult(),
            send=send,
            wording=NUMBERS,
            log_plan=lambda pending: None,
        )
    assert chunk_ids(accessor.values["clockwork_sent.0"]) == {"447700900123": "ID_1"}


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_a_retry_names_at_most_ten_skipped_numbers_at_info_and_all_of_them_only_at_debug(
    caplog: pytest.LogCaptureFixture, level: int
) -> None:
    from airflow_provider_clockwork.operators._ledgered_send import NUMBERS, skip_earlier
    from airflow_provider_clockwork.protocol.results import SendResult

    numbers = [f"4477009{index:05d}" for index in range(25)]
    sent = SendLedger.for_task({**context(), "task_state_store": FakeTaskStateStore()})
    assert sent is not None
    record(sent, {number: f"ID_{number}" for number in numbers[:20]})
    labelled: list[str] = []

    def label(number: str) -> str:
        labelled.append(number)
        return number

    caplog.set_level(level, logger="retry")
    pending = skip_earlier(logging.getLogger("retry"), sent, numbers, SendResult(), NUMBERS, label, str)

    assert pending == numbers[20:]
    (counted,) = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    first_ten = ", ".join(numbers[:10])
    assert counted == (
        f"20 number(s) got a message ID in an earlier try and are skipped: {first_ten} and 10 more."
    )
    listed = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    if level == logging.DEBUG:
        assert listed == [f"Skipped, sent in an earlier try: {', '.join(numbers[:20])}"]
    else:
        assert listed == []
        assert labelled == numbers[:10]  # the full list is never even built


def test_a_retry_warns_of_the_numbers_a_failed_try_left_in_doubt(caplog: pytest.LogCaptureFixture) -> None:
    from airflow_provider_clockwork.exceptions import ClockworkTransportError
    from airflow_provider_clockwork.operators._ledgered_send import NUMBERS, send_with_ledger
    from airflow_provider_clockwork.protocol.results import SendResult

    accessor = FakeTaskStateStore()
    numbers = ["447700900123", "447700900456", "447700900789"]

    def lost_reply(pending: list[str], on_batch: Any) -> SendResult:
        on_batch(SendResult(message_ids={pending[0]: "ID_1"}))
        raise ClockworkTransportError(
            "The reply was lost.", result=SendResult(message_ids={pending[0]: "ID_1"}), unknown=pending[1:]
        )

    def answered(pending: list[str], on_batch: Any) -> SendResult:
        return SendResult(message_ids={number: f"ID_{number}" for number in pending})

    def attempt(send: Any) -> SendResult:
        return send_with_ledger(
            log=logging.getLogger("retry"),
            context=context(),
            ledger=SendLedger.for_task({**context(), "task_state_store": accessor}),
            keys=numbers,
            result=SendResult(),
            send=send,
            wording=NUMBERS,
            log_plan=lambda pending: None,
        )

    with pytest.raises(ClockworkTransportError, match="reply was lost"):
        attempt(lost_reply)
    caplog.set_level(logging.INFO, logger="retry")
    result = attempt(answered)

    assert result.message_ids == {numbers[0]: "ID_1", **{n: f"ID_{n}" for n in numbers[1:]}}
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("2 number(s) may have been texted by an earlier try")
    assert warning.endswith(f"may get the text twice: {numbers[1]}, {numbers[2]}.")


def test_numbers_in_doubt_are_kept_in_chunks_a_retry_reads_back_whole() -> None:
    accessor = FakeTaskStateStore()
    numbers = [f"4477{index:08d}" for index in range(2500)]
    failed = SendLedger.for_task({**context(), "task_state_store": accessor})
    assert failed is not None
    record(failed, {numbers[0]: "ID_1"})

    failed.note_in_doubt(numbers[1:])

    assert sorted(accessor.values) == [f"clockwork_sent.{index}" for index in range(4)]
    retry = SendLedger.for_task({**context(), "task_state_store": accessor})
    assert retry is not None
    earlier = retry.load()
    assert earlier.ids == {numbers[0]: "ID_1"}
    assert earlier.in_doubt == set(numbers[1:])
