"""The retry ledger's storage: Airflow Variables by default, swappable for a store in memory."""

from __future__ import annotations

from airflow_provider_clockwork import ledger
from airflow_provider_clockwork.ledger import MemoryStore, SendLedger, VariableStore
from airflow_provider_clockwork.protocol.message import prepare_message


class FakeTI:
    dag_id, task_id, map_index = "dag", "send", -1


def test_airflow_variables_are_the_default_store() -> None:
    assert isinstance(ledger.get_default_store(), VariableStore)
    assert isinstance(SendLedger("k", "d").store, VariableStore)


def test_a_swapped_default_store_keeps_ids_across_ledger_objects() -> None:
    store = MemoryStore()
    previous = ledger.set_default_store(store)
    try:
        message = prepare_message("hi")
        first = SendLedger.for_task({"ti": FakeTI(), "run_id": "r1"}, message)
        assert first is not None and first.load() == {}
        first.record({"447700900123": "AB_1"})
        first.record({})  # nothing new: nothing written

        again = SendLedger.for_task({"ti": FakeTI(), "run_id": "r1"}, message)
        other_run = SendLedger.for_task({"ti": FakeTI(), "run_id": "r2"}, message)
        other_text = SendLedger.for_task({"ti": FakeTI(), "run_id": "r1"}, prepare_message("bye"))
        assert again is not None and again.load() == {"447700900123": "AB_1"}
        assert other_run is not None and other_run.load() == {}
        assert other_text is not None and other_text.load() == {}

        again.clear()
        assert store.snapshot() == {}
    finally:
        ledger.set_default_store(previous)
    assert ledger.get_default_store() is previous


def test_memory_store_hands_out_copies() -> None:
    store = MemoryStore()
    value = {"message_ids": {"447700900123": "AB_1"}}
    store.set("k", value, "description")
    value["message_ids"]["447700900456"] = "AB_2"
    read = store.get("k")
    assert read == {"message_ids": {"447700900123": "AB_1"}}
    read["message_ids"].clear()
    assert store.get("k") == {"message_ids": {"447700900123": "AB_1"}}
    store.delete("k")
    store.delete("k")
    assert store.get("k") is None


def test_no_ledger_outside_a_task_run() -> None:
    assert SendLedger.for_task({}, prepare_message("hi")) is None
