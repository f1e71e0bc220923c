"""Campaigns: create (checked), dry run, send (schedule), pause, resume, cancel; activation by the
worker (recipients inserted by one INSERT … SELECT, never loaded into memory) and completion."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.outreach.models import (
    CampaignState,
    DeliveryState,
    campaigns_t,
    deliveries_t,
    subscribers_t,
    utcnow,
)
from bot.outreach.segments import Segment, SegmentError
from bot.outreach.templates import TemplateError, check_template, render

S = CampaignState


class CampaignError(ValueError):
    """An operator error (bad input or a transition that is not allowed); the message says which."""


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    state: str
    text: str
    buttons: list[dict[str, str]]
    segment: dict[str, list[str]]
    start_at: datetime | None
    end_at: datetime | None
    recipients: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "text": self.text,
            "buttons": self.buttons,
            "segment": self.segment,
            "start_at": self.start_at.isoformat() + "Z" if self.start_at else None,
            "end_at": self.end_at.isoformat() + "Z" if self.end_at else None,
            "recipients": self.recipients,
        }


@dataclass(frozen=True)
class DryRun:
    campaign: str
    total: int
    by_channel: dict[str, int]
    over_frequency_cap: int
    sample: str
    sample_buttons: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "total": self.total,
            "by_channel": self.by_channel,
            "over_frequency_cap": self.over_frequency_cap,
            "sample": self.sample,
            "sample_buttons": self.sample_buttons,
        }


def check_buttons(buttons: Sequence[Any] | None) -> list[dict[str, str]]:
    checked: list[dict[str, str]] = []
    for index, button in enumerate(buttons or [], start=1):
        if not isinstance(button, dict) or set(button) != {"text", "url"}:
            raise CampaignError(f"button {index}: expected an object with exactly 'text' and 'url'")
        text, url = button["text"], button["url"]
        if not isinstance(text, str) or not text.strip() or len(text) > 64:
            raise CampaignError(f"button {index}: text must be 1–64 characters")
        if not isinstance(url, str) or not url.startswith("https://") or len(url) > 500:
            raise CampaignError(f"button {index}: url must start with https://")
        checked.append({"text": text.strip(), "url": url})
    if len(checked) > 3:
        raise CampaignError("at most 3 buttons")
    return checked


def create_campaign(
    engine: Engine,
    name: str,
    text: str,
    segment: dict[str, Any] | Segment | None = None,
    buttons: Sequence[Any] | None = None,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> CampaignInfo:
    """A draft campaign. Times are naive UTC; ``start_at`` None means "as soon as it is sent"."""
    now = now or utcnow()
    name = " ".join((name or "").split())
    if not name:
        raise CampaignError("campaign name is empty")
    try:
        check_template(text)
        seg = segment if isinstance(segment, Segment) else Segment.from_dict(segment)
    except (TemplateError, SegmentError) as exc:
        raise CampaignError(str(exc)) from None
    checked_buttons = check_buttons(buttons)
    if end_at is not None and end_at <= (start_at or now):
        raise CampaignError("end time must be after the start time (and in the future)")
    with engine.begin() as conn:
        if conn.execute(sa.select(campaigns_t.c.id).where(campaigns_t.c.name == name)).first():
            raise CampaignError(f"a campaign named {name!r} already exists")
        campaign_id = conn.execute(
            campaigns_t.insert().values(
                name=name,
                text=text,
                buttons=json.dumps(checked_buttons, ensure_ascii=False),
                segment=seg.to_json(),
                state=S.DRAFT,
                start_at=start_at,
                end_at=end_at,
                recipients=0,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        return _info(_row(conn, campaign_id))


def get_campaign(engine: Engine, ref: int | str) -> CampaignInfo:
    with engine.connect() as conn:
        return _info(_row(conn, ref))


def list_campaigns(engine: Engine) -> list[CampaignInfo]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(campaigns_t).order_by(campaigns_t.c.id)).all()
    return [_info(row) for row in rows]


def dry_run(engine: Engine, ref: int | str, frequency_cap: int, since: datetime) -> DryRun:
    """Recipients by channel (without sending anything) and the message as the first one sees it."""
    s, d = subscribers_t.c, deliveries_t.c
    with engine.connect() as conn:
        row = _row(conn, ref)
        segment = Segment.from_dict(json.loads(row.segment))
        counts = conn.execute(
            sa.select(s.channel, sa.func.count()).where(segment.where()).group_by(s.channel)
        ).all()
        recent = (
            sa.select(sa.func.count())
            .where(
                d.subscriber_id == s.id,
                d.campaign_id.is_not(None),
                d.state == DeliveryState.SENT,
                d.sent_at >= since,
            )
            .scalar_subquery()
        )
        over_cap = conn.execute(
            sa.select(sa.func.count()).where(segment.where(), recent >= frequency_cap)
        ).scalar_one()
        first = conn.execute(
            sa.select(s.province, s.commune).where(segment.where()).order_by(s.id).limit(1)
        ).first()
    values = {"province": first.province, "commune": first.commune} if first else {}
    by_channel = {channel: int(count) for channel, count in counts}
    return DryRun(
        campaign=row.name,
        total=sum(by_channel.values()),
        by_channel=by_channel,
        over_frequency_cap=int(over_cap),
        sample=render(row.text, values),
        sample_buttons=json.loads(row.buttons),
    )


def send_campaign(engine: Engine, ref: int | str, at: datetime | None = None) -> CampaignInfo:
    """Approve a draft: the worker starts it at ``at`` (or its planned time, or now)."""
    now = utcnow()
    with engine.begin() as conn:
        row = _row(conn, ref, for_update=True)
        if row.state != S.DRAFT:
            raise CampaignError(f"campaign {row.name!r} is {row.state}; only a draft can be sent")
        start = at or row.start_at or now
        if row.end_at is not None and row.end_at <= max(start, now):
            raise CampaignError("campaign end time has already passed; create a new campaign")
        _set(conn, row.id, state=S.SCHEDULED, start_at=start)
        return _info(_row(conn, row.id))


def pause_campaign(engine: Engine, ref: int | str) -> CampaignInfo:
    return _transition(engine, ref, {S.SCHEDULED, S.RUNNING}, S.PAUSED)


def resume_campaign(engine: Engine, ref: int | str) -> CampaignInfo:
    with engine.begin() as conn:
        row = _row(conn, ref, for_update=True)
        if row.state != S.PAUSED:
            raise CampaignError(f"campaign {row.name!r} is {row.state}; only a paused campaign can resume")
        _set(conn, row.id, state=S.RUNNING if row.activated_at else S.SCHEDULED)
        return _info(_row(conn, row.id))


def cancel_campaign(engine: Engine, ref: int | str) -> CampaignInfo:
    """Stop for good: queued deliveries become 'cancelled' (messages in flight finish)."""
    info = _transition(engine, ref, {S.DRAFT, S.SCHEDULED, S.RUNNING, S.PAUSED}, S.CANCELLED)
    with engine.begin() as conn:
        _close_queued(conn, info.id, DeliveryState.CANCELLED, "campaign cancelled")
    return info


def activate_due(engine: Engine, now: datetime) -> list[int]:
    """Start scheduled campaigns whose time has come: insert one queued delivery per recipient."""
    started: list[int] = []
    c = campaigns_t.c
    with engine.connect() as conn:
        due = (
            conn.execute(
                sa.select(c.id).where(c.state == S.SCHEDULED, sa.or_(c.start_at.is_(None), c.start_at <= now))
            )
            .scalars()
            .all()
        )
    for campaign_id in due:
        with engine.begin() as conn:
            query = sa.select(campaigns_t).where(c.id == campaign_id, c.state == S.SCHEDULED)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                continue  # another worker took it, or it was paused/cancelled meanwhile
            inserted = _insert_recipients(conn, row, now)
            _set(conn, row.id, state=S.RUNNING, activated_at=now, recipients=inserted)
            started.append(row.id)
    return started


def _insert_recipients(conn: Connection, row: Any, now: datetime) -> int:
    s, d = subscribers_t.c, deliveries_t.c
    segment = Segment.from_dict(json.loads(row.segment))
    already = sa.select(d.id).where(d.campaign_id == row.id, d.subscriber_id == s.id).exists()
    select = sa.select(
        sa.literal(row.id, BigIdType),
        s.id,
        s.channel,
        s.chat_id,
        sa.literal(DeliveryState.QUEUED),
        sa.literal(0),
        sa.literal(now, sa.DateTime),
        sa.literal(now, sa.DateTime),
        sa.literal(now, sa.DateTime),
    ).where(segment.where(), ~already)
    columns = [
        "campaign_id",
        "subscriber_id",
        "channel",
        "chat_id",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    result = conn.execute(deliveries_t.insert().from_select(columns, select))
    return int(result.rowcount or 0)


BigIdType = sa.BigInteger()


def finish_due(engine: Engine, now: datetime) -> list[int]:
    """Expire what is left after a campaign's end time; mark finished campaigns done."""
    c, d = campaigns_t.c, deliveries_t.c
    finished: list[int] = []
    with engine.begin() as conn:
        for row in conn.execute(
            sa.select(c.id, c.end_at, c.state).where(c.state.in_([S.RUNNING, S.PAUSED]))
        ).all():
            ended = row.end_at is not None and row.end_at <= now
            if ended:
                _close_queued(conn, row.id, DeliveryState.EXPIRED, "campaign end time passed")
            elif row.state == S.PAUSED:
                continue
            open_rows = conn.execute(
                sa.select(sa.func.count()).where(
                    d.campaign_id == row.id, d.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING])
                )
            ).scalar_one()
            if open_rows == 0:
                _set(conn, row.id, state=S.DONE, finished_at=now)
                finished.append(row.id)
    return finished


