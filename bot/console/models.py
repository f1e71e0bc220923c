"""Tables of the console (Alembic branch ``console``): staff, sessions, throttling, audit, handoffs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.db import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite (which forgets the zone) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Staff(Base):
    __tablename__ = "console_staff"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False)
    # NFC + casefold of the name: what login compares and what must be unique.
    name_key = sa.Column(sa.String(80), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    disabled_at = sa.Column(UTCDateTime, nullable=True)


class StaffSession(Base):
    __tablename__ = "console_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    # SHA-256 of the cookie's random token; the token itself is never stored.
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("console_staff.id", ondelete="CASCADE"), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)


class LoginFailure(Base):
    __tablename__ = "console_login_failures"

    id = sa.Column(sa.Integer, primary_key=True)
    name_key = sa.Column(sa.String(80), nullable=False, index=True)
    ip = sa.Column(sa.String(64), nullable=False, index=True)
    failed_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class AuditEntry(Base):
    """Who looked at what: every staff dossier look-up (and other sensitive reads)."""

    __tablename__ = "console_audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    staff_name = sa.Column(sa.String(80), nullable=False, index=True)
    action = sa.Column(sa.String(40), nullable=False)
    subject = sa.Column(sa.String(120), nullable=False)
    outcome = sa.Column(sa.String(20), nullable=False)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class HandoffTicketRow(Base):
    __tablename__ = "console_handoff_tickets"

    id = sa.Column(sa.String(32), primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False)
    channel = sa.Column(sa.String(64), nullable=False)
    # open (waiting), taken (a staff member answers), closed (handed back to the assistant)
    status = sa.Column(sa.String(16), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    taken_by = sa.Column(sa.String(80), nullable=True)
    taken_at = sa.Column(UTCDateTime, nullable=True)
    closed_by = sa.Column(sa.String(80), nullable=True)
    closed_at = sa.Column(UTCDateTime, nullable=True)

    __table_args__ = (sa.Index("ix_console_handoff_tickets_sender", "sender_id", "channel", "status"),)


class HandoffMessageRow(Base):
    __tablename__ = "console_handoff_messages"

    id = sa.Column(sa.Integer, primary_key=True)
    ticket_id = sa.Column(
        sa.String(32),
        sa.ForeignKey("console_handoff_tickets.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    # user | bot (transcript before the handoff) | staff (a reply from the console)
    role = sa.Column(sa.String(8), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    time = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    staff_name = sa.Column(sa.String(80), nullable=True)
    # staff replies: sent (pushed to the channel), stored (waits for the citizen's poll),
    # delivered (the citizen's poll picked it up), failed (the channel refused it)
    delivery = sa.Column(sa.String(16), nullable=True, index=True)
