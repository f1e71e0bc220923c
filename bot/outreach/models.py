"""Outreach tables: subscribers (with consent), campaigns, reminders, deliveries, control flags.

Times are naive UTC everywhere (``utcnow()``); local time only matters for quiet hours.
Created by the Alembic branch "outreach" (``bot/migrations/versions/outreach_*``).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from bot.db import Base

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class DeliveryState:
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    # In flight when a worker died after the HTTP call may have started: never resent blindly.
    UNCERTAIN = "uncertain"
    # Not sent on purpose: unsubscribed, unreachable, frequency cap (reason in last_error).
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    FINAL = (SENT, FAILED, UNREACHABLE, UNCERTAIN, SKIPPED, CANCELLED, EXPIRED)


class CampaignState:
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class Subscriber(Base):
    __tablename__ = "outreach_subscribers"
    __table_args__ = (sa.UniqueConstraint("channel", "chat_id", name="uq_outreach_subscribers_chat"),)

    id = sa.Column(BigId, primary_key=True)
    channel = sa.Column(sa.String(16), nullable=False)
    chat_id = sa.Column(sa.String(64), nullable=False)
    status = sa.Column(sa.String(16), nullable=False)  # active | unsubscribed
    topics = sa.Column(sa.String(200), nullable=False, default="")  # ";a;b;"
    province = sa.Column(sa.String(120))
    commune = sa.Column(sa.String(120))
    province_key = sa.Column(sa.String(120), index=True)  # folded, for accent-insensitive segments
    commune_key = sa.Column(sa.String(120), index=True)
    birth_year = sa.Column(sa.Integer)
    consent_at = sa.Column(sa.DateTime, nullable=False)
    consent_source = sa.Column(sa.String(16), nullable=False)  # chat | import
    unsubscribed_at = sa.Column(sa.DateTime)
    unreachable = sa.Column(sa.Boolean, nullable=False, default=False)
    unreachable_at = sa.Column(sa.DateTime)
    unreachable_reason = sa.Column(sa.String(300))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ConsentEvent(Base):
    """Audit trail of consent: every subscribe, topic change and unsubscribe."""

    __tablename__ = "outreach_consent_events"

    id = sa.Column(BigId, primary_key=True)
    subscriber_id = sa.Column(BigId, sa.ForeignKey("outreach_subscribers.id"), nullable=False, index=True)
    event = sa.Column(sa.String(16), nullable=False)  # subscribe | update | unsubscribe
    source = sa.Column(sa.String(16), nullable=False)  # chat | import | console
    channel = sa.Column(sa.String(16), nullable=False)
    topics = sa.Column(sa.String(200), nullable=False, default="")
    at = sa.Column(sa.DateTime, nullable=False)


class Campaign(Base):
    __tablename__ = "outreach_campaigns"

    id = sa.Column(BigId, primary_key=True)
    name = sa.Column(sa.String(200), nullable=False, unique=True)
    text = sa.Column(sa.Text, nullable=False)
    buttons = sa.Column(sa.Text, nullable=False, default="[]")  # JSON [{"text", "url"}]
    segment = sa.Column(sa.Text, nullable=False, default="{}")  # JSON, see segments.Segment
    state = sa.Column(sa.String(16), nullable=False)
    start_at = sa.Column(sa.DateTime)  # None = as soon as it is sent
    end_at = sa.Column(sa.DateTime)
    activated_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)
    recipients = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Reminder(Base):
    __tablename__ = "outreach_reminders"
    __table_args__ = (sa.UniqueConstraint("subscriber_id", "dedupe_key", name="uq_outreach_reminders_key"),)

    id = sa.Column(BigId, primary_key=True)
    subscriber_id = sa.Column(BigId, sa.ForeignKey("outreach_subscribers.id"), nullable=False)
    rule = sa.Column(sa.String(32), nullable=False)
    dedupe_key = sa.Column(sa.String(120), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    due_at = sa.Column(sa.DateTime, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Delivery(Base):
    """One message to one subscriber: queued → sending → sent / failed / unreachable / uncertain."""

    __tablename__ = "outreach_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "subscriber_id", name="uq_outreach_deliveries_campaign"),
        sa.UniqueConstraint("reminder_id", name="uq_outreach_deliveries_reminder"),
        sa.Index("ix_outreach_deliveries_claim", "state", "next_attempt_at", "id"),
        sa.Index("ix_outreach_deliveries_cap", "subscriber_id", "sent_at"),
        sa.Index("ix_outreach_deliveries_campaign_state", "campaign_id", "state"),
        sa.Index("ix_outreach_deliveries_claim_token", "claim_token"),
    )

    id = sa.Column(BigId, primary_key=True)
    campaign_id = sa.Column(BigId, sa.ForeignKey("outreach_campaigns.id"))
    reminder_id = sa.Column(BigId, sa.ForeignKey("outreach_reminders.id"))
    subscriber_id = sa.Column(BigId, sa.ForeignKey("outreach_subscribers.id"), nullable=False)
    channel = sa.Column(sa.String(16), nullable=False)
    chat_id = sa.Column(sa.String(64), nullable=False)
    state = sa.Column(sa.String(16), nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime, nullable=False)
    lease_until = sa.Column(sa.DateTime)
    worker_id = sa.Column(sa.String(80))
    claim_token = sa.Column(sa.String(40))
    # Written and committed just before the HTTP call: NULL proves the message never left.
    attempt_started_at = sa.Column(sa.DateTime)
    sent_at = sa.Column(sa.DateTime)
    last_error = sa.Column(sa.String(300))
    created_at = sa.Column(sa.DateTime, nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=False)


class ControlFlag(Base):
    """Operator switches the worker reads before every batch (e.g. the kill switch)."""

    __tablename__ = "outreach_control"

    key = sa.Column(sa.String(40), primary_key=True)
    value = sa.Column(sa.String(200), nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=False)


subscribers_t: sa.Table = Subscriber.__table__
consent_events_t: sa.Table = ConsentEvent.__table__
campaigns_t: sa.Table = Campaign.__table__
reminders_t: sa.Table = Reminder.__table__
deliveries_t: sa.Table = Delivery.__table__
control_t: sa.Table = ControlFlag.__table__