def campaign_progress(engine: Engine, ref: int | str) -> dict[str, int]:
    d = deliveries_t.c
    with engine.connect() as conn:
        row = _row(conn, ref)
        counts = conn.execute(
            sa.select(d.state, sa.func.count()).where(d.campaign_id == row.id).group_by(d.state)
        ).all()
    return {state: int(n) for state, n in counts}


def _close_queued(conn: Connection, campaign_id: int, state: str, reason: str) -> None:
    conn.execute(
        deliveries_t.update()
        .where(deliveries_t.c.campaign_id == campaign_id, deliveries_t.c.state == DeliveryState.QUEUED)
        .values(state=state, last_error=reason, updated_at=utcnow())
    )


def _transition(engine: Engine, ref: int | str, allowed: set[str], target: str) -> CampaignInfo:
    with engine.begin() as conn:
        row = _row(conn, ref, for_update=True)
        if row.state not in allowed:
            raise CampaignError(f"campaign {row.name!r} is {row.state}; cannot change it to {target}")
        _set(conn, row.id, state=target)
        return _info(_row(conn, row.id))


def _set(conn: Connection, campaign_id: int, **values: Any) -> None:
    conn.execute(
        campaigns_t.update().where(campaigns_t.c.id == campaign_id).values(updated_at=utcnow(), **values)
    )


def _row(conn: Connection, ref: int | str, for_update: bool = False) -> Any:
    c = campaigns_t.c
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        condition = c.id == int(ref)
    else:
        condition = c.name == " ".join(ref.split())
    query = sa.select(campaigns_t).where(condition)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise CampaignError(f"no campaign {ref!r}")
    return row


def _info(row: Any) -> CampaignInfo:
    return CampaignInfo(
        id=row.id,
        name=row.name,
        state=row.state,
        text=row.text,
        buttons=json.loads(row.buttons),
        segment=json.loads(row.segment),
        start_at=row.start_at,
        end_at=row.end_at,
        recipients=row.recipients,
    )
