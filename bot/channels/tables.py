"""The channels' SQL tables (created by the Alembic branch "channels", bot/migrations/versions)."""

from __future__ import annotations

import sqlalchemy as sa

from bot.db import metadata

# Webhook/polling events already handled, so a redelivered update is processed once.
processed_events = sa.Table(
    "channel_processed_events",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("seen_at", sa.DateTime, nullable=False, index=True),
)

# Chats we can no longer write to (user blocked the bot, unfollowed the OA, …).
reachability = sa.Table(
    "channel_unreachable_chats",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("chat_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(255), nullable=False),
    sa.Column("marked_at", sa.DateTime, nullable=False),
)

# Telegram button payloads longer than callback_data allows (64 bytes), by short key.
telegram_callback_payloads = sa.Table(
    "telegram_callback_payloads",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
)

# The Zalo OA token pair: one row (id 1). The refresh token is single-use, so this row is the only
# copy of the current one once a refresh has happened.
zalo_oa_tokens = sa.Table(
    "zalo_oa_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("access_token", sa.Text, nullable=True),
    sa.Column("access_expires_at", sa.DateTime, nullable=True),
    sa.Column("refresh_token", sa.Text, nullable=True),
    # SHA-256 of the ZALO_REFRESH_TOKEN setting the row was seeded from: a new setting re-seeds.
    sa.Column("seed_fingerprint", sa.String(64), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
