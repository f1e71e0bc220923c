"""Channels: processed events (dedup), unreachable chats, Telegram button payloads, Zalo OA tokens.

Revision ID: channels_0001
Revises:
Create Date: 2026-07-20
"""

import sqlalchemy as sa
from alembic import op

revision = "channels_0001"
down_revision = None
branch_labels = ("channels",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_processed_events",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("channel", "event_id", name="pk_channel_processed_events"),
    )
    op.create_index("ix_channel_processed_events_seen_at", "channel_processed_events", ["seen_at"])
    op.create_table(
        "channel_unreachable_chats",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("marked_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", name="pk_channel_unreachable_chats"),
    )
    op.create_table(
        "telegram_callback_payloads",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_telegram_callback_payloads"),
    )
    op.create_index("ix_telegram_callback_payloads_created_at", "telegram_callback_payloads", ["created_at"])
    op.create_table(
        "zalo_oa_tokens",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("access_token", sa.Text, nullable=True),
        sa.Column("access_expires_at", sa.DateTime, nullable=True),
        sa.Column("refresh_token", sa.Text, nullable=True),
        sa.Column("seed_fingerprint", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zalo_oa_tokens"),
    )


def downgrade() -> None:
    op.drop_table("zalo_oa_tokens")
    op.drop_index("ix_telegram_callback_payloads_created_at", table_name="telegram_callback_payloads")
    op.drop_table("telegram_callback_payloads")
    op.drop_table("channel_unreachable_chats")
    op.drop_index("ix_channel_processed_events_seen_at", table_name="channel_processed_events")
    op.drop_table("channel_processed_events")
