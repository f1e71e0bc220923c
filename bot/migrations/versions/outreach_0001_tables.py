"""Outreach: subscribers with consent, campaigns, reminders, deliveries, control flags.

Revision ID: outreach_0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "outreach_0001"
down_revision = None
branch_labels = ("outreach",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outreach_subscribers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("topics", sa.String(200), nullable=False),
        sa.Column("province", sa.String(120)),
        sa.Column("commune", sa.String(120)),
        sa.Column("province_key", sa.String(120)),
        sa.Column("commune_key", sa.String(120)),
        sa.Column("birth_year", sa.Integer),
        sa.Column("consent_at", sa.DateTime, nullable=False),
        sa.Column("consent_source", sa.String(16), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime),
        sa.Column("unreachable", sa.Boolean, nullable=False),
        sa.Column("unreachable_at", sa.DateTime),
        sa.Column("unreachable_reason", sa.String(300)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("channel", "chat_id", name="uq_outreach_subscribers_chat"),
    )
    op.create_index("ix_outreach_subscribers_province_key", "outreach_subscribers", ["province_key"])
    op.create_index("ix_outreach_subscribers_commune_key", "outreach_subscribers", ["commune_key"])
    op.create_table(
        "outreach_consent_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("subscriber_id", BigId, sa.ForeignKey("outreach_subscribers.id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("topics", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_outreach_consent_events_subscriber_id", "outreach_consent_events", ["subscriber_id"])
    op.create_table(
        "outreach_campaigns",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("start_at", sa.DateTime),
        sa.Column("end_at", sa.DateTime),
        sa.Column("activated_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_outreach_campaigns_name"),
    )
    op.create_table(
        "outreach_reminders",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("subscriber_id", BigId, sa.ForeignKey("outreach_subscribers.id"), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("subscriber_id", "dedupe_key", name="uq_outreach_reminders_key"),
    )
    op.create_table(
        "outreach_deliveries",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("campaign_id", BigId, sa.ForeignKey("outreach_campaigns.id")),
        sa.Column("reminder_id", BigId, sa.ForeignKey("outreach_reminders.id")),
        sa.Column("subscriber_id", BigId, sa.ForeignKey("outreach_subscribers.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("worker_id", sa.String(80)),
        sa.Column("claim_token", sa.String(40)),
        sa.Column("attempt_started_at", sa.DateTime),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "subscriber_id", name="uq_outreach_deliveries_campaign"),
        sa.UniqueConstraint("reminder_id", name="uq_outreach_deliveries_reminder"),
    )
    op.create_index("ix_outreach_deliveries_claim", "outreach_deliveries", ["state", "next_attempt_at", "id"])
    op.create_index("ix_outreach_deliveries_cap", "outreach_deliveries", ["subscriber_id", "sent_at"])
    op.create_index("ix_outreach_deliveries_campaign_state", "outreach_deliveries", ["campaign_id", "state"])
    op.create_index("ix_outreach_deliveries_claim_token", "outreach_deliveries", ["claim_token"])
    op.create_table(
        "outreach_control",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "outreach_control",
        "outreach_deliveries",
        "outreach_reminders",
        "outreach_campaigns",
        "outreach_consent_events",
        "outreach_subscribers",
    ):
        op.drop_table(table)
