"""CSV import of an existing opt-in list: ``channel,chat_id,province,commune,topics`` (topics split
by ";"). Every row is checked first; any bad row means nothing is imported unless
``skip_invalid``; the import is one transaction (never half-imported) and idempotent. A subscriber
who unsubscribed in chat stays unsubscribed (withdrawn consent wins over an old list)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.outreach.models import consent_events_t, subscribers_t, utcnow
from bot.outreach.subscribers import ACTIVE, CHANNELS, clean_place, place_key
from bot.outreach.topics import encode_topics, unknown_topics

COLUMNS = ("channel", "chat_id", "province", "commune", "topics")
CHUNK = 1000
MAX_REPORTED = 1000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_unsubscribed: int = 0
    bad_count: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept_unsubscribed": self.kept_unsubscribed,
            "bad_count": self.bad_count,
            "bad_rows": [{"line": line, "reason": reason} for line, reason in self.bad_rows],
            "applied": self.applied,
        }


@dataclass(frozen=True)
class _Row:
    line: int
    channel: str
    chat_id: str
    province: str | None
    commune: str | None
    topics: str


def _read(path: Path) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """(line number, row or None, reason when the row is malformed)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ImportFileError(f"cannot open {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportFileError("the file is empty; expected the header " + ",".join(COLUMNS))
            names = [h.strip().lower() for h in header]
            if sorted(names) != sorted(COLUMNS):
                raise ImportFileError(
                    f"header must be {','.join(COLUMNS)} (any order); found {','.join(names)}"
                )
            for record in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(names):
                    yield line, None, f"expected {len(names)} fields, found {len(record)}"
                    continue
                yield line, dict(zip(names, record, strict=True)), None
        except UnicodeDecodeError:
            raise ImportFileError("the file is not UTF-8 text; save it as CSV UTF-8") from None
        except csv.Error as exc:
            raise ImportFileError(f"line {reader.line_num}: {exc}") from None


def _check(line: int, raw: dict[str, str]) -> tuple[_Row | None, str | None]:
    channel = raw["channel"].strip().lower()
    chat_id = raw["chat_id"].strip()
    if channel not in CHANNELS:
        return None, f"channel must be one of {', '.join(CHANNELS)} (found {channel!r})"
    if not chat_id:
        return None, "chat_id is empty"
    if len(chat_id) > 64 or not chat_id.lstrip("-").isdigit():
        return None, f"chat_id must be a number for {channel}"
    topics = [t.strip() for t in raw["topics"].split(";") if t.strip()]
    if not topics:
        return None, "topics is empty"
    bad = unknown_topics(topics)
    if bad:
        return None, f"unknown topics: {', '.join(bad)}"
    for name in ("province", "commune"):
        if len(raw[name].strip()) > 120:
            return None, f"{name} is longer than 120 characters"
    return (
        _Row(
            line,
            channel,
            chat_id,
            clean_place(raw["province"]),
            clean_place(raw["commune"]),
            encode_topics(topics),
        ),
        None,
    )


def _valid_rows(path: Path, report: ImportReport | None) -> Iterator[_Row]:
    seen: dict[tuple[str, str], int] = {}
    for line, raw, problem in _read(path):
        row: _Row | None = None
        if raw is not None:
            row, problem = _check(line, raw)
        if row is not None:
            first = seen.get((row.channel, row.chat_id))
            if first is not None:
                row, problem = None, f"duplicate of line {first} ({raw['channel'] if raw else ''} chat)"
            else:
                seen[(row.channel, row.chat_id)] = line
        if report is not None:
            report.rows += 1
            if problem:
                report.bad_count += 1
                if len(report.bad_rows) < MAX_REPORTED:
                    report.bad_rows.append((line, problem))
        if row is not None:
            yield row


def import_subscribers(
    engine: Engine, path: Path | str, *, skip_invalid: bool = False, now: datetime | None = None
) -> ImportReport:
    path = Path(path)
    now = now or utcnow()
    report = ImportReport()
    for _ in _valid_rows(path, report):  # first pass: check everything, write nothing
        pass
    if report.bad_count and not skip_invalid:
        return report
    with engine.begin() as conn:
        chunk: list[_Row] = []
        for row in _valid_rows(path, None):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                _apply(conn, chunk, report, now)
                chunk = []
        if chunk:
            _apply(conn, chunk, report, now)
    report.applied = True
    return report


def _apply(conn: Connection, rows: list[_Row], report: ImportReport, now: datetime) -> None:
    s = subscribers_t.c
    existing: dict[tuple[str, str], Any] = {}
    for channel in {r.channel for r in rows}:
        ids = [r.chat_id for r in rows if r.channel == channel]
        for found in conn.execute(
            sa.select(s.id, s.channel, s.chat_id, s.status, s.topics, s.province, s.commune).where(
                s.channel == channel, s.chat_id.in_(ids)
            )
        ):
            existing[(found.channel, found.chat_id)] = found
    inserts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in rows:
        found = existing.get((row.channel, row.chat_id))
        if found is None:
            inserts.append(
                {
                    "channel": row.channel,
                    "chat_id": row.chat_id,
                    "status": ACTIVE,
                    "topics": row.topics,
                    "province": row.province,
                    "commune": row.commune,
                    "province_key": place_key(row.province),
                    "commune_key": place_key(row.commune),
                    "consent_at": now,
                    "consent_source": "import",
                    "unreachable": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif found.status != ACTIVE:
            report.kept_unsubscribed += 1
        elif (found.topics, found.province, found.commune) == (row.topics, row.province, row.commune):
            report.unchanged += 1
        else:
            conn.execute(
                subscribers_t.update()
                .where(s.id == found.id)
                .values(
                    topics=row.topics,
                    province=row.province,
                    commune=row.commune,
                    province_key=place_key(row.province),
                    commune_key=place_key(row.commune),
                    updated_at=now,
                )
            )
            events.append(_event(found.id, "update", row, now))
            report.updated += 1
    if inserts:
        conn.execute(subscribers_t.insert(), inserts)
        report.created += len(inserts)
        by_key = {(r.channel, r.chat_id): r for r in rows}
        for found in conn.execute(
            sa.select(s.id, s.channel, s.chat_id).where(
                s.consent_source == "import",
                s.created_at == now,
                sa.tuple_(s.channel, s.chat_id).in_([(i["channel"], i["chat_id"]) for i in inserts]),
            )
        ):
            events.append(_event(found.id, "subscribe", by_key[(found.channel, found.chat_id)], now))
    if events:
        conn.execute(consent_events_t.insert(), events)


def _event(subscriber_id: int, event: str, row: _Row, now: datetime) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "event": event,
        "source": "import",
        "channel": row.channel,
        "topics": row.topics,
        "at": now,
    }
