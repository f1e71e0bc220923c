"""Personal reminders for subscribers who chose the topic "nhac_giay_to".

Rules: ID card renewal in the year the citizen turns 14, 25, 40 or 60 (Luật Căn cước 2023,
Điều 21: the card is renewed at those ages); birth registration within 60 days of the birth
(Luật Hộ tịch 2014, Điều 15); a result waiting at the one-stop shop. Each reminder is a row with a
per-subscriber dedupe key (never created twice) and one delivery row sent by the same worker, under
the same guard rails as campaigns except the campaign frequency cap: a reminder is personal,
requested through its topic and bounded by its rule, so a busy campaign week must not hide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.outreach import texts
from bot.outreach.models import DeliveryState, deliveries_t, reminders_t, subscribers_t, utcnow
from bot.outreach.subscribers import ACTIVE, _engine
from bot.outreach.topics import REMINDER_TOPIC

ID_CARD_AGES: tuple[int, ...] = (14, 25, 40, 60)
BIRTH_REGISTRATION_DAYS = 60


@dataclass(frozen=True)
class ReminderResult:
    """outcome: created | duplicate | not_subscribed (no consent for reminders) | too_late | invalid."""

    outcome: str
    reminder_id: int | None = None


def _consenting(conn: Connection, channel: str, chat_id: str) -> int | None:
    s = subscribers_t.c
    return conn.execute(
        sa.select(s.id).where(
            s.channel == channel,
            s.chat_id == str(chat_id),
            s.status == ACTIVE,
            s.unreachable == sa.false(),
            s.topics.like(f"%;{REMINDER_TOPIC};%"),
        )
    ).scalar()


def _create(
    engine: Engine,
    channel: str,
    chat_id: str,
    rule: str,
    key: str,
    text: str,
    due_at: datetime,
    now: datetime,
) -> ReminderResult:
    r = reminders_t.c
    try:
        with engine.begin() as conn:
            subscriber_id = _consenting(conn, channel, chat_id)
            if subscriber_id is None:
                return ReminderResult("not_subscribed")
            existing = conn.execute(
                sa.select(r.id).where(r.subscriber_id == subscriber_id, r.dedupe_key == key)
            ).scalar()
            if existing is not None:
                return ReminderResult("duplicate", existing)
            reminder_id = conn.execute(
                reminders_t.insert().values(
                    subscriber_id=subscriber_id,
                    rule=rule,
                    dedupe_key=key,
                    text=text,
                    due_at=due_at,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                deliveries_t.insert().values(
                    reminder_id=reminder_id,
                    subscriber_id=subscriber_id,
                    channel=channel,
                    chat_id=str(chat_id),
                    state=DeliveryState.QUEUED,
                    attempts=0,
                    next_attempt_at=due_at,
                    created_at=now,
                    updated_at=now,
                )
            )
            return ReminderResult("created", reminder_id)
    except IntegrityError:  # the same reminder created concurrently
        return ReminderResult("duplicate")


def remind_birth_registration(
    channel: str, chat_id: str, birth_date: date, *, engine: Engine | None = None, now: datetime | None = None
) -> ReminderResult:
    """A birth was mentioned in a dossier: remind the parent to register it within 60 days."""
    now = now or utcnow()
    deadline = birth_date + timedelta(days=BIRTH_REGISTRATION_DAYS)
    if birth_date > now.date() + timedelta(days=1):
        return ReminderResult("invalid")
    if deadline < now.date():
        return ReminderResult("too_late")
    return _create(
        _engine(engine),
        channel,
        chat_id,
        "birth_registration",
        f"birth:{birth_date.isoformat()}",
        texts.birth_registration(deadline),
        now,
        now,
    )


def remind_result_waiting(
    channel: str,
    chat_id: str,
    dossier_code: str,
    ready_since: date | datetime,
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> ReminderResult:
    """A dossier result has waited at the one-stop shop: remind the citizen to collect it (once)."""
    now = now or utcnow()
    code = (dossier_code or "").strip()
    if not code or len(code) > 60:
        return ReminderResult("invalid")
    ready = ready_since.date() if isinstance(ready_since, datetime) else ready_since
    return _create(
        _engine(engine),
        channel,
        chat_id,
        "result_waiting",
        f"result:{code}",
        texts.result_waiting(code, ready),
        now,
        now,
    )


def run_id_card_rule(engine: Engine, now: datetime, tz: str = "Asia/Ho_Chi_Minh") -> int:
    """Create this year's ID card renewal reminders (set-based SQL; idempotent). Returns the count."""
    year = now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).year
    s, r = subscribers_t.c, reminders_t.c
    created = 0
    with engine.begin() as conn:
        for age in ID_CARD_AGES:
            key = f"id_card:{age}"
            already = sa.select(r.id).where(r.subscriber_id == s.id, r.dedupe_key == key).exists()
            select = sa.select(
                s.id,
                sa.literal("id_card_renewal"),
                sa.literal(key),
                sa.literal(texts.id_card_renewal(age, year)),
                sa.literal(now, sa.DateTime),
                sa.literal(now, sa.DateTime),
            ).where(
                s.status == ACTIVE,
                s.unreachable == sa.false(),
                s.topics.like(f"%;{REMINDER_TOPIC};%"),
                s.birth_year == year - age,
                ~already,
            )
            result = conn.execute(
                reminders_t.insert().from_select(
                    ["subscriber_id", "rule", "dedupe_key", "text", "due_at", "created_at"], select
                )
            )
            created += int(result.rowcount or 0)
        _queue_reminder_deliveries(conn, now)
    return created


def _queue_reminder_deliveries(conn: Connection, now: datetime) -> None:
    s, r, d = subscribers_t.c, reminders_t.c, deliveries_t.c
    missing = ~sa.select(d.id).where(d.reminder_id == r.id).exists()
    select = (
        sa.select(
            r.id,
            r.subscriber_id,
            s.channel,
            s.chat_id,
            sa.literal(DeliveryState.QUEUED),
            sa.literal(0),
            r.due_at,
            sa.literal(now, sa.DateTime),
            sa.literal(now, sa.DateTime),
        )
        .select_from(reminders_t.join(subscribers_t, s.id == r.subscriber_id))
        .where(missing)
    )
    conn.execute(
        deliveries_t.insert().from_select(
            [
                "reminder_id",
                "subscriber_id",
                "channel",
                "chat_id",
                "state",
                "attempts",
                "next_attempt_at",
                "created_at",
                "updated_at",
            ],
            select,
        )
    )
