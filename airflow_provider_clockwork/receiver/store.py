"""The receiver's writes: receipts and inbound texts into Airflow's asset state store (Airflow 3.3+).

Why the asset state store (AIP-103): it lives in Airflow's metadata database (no other
server), is keyed freely (one key per message ID), is not tied to a DAG run (a receipt
may come hours after its run ended, or for a message no run waits for), and tasks and
triggers read it through Airflow's own execution API (``asset_state_store``), which
the delivery sensor and its trigger do. The task state store is scoped to one task
instance and XCom to a run; asset events would trigger DAGs for every receipt.

Nothing is kept in process memory: each call reads and writes in one transaction that
holds the asset's lock (Airflow's own ``_lock_asset_model``: a row lock on Postgres and
MySQL, the writer lock on SQLite), so several API servers can take receipts for the same
message at once and a final state is never replaced by a late interim one. Airflow 3.3
has no public lock for an asset's state store (the backend's ``set`` is a plain upsert),
so this private name is the one used; it is imported only in :func:`locked_asset_write`.

Retention: receipt records older than ``[clockwork] receipt_retention_days`` (default
30) are deleted by the receiver itself, at most once an hour per process; inbound
records stay until their asset is cleared or deleted, like the asset events they became.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_clockwork.protocol.delivery import DeliveryReceipt
from airflow_provider_clockwork.protocol.inbound import InboundMessage
from airflow_provider_clockwork.receiver import records

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
PRUNE_EVERY_SECONDS = 3600.0
REGISTER_ATTEMPTS = 5
_last_prune = 0.0


def store_available() -> bool:
    """Whether this Airflow has the asset state store (3.3 and newer)."""
    try:
        from airflow.state import get_state_backend  # noqa: F401
    except ImportError:
        return False
    return True


def _asset_id(session: Session, uri: str) -> int:
    """The asset's ID, registering the asset when no DAG has declared it yet (then it is inactive)."""
    from airflow.assets.manager import AssetManager
    from airflow.models.asset import AssetModel
    from airflow.serialization.definitions.assets import SerializedAsset
    from sqlalchemy import select

    found = session.scalar(select(AssetModel.id).where(AssetModel.uri == uri, AssetModel.name == uri))
    if found is not None:
        return found
    asset = SerializedAsset(name=uri, uri=uri, group=records.ASSET_GROUP, extra={}, watchers=[])
    [model] = AssetManager.create_assets([asset], session=session)
    session.flush()
    return model.id


def locked_asset_write(uri: str, write: Any) -> Any:
    """Run ``write(session, asset_id)`` in one transaction holding the asset's lock.

    Two receivers registering a new asset at once: one wins the unique constraint, the
    other starts again and finds it. On SQLite the loser may instead be told "database is
    locked" (its read cannot become a write while the winner writes); it starts again too.
    """
    from airflow.assets.manager import _lock_asset_model
    from airflow.utils.session import create_session
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(1, REGISTER_ATTEMPTS + 1):
        try:
            with create_session() as session:
                asset_id = _asset_id(session, uri)
                with _lock_asset_model(session=session, asset_id=asset_id):
                    return write(session, asset_id)
        except (IntegrityError, OperationalError) as error:
            lost_the_race = isinstance(error, IntegrityError) or "locked" in str(error).lower()
            if not lost_the_race or attempt == REGISTER_ATTEMPTS:
                raise
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def _scope(asset_id: int) -> Any:
    from airflow.state import AssetScope

    return AssetScope(asset_id=asset_id)


def _read(session: Session, asset_id: int, key: str) -> dict[str, Any] | None:
    from airflow.state import get_state_backend

    raw = get_state_backend().get(_scope(asset_id), key, session=session)
    return json.loads(raw) if raw is not None else None


def _write(session: Session, asset_id: int, key: str, value: dict[str, Any]) -> None:
    from airflow.state import get_state_backend

    get_state_backend().set(_scope(asset_id), key, json.dumps(value), session=session)


def store_receipts(receipts: Sequence[DeliveryReceipt]) -> int:
    """Record each receipt unless what is stored for its message is as new; return how many changed."""

    def write(session: Session, asset_id: int) -> int:
        changed = 0
        for receipt in receipts:
            key = records.receipt_key(receipt.message_id)
            incoming = records.receipt_record(receipt)
            if records.replaces(_read(session, asset_id, key), incoming):
                _write(session, asset_id, key, incoming)
                changed += 1
        return changed

    changed = locked_asset_write(records.RECEIPTS_ASSET_URI, write)
    _prune_now_and_then()
    return changed


def store_inbound(message: InboundMessage, *, allowed: bool) -> bool:
    """Record an inbound text once; an allowed sender's text also becomes an asset event.

    Returns False for a text already recorded (Clockwork called twice): no second event.
    """
    uri = records.inbound_asset_uri(message.to)

    def write(session: Session, asset_id: int) -> bool:
        key = records.inbound_key(message.message_id)
        if _read(session, asset_id, key) is not None:
            return False
        _write(session, asset_id, key, records.inbound_record(message, acted_on=allowed))
        if allowed:
            _emit_event(session, asset_id, records.inbound_event_extra(message))
        return True

    return locked_asset_write(uri, write)


def _emit_event(session: Session, asset_id: int, extra: dict[str, str]) -> None:
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetModel

    asset = session.get_one(AssetModel, asset_id)
    asset_manager.register_asset_change(asset=asset, extra=extra, source_is_api=True, session=session)


def retention_days() -> int:
    from airflow.configuration import conf

    return conf.getint("clockwork", "receipt_retention_days", fallback=DEFAULT_RETENTION_DAYS)


def prune_receipts(older_than: timedelta) -> int:
    """Delete receipt records last written more than ``older_than`` ago; return how many went."""
    from airflow._shared.timezones import timezone
    from airflow.models.asset_state_store import AssetStateStoreModel
    from sqlalchemy import delete

    cutoff = timezone.utcnow() - older_than

    def write(session: Session, asset_id: int) -> int:
        done = session.execute(
            delete(AssetStateStoreModel).where(
                AssetStateStoreModel.asset_id == asset_id,
                AssetStateStoreModel.key.startswith(records.RECEIPT_KEY_PREFIX),
                AssetStateStoreModel.updated_at < cutoff,
            )
        )
        return int(getattr(done, "rowcount", 0) or 0)

    return locked_asset_write(records.RECEIPTS_ASSET_URI, write)


def _prune_now_and_then() -> None:
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY_SECONDS:
        return
    _last_prune = time.monotonic()
    try:
        pruned = prune_receipts(timedelta(days=retention_days()))
    except Exception:
        log.exception("Clockwork receiver: pruning old receipts failed; they stay until the next try.")
        return
    if pruned:
        log.info("Clockwork receiver: deleted %d receipt records older than the retention.", pruned)
