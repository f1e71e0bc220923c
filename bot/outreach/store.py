"""Delivery rows in SQL: claim a batch, record the attempt before the HTTP call, record the result
right after it, reconcile rows left in 'sending' by a dead worker.

Claiming: PostgreSQL locks candidate rows with ``FOR UPDATE SKIP LOCKED`` inside one UPDATE, so
several workers never claim the same row; SQLite runs one worker (``worker.py`` holds a file
lock) and the same UPDATE … WHERE state='queued' is atomic there.

Reconciliation policy (documented in bot/outreach/README.md): a stale 'sending' row whose
``attempt_started_at`` is NULL provably never reached the HTTP call and goes back to 'queued'; one
whose attempt had started becomes 'uncertain' and is reported, never resent automatically.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.outreach.config import OutreachConfig
from bot.outreach.models import (
    CampaignState,
    DeliveryState,
    campaigns_t,
    deliveries_t,
    reminders_t,
    subscribers_t,
)
from bot.outreach.senders.base import SendOutcome
from bot.outreach.subscribers import ACTIVE, mark_unreachable
from bot.outreach.templates import render

D = DeliveryState


@dataclass
class Claimed:
    id: int
    channel: str
    chat_id: str
    subscriber_id: int
    campaign_id: int | None
    attempts: int
    text: str
    buttons: list[dict[str, str]]


@dataclass(frozen=True)
class Reconciled:
    requeued: int
    uncertain: int


class DeliveryStore:
    def __init__(self, engine: Engine, worker_id: str, config: OutreachConfig) -> None:
        self.engine = engine
        self.worker_id = worker_id[:80]
        self.config = config
        self.is_postgres = engine.dialect.name == "postgresql"
        self._buttons_cache: dict[int, list[dict[str, str]]] = {}

    # --- reconciliation -------------------------------------------------------------------------
    def reconcile(self, now: datetime, every_sending_row: bool) -> Reconciled:
        """Settle rows left in 'sending'. ``every_sending_row`` only when no other worker can run."""
        d = deliveries_t.c
        stale = d.state == D.SENDING
        if not every_sending_row:
            stale = sa.and_(stale, d.lease_until < now)
        released = dict(state=D.QUEUED, claim_token=None, worker_id=None, lease_until=None, updated_at=now)
        with self.engine.begin() as conn:
            requeued = conn.execute(
                deliveries_t.update().where(stale, d.attempt_started_at.is_(None)).values(**released)
            ).rowcount
            uncertain = conn.execute(
                deliveries_t.update()
                .where(stale, d.attempt_started_at.is_not(None))
                .values(
                    state=D.UNCERTAIN,
                    lease_until=None,
                    updated_at=now,
                    last_error="in flight when its worker stopped; not resent (may have been delivered)",
                )
            ).rowcount
        return Reconciled(int(requeued or 0), int(uncertain or 0))

    # --- claiming -------------------------------------------------------------------------------
    def claim(self, now: datetime, limit: int) -> list[Claimed]:
        """Claim up to ``limit`` due rows; rows that must not be sent are closed right away."""
        d, c = deliveries_t.c, campaigns_t.c
        token = uuid.uuid4().hex
        candidates = (
            sa.select(d.id)
            .select_from(deliveries_t.outerjoin(campaigns_t, c.id == d.campaign_id))
            .where(
                d.state == D.QUEUED,
                d.next_attempt_at <= now,
                sa.or_(d.campaign_id.is_(None), c.state == CampaignState.RUNNING),
            )
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        if self.is_postgres:
            candidates = candidates.with_for_update(of=deliveries_t, skip_locked=True)
        with self.engine.begin() as conn:
            conn.execute(
                deliveries_t.update()
                .where(d.id.in_(candidates.scalar_subquery()), d.state == D.QUEUED)
                .values(
                    state=D.SENDING,
                    claim_token=token,
                    worker_id=self.worker_id,
                    lease_until=now + self.config.lease,
                    updated_at=now,
                ),
            )
            rows = conn.execute(self._claimed_query(token)).all()
            if not rows:
                return []
            return self._screen(conn, rows, token, now)

    def _claimed_query(self, token: str) -> sa.sql.Select:
        d, s, c, r = deliveries_t.c, subscribers_t.c, campaigns_t.c, reminders_t.c
        return (
            sa.select(
                d.id,
                d.channel,
                d.chat_id,
                d.subscriber_id,
                d.campaign_id,
                d.attempts,
                s.status,
                s.unreachable,
                s.province,
                s.commune,
                c.text.label("campaign_text"),
                c.buttons,
                c.end_at,
                r.text.label("reminder_text"),
            )
            .select_from(
                deliveries_t.join(subscribers_t, s.id == d.subscriber_id)
                .outerjoin(campaigns_t, c.id == d.campaign_id)
                .outerjoin(reminders_t, r.id == d.reminder_id)
            )
            .where(d.claim_token == token)
            .order_by(d.id)
        )

    def _screen(self, conn: Connection, rows: Sequence[Any], token: str, now: datetime) -> list[Claimed]:
        closed: list[dict[str, Any]] = []
        keep: list[Any] = []
        for row in rows:
            if row.status != ACTIVE:
                closed.append(_closing(row.id, D.SKIPPED, "subscriber unsubscribed", now))
            elif row.unreachable:
                closed.append(_closing(row.id, D.SKIPPED, "subscriber unreachable", now))
            elif row.campaign_id is not None and row.end_at is not None and row.end_at <= now:
                closed.append(_closing(row.id, D.EXPIRED, "campaign end time passed", now))
            else:
                keep.append(row)
        over_cap = self._over_frequency_cap(conn, [r for r in keep if r.campaign_id is not None], token, now)
        claimed: list[Claimed] = []
        for row in keep:
            if row.id in over_cap:
                closed.append(_closing(row.id, D.SKIPPED, "frequency cap", now))
                continue
            if row.campaign_id is not None:
                text = render(row.campaign_text, {"province": row.province, "commune": row.commune})
                buttons = self._buttons(row.campaign_id, row.buttons)
            else:
                text, buttons = row.reminder_text, []
            claimed.append(
                Claimed(
                    row.id,
                    row.channel,
                    row.chat_id,
                    row.subscriber_id,
                    row.campaign_id,
                    row.attempts,
                    text,
                    buttons,
                )
            )
        if closed:
            conn.execute(_CLOSE, closed)
        return claimed

    def _buttons(self, campaign_id: int, raw: str) -> list[dict[str, str]]:
        import json

        if campaign_id not in self._buttons_cache:
            if len(self._buttons_cache) > 256:
                self._buttons_cache.clear()
            self._buttons_cache[campaign_id] = json.loads(raw or "[]")
        return self._buttons_cache[campaign_id]

    def _over_frequency_cap(self, conn: Connection, rows: list[Any], token: str, now: datetime) -> set[int]:
        """Campaign rows that would exceed the cap (messages sent, in flight or uncertain recently)."""
        if not rows:
            return set()
        cap = self.config.frequency_cap
        since = now - self.config.frequency_window
        d = deliveries_t.c
        subscriber_ids = sorted({r.subscriber_id for r in rows})
        recent = Counter(
            dict(
                conn.execute(
                    sa.select(d.subscriber_id, sa.func.count())
                    .where(
                        d.subscriber_id.in_(subscriber_ids),
                        d.campaign_id.is_not(None),
                        sa.or_(
                            sa.and_(d.state == D.SENT, d.sent_at >= since),
                            sa.and_(d.state == D.UNCERTAIN, d.attempt_started_at >= since),
                            sa.and_(d.state == D.SENDING, d.claim_token != token),
                        ),
                    )
                    .group_by(d.subscriber_id)
                ).all()
            )
        )
        over: set[int] = set()
        for row in rows:
            if recent[row.subscriber_id] >= cap:
                over.add(row.id)
            else:
                recent[row.subscriber_id] += 1
        return over

    # --- around the HTTP call -------------------------------------------------------------------
    def record_results(self, results: Iterable[tuple[Claimed, SendOutcome]], now: datetime) -> None:
        self.write_journal([], results, now)

    def write_journal(
        self, attempt_ids: Sequence[int], results: Iterable[tuple[Claimed, SendOutcome]], now: datetime
    ) -> set[int]:
        """In one transaction: record that the ``attempt_ids`` sends are about to start, and the
        outcomes of finished sends. Returns the attempt ids still ours (only those may be sent)."""
        updates, requeues, unreachable = self._result_rows(results, now)
        if not attempt_ids and not updates and not requeues:
            return set()
        with self.engine.begin() as conn:
            if updates:
                conn.execute(_CLOSE, updates)
            if requeues:
                conn.execute(_REQUEUE, requeues)
            for subscriber_id, reason in unreachable:
                mark_unreachable(conn, subscriber_id, reason, now)
            return self._mark_attempts(conn, attempt_ids, now) if attempt_ids else set()

    def _mark_attempts(self, conn: Connection, ids: Sequence[int], now: datetime) -> set[int]:
        d = deliveries_t.c
        ours = sa.and_(
            d.id.in_(ids), d.worker_id == self.worker_id, d.state == D.SENDING, d.attempt_started_at.is_(None)
        )
        updated = conn.execute(
            deliveries_t.update().where(ours).values(attempt_started_at=now, attempts=d.attempts + 1)
        ).rowcount
        if updated == len(ids):
            return set(ids)
        return set(
            conn.execute(
                sa.select(d.id).where(
                    d.id.in_(ids), d.worker_id == self.worker_id, d.attempt_started_at == now
                )
            ).scalars()
        )

    def _result_rows(
        self, results: Iterable[tuple[Claimed, SendOutcome]], now: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[int, str]]]:
        updates: list[dict[str, Any]] = []
        requeues: list[dict[str, Any]] = []
        unreachable: list[tuple[int, str]] = []
        for claimed, outcome in results:
            attempts = claimed.attempts + 1
            if outcome.kind == "sent":
                updates.append(_closing(claimed.id, D.SENT, None, now, sent_at=now))
            elif outcome.kind in ("retry_after", "transient"):
                if attempts >= self.config.max_attempts:
                    updates.append(_closing(claimed.id, D.FAILED, f"gave up: {outcome.reason}", now))
                else:
                    delay = (
                        outcome.seconds if outcome.kind == "retry_after" else self.config.backoff(attempts)
                    )
                    requeues.append(_requeue(claimed.id, now + timedelta(seconds=delay), outcome.reason, now))
            elif outcome.kind == "unreachable":
                updates.append(_closing(claimed.id, D.UNREACHABLE, outcome.reason, now))
                unreachable.append((claimed.subscriber_id, outcome.reason))
            elif outcome.kind == "uncertain":
                updates.append(_closing(claimed.id, D.UNCERTAIN, outcome.reason, now))
            else:
                updates.append(_closing(claimed.id, D.FAILED, outcome.reason or "failed", now))
        return updates, requeues, unreachable

    # --- housekeeping ---------------------------------------------------------------------------
    def release(self, ids: Sequence[int], now: datetime) -> int:
        """Give back claimed rows whose send never started."""
        if not ids:
            return 0
        d = deliveries_t.c
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    deliveries_t.update()
                    .where(
                        d.id.in_(ids),
                        d.worker_id == self.worker_id,
                        d.state == D.SENDING,
                        d.attempt_started_at.is_(None),
                    )
                    .values(
                        state=D.QUEUED, claim_token=None, worker_id=None, lease_until=None, updated_at=now
                    )
                ).rowcount
                or 0
            )

    def renew_leases(self, now: datetime) -> None:
        d = deliveries_t.c
        with self.engine.begin() as conn:
            conn.execute(
                deliveries_t.update()
                .where(d.worker_id == self.worker_id, d.state == D.SENDING)
                .values(lease_until=now + self.config.lease)
            )

    def campaign_states(self, campaign_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(campaign_ids))
        if not ids:
            return {}
        c = campaigns_t.c
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.select(c.id, c.state).where(c.id.in_(ids))).all())


_CLOSE = (
    deliveries_t.update()
    .where(deliveries_t.c.id == sa.bindparam("b_id"))
    .values(
        state=sa.bindparam("b_state"),
        last_error=sa.bindparam("b_error"),
        sent_at=sa.bindparam("b_sent_at"),
        lease_until=None,
        claim_token=None,
        updated_at=sa.bindparam("b_now"),
    )
)
_REQUEUE = (
    deliveries_t.update()
    .where(deliveries_t.c.id == sa.bindparam("b_id"))
    .values(
        state=D.QUEUED,
        last_error=sa.bindparam("b_error"),
        next_attempt_at=sa.bindparam("b_next"),
        attempt_started_at=None,
        lease_until=None,
        claim_token=None,
        worker_id=None,
        updated_at=sa.bindparam("b_now"),
    )
)


def _closing(
    delivery_id: int, state: str, reason: str | None, now: datetime, sent_at: datetime | None = None
) -> dict[str, Any]:
    """A final state; attempt_started_at stays as evidence of the attempt."""
    return {
        "b_id": delivery_id,
        "b_state": state,
        "b_error": reason[:300] if reason else None,
        "b_sent_at": sent_at,
        "b_now": now,
    }


def _requeue(delivery_id: int, next_at: datetime, reason: str, now: datetime) -> dict[str, Any]:
    return {"b_id": delivery_id, "b_error": reason[:300], "b_next": next_at, "b_now": now}
