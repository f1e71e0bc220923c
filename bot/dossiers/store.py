"""The SQL dossier store: upserts that record status changes, reads, subscriptions.

Every write that belongs together runs in one transaction; :func:`upsert_records` works on a
connection the caller owns so that a whole import commits or rolls back as one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.dossiers.models import dossiers_table, history_table, subscriptions_table
from bot.dossiers.records import RECORD_FIELDS, DossierRecord, StatusChange, utc_now
from bot.dossiers.statuses import DossierStatus

Progress = Callable[[int], None]

# Chunk sizes: SQLite allows 32,766 bound variables per statement; IN-lists stay well below.
_SELECT_CHUNK = 500
_WRITE_CHUNK = 5_000
_COMPARED = tuple(name for name in RECORD_FIELDS if name != "code")


@dataclass
class UpsertReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: List[StatusChange] = field(default_factory=list)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(conn: Connection, codes: Sequence[str]) -> Dict[str, Tuple[Any, ...]]:
    columns = [dossiers_table.c[name] for name in RECORD_FIELDS]
    found: Dict[str, Tuple[Any, ...]] = {}
    for chunk in _chunks(codes, _SELECT_CHUNK):
        for row in conn.execute(sa.select(*columns).where(dossiers_table.c.code.in_(chunk))):
            found[row[0]] = tuple(row[1:])
    return found


_UPDATE = (
    dossiers_table.update()
    .where(dossiers_table.c.code == sa.bindparam("b_code"))
    .values({name: sa.bindparam(name) for name in (*_COMPARED, "synced_at")})
)


def upsert_records(
    conn: Connection,
    records: Sequence[DossierRecord],
    *,
    source: str,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> UpsertReport:
    """Insert new dossiers, update changed ones, record every status change in the history.

    Idempotent: records equal to what is stored change nothing. Runs on ``conn`` inside the
    caller's transaction. ``progress(n)`` is called as rows are written.
    """
    now = now or utc_now()
    report = UpsertReport()
    existing = _existing(conn, [record.code for record in records])
    inserts: List[Dict[str, Any]] = []
    updates: List[Dict[str, Any]] = []
    history: List[Dict[str, Any]] = []
    for record in records:
        row = record.to_row()
        old = existing.get(record.code)
        new_values = tuple(row[name] for name in _COMPARED)
        if old is None:
            row["synced_at"] = now
            inserts.append(row)
            report.inserted += 1
            old_status = None
        elif old == new_values:
            report.unchanged += 1
            continue
        else:
            row["synced_at"] = now
            row["b_code"] = row.pop("code")
            updates.append(row)
            report.updated += 1
            old_status = old[_COMPARED.index("status")]
        if old_status != row["status"]:
            history.append(
                {
                    "dossier_code": record.code,
                    "old_status": old_status,
                    "new_status": row["status"],
                    "changed_at": record.updated_at or now,
                    "source": source,
                    "recorded_at": now,
                }
            )
            report.status_changes.append(
                StatusChange(record.code, DossierStatus(old_status) if old_status else None, record.status)
            )
    if progress and report.unchanged:
        progress(report.unchanged)
    for chunk in _chunks(inserts, _WRITE_CHUNK):
        conn.execute(dossiers_table.insert(), list(chunk))
        if progress:
            progress(len(chunk))
    for chunk in _chunks(updates, _WRITE_CHUNK):
        conn.execute(_UPDATE, list(chunk))
        if progress:
            progress(len(chunk))
    for chunk in _chunks(history, _WRITE_CHUNK):
        conn.execute(history_table.insert(), list(chunk))
    return report


class DossierStore:
    """Reads and small writes on the dossier tables of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, code: str) -> DossierRecord | None:
        columns = [dossiers_table.c[name] for name in RECORD_FIELDS]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*columns).where(dossiers_table.c.code == code)).first()
        return DossierRecord.from_row(row) if row is not None else None

    def upsert(self, records: Sequence[DossierRecord], *, source: str) -> UpsertReport:
        with self.engine.begin() as conn:
            return upsert_records(conn, records, source=source)

    def history(self, code: str) -> List[Tuple[str | None, str, dt.datetime, str]]:
        query = (
            sa.select(
                history_table.c.old_status,
                history_table.c.new_status,
                history_table.c.changed_at,
                history_table.c.source,
            )
            .where(history_table.c.dossier_code == code)
            .order_by(history_table.c.id)
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(dossiers_table)).scalar_one())

    # --- subscriptions ---

    def subscribe(
        self, conversation_id: str, channel: str, code: str, current_status: DossierStatus | None
    ) -> bool:
        """Subscribe; ``False`` when this conversation already follows the dossier (re-activated)."""
        table = subscriptions_table
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(table.c.id, table.c.active).where(
                    table.c.conversation_id == conversation_id, table.c.dossier_code == code
                )
            ).first()
            if existing is not None:
                conn.execute(
                    table.update().where(table.c.id == existing.id).values(active=True, channel=channel)
                )
                return False
            conn.execute(
                table.insert().values(
                    conversation_id=conversation_id,
                    channel=channel,
                    dossier_code=code,
                    created_at=utc_now(),
                    last_notified_status=current_status.value if current_status else None,
                    active=True,
                )
            )
            return True

    def subscribed_codes(self) -> List[str]:
        table = subscriptions_table
        query = sa.select(table.c.dossier_code).where(table.c.active.is_(True)).distinct()
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    def pending_notifications(self) -> List[Tuple[Dict[str, Any], DossierRecord]]:
        """Active subscriptions whose dossier's status differs from the last one notified."""
        subs, dossiers = subscriptions_table, dossiers_table
        columns = [dossiers.c[name] for name in RECORD_FIELDS]
        query = (
            sa.select(subs, *columns)
            .join(dossiers, dossiers.c.code == subs.c.dossier_code)
            .where(
                subs.c.active.is_(True),
                sa.or_(
                    subs.c.last_notified_status.is_(None),
                    subs.c.last_notified_status != dossiers.c.status,
                ),
            )
            .order_by(subs.c.id)
        )
        pending = []
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                mapping = row._mapping
                subscription = {name: mapping[subs.c[name]] for name in subs.c.keys()}
                pending.append(
                    (subscription, DossierRecord.from_row({n: mapping[dossiers.c[n]] for n in RECORD_FIELDS}))
                )
        return pending

    def mark_notified(self, subscription_id: int, status: DossierStatus) -> None:
        table = subscriptions_table
        with self.engine.begin() as conn:
            conn.execute(
                table.update()
                .where(table.c.id == subscription_id)
                .values(
                    last_notified_status=status.value,
                    last_notified_at=utc_now(),
                    active=not status.is_final,
                )
            )
