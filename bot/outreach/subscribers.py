"""Subscribe / unsubscribe (called by the Rasa actions) and the subscriber's consent record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.outreach import texts
from bot.outreach.models import consent_events_t, subscribers_t, utcnow
from bot.outreach.topics import decode_topics, encode_topics, unknown_topics
from nlu.text import fold, normalize_text

CHANNELS: tuple[str, ...] = ("telegram", "zalo")
ACTIVE = "active"
UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True)
class SubscribeResult:
    """outcome: subscribed (new or back after unsubscribing) | updated | invalid."""

    outcome: str
    message: str
    topics: tuple[str, ...] = ()


def _engine(engine: Engine | None) -> Engine:
    if engine is not None:
        return engine
    from bot.db import default_engine

    return default_engine()


def place_key(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(fold(value).split()) or None


def clean_place(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(normalize_text(value).split())
    return cleaned[:120] or None


def valid_birth_year(year: int | None, today_year: int) -> bool:
    return year is None or (1900 <= year <= today_year)


def subscribe(
    channel: str,
    chat_id: str,
    topics: Sequence[str],
    province: str | None = None,
    commune: str | None = None,
    birth_year: int | None = None,
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> SubscribeResult:
    """Record consent for ``topics``. A new chat subscription also clears an old unreachable mark."""
    now = now or utcnow()
    chosen = tuple(dict.fromkeys(topics))
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    if not chosen:
        return SubscribeResult("invalid", texts.no_topic_chosen())
    if unknown_topics(chosen):
        return SubscribeResult("invalid", texts.unknown_topic())
    if not valid_birth_year(birth_year, now.year):
        return SubscribeResult("invalid", texts.bad_birth_year())
    stored_topics = encode_topics(chosen)
    ordered = tuple(decode_topics(stored_topics))
    values = {
        "status": ACTIVE,
        "topics": stored_topics,
        "unreachable": False,
        "unreachable_at": None,
        "unreachable_reason": None,
        "unsubscribed_at": None,
        "updated_at": now,
    }
    place = {
        "province": clean_place(province),
        "commune": clean_place(commune),
        "province_key": place_key(province),
        "commune_key": place_key(commune),
    }
    with _engine(engine).begin() as conn:
        row = conn.execute(
            sa.select(subscribers_t.c.id, subscribers_t.c.status).where(
                subscribers_t.c.channel == channel, subscribers_t.c.chat_id == str(chat_id)
            )
        ).first()
        if row is None:
            subscriber_id = conn.execute(
                subscribers_t.insert().values(
                    channel=channel,
                    chat_id=str(chat_id),
                    birth_year=birth_year,
                    consent_at=now,
                    consent_source="chat",
                    created_at=now,
                    **place,
                    **values,
                )
            ).inserted_primary_key[0]
            outcome, event = "subscribed", "subscribe"
        else:
            subscriber_id = row.id
            update = dict(values)
            # Keep known place / birth year unless the citizen gives new ones.
            update.update({k: v for k, v in place.items() if v is not None})
            if birth_year is not None:
                update["birth_year"] = birth_year
            if row.status != ACTIVE:
                update.update(consent_at=now, consent_source="chat")
                outcome, event = "subscribed", "subscribe"
            else:
                outcome, event = "updated", "update"
            conn.execute(subscribers_t.update().where(subscribers_t.c.id == row.id).values(**update))
        _log_consent(conn, subscriber_id, event, "chat", channel, stored_topics, now)
    message = texts.subscribed(ordered) if outcome == "subscribed" else texts.subscription_updated(ordered)
    return SubscribeResult(outcome, message, ordered)


def unsubscribe(
    channel: str, chat_id: str, *, engine: Engine | None = None, now: datetime | None = None
) -> bool:
    """Withdraw consent. True when an active subscription ended; see ``unsubscribe_message``."""
    now = now or utcnow()
    with _engine(engine).begin() as conn:
        row = conn.execute(
            sa.select(subscribers_t.c.id, subscribers_t.c.topics).where(
                subscribers_t.c.channel == channel,
                subscribers_t.c.chat_id == str(chat_id),
                subscribers_t.c.status == ACTIVE,
            )
        ).first()
        if row is None:
            return False
        conn.execute(
            subscribers_t.update()
            .where(subscribers_t.c.id == row.id)
            .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
        )
        _log_consent(conn, row.id, "unsubscribe", "chat", channel, row.topics, now)
    return True


def current_topics(channel: str, chat_id: str, *, engine: Engine | None = None) -> tuple[str, ...]:
    """The topics an active subscriber receives (empty when not subscribed)."""
    with _engine(engine).connect() as conn:
        stored = conn.execute(
            sa.select(subscribers_t.c.topics).where(
                subscribers_t.c.channel == channel,
                subscribers_t.c.chat_id == str(chat_id),
                subscribers_t.c.status == ACTIVE,
            )
        ).scalar_one_or_none()
    return tuple(decode_topics(stored)) if stored else ()


def unsubscribe_message(ended: bool) -> str:
    """The confirmation to show after :func:`unsubscribe`."""
    return texts.unsubscribed() if ended else texts.not_subscribed()


def _log_consent(
    conn: Connection, subscriber_id: int, event: str, source: str, channel: str, topics: str, now: datetime
) -> None:
    conn.execute(
        consent_events_t.insert().values(
            subscriber_id=subscriber_id, event=event, source=source, channel=channel, topics=topics, at=now
        )
    )


def mark_unreachable(conn: Connection, subscriber_id: int, reason: str, now: datetime) -> None:
    conn.execute(
        subscribers_t.update()
        .where(subscribers_t.c.id == subscriber_id)
        .values(unreachable=True, unreachable_at=now, unreachable_reason=reason[:300], updated_at=now)
    )
