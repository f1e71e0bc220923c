"""Tables of the dossier store (created by the Alembic branch ``dossiers``).

Personal data: the applicant's name is stored (shown only masked); the phone number is stored as
an HMAC (see :mod:`bot.dossiers.privacy`) plus its last 4 digits for verification. Timestamps are
naive UTC; dossier dates (received, promised) are calendar dates in Vietnam.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.db import Base

CODE_LENGTH = 64
STATUS_LENGTH = 32
CONVERSATION_LENGTH = 255


class Dossier(Base):
    __tablename__ = "dossiers"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(CODE_LENGTH), nullable=False, unique=True)
    service_id = sa.Column(sa.String(64), nullable=True)
    applicant_name = sa.Column(sa.String(200), nullable=True)
    phone_hash = sa.Column(sa.String(64), nullable=True)
    phone_last4 = sa.Column(sa.String(4), nullable=True)
    status = sa.Column(sa.String(STATUS_LENGTH), nullable=False)
    received_on = sa.Column(sa.Date, nullable=True)
    promised_on = sa.Column(sa.Date, nullable=True)
    # The source system's last update of the dossier.
    updated_at = sa.Column(sa.DateTime, nullable=True)
    agency = sa.Column(sa.String(255), nullable=True)
    supplement = sa.Column(sa.Text, nullable=True)
    result_delivery = sa.Column(sa.Text, nullable=True)
    note = sa.Column(sa.Text, nullable=True)
    # When our store last wrote this row.
    synced_at = sa.Column(sa.DateTime, nullable=False)


class DossierStatusChange(Base):
    __tablename__ = "dossier_status_history"

    id = sa.Column(sa.Integer, primary_key=True)
    dossier_code = sa.Column(
        sa.String(CODE_LENGTH), sa.ForeignKey("dossiers.code", ondelete="CASCADE"), nullable=False, index=True
    )
    old_status = sa.Column(sa.String(STATUS_LENGTH), nullable=True)
    new_status = sa.Column(sa.String(STATUS_LENGTH), nullable=False)
    # The source's update time when known, else when we recorded it.
    changed_at = sa.Column(sa.DateTime, nullable=False)
    source = sa.Column(sa.String(16), nullable=False)
    recorded_at = sa.Column(sa.DateTime, nullable=False)


class VerificationAttempt(Base):
    """One attempt to verify a dossier with the phone's last 4 digits (the digits are not stored)."""

    __tablename__ = "dossier_verification_attempts"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(CONVERSATION_LENGTH), nullable=False)
    dossier_code = sa.Column(sa.String(CODE_LENGTH), nullable=False)
    succeeded = sa.Column(sa.Boolean, nullable=False)
    attempted_at = sa.Column(sa.DateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_dossier_verification_attempts_conv_time", "conversation_id", "attempted_at"),
    )


class VerificationLock(Base):
    __tablename__ = "dossier_verification_locks"

    conversation_id = sa.Column(sa.String(CONVERSATION_LENGTH), primary_key=True)
    locked_until = sa.Column(sa.DateTime, nullable=False)


class DossierSubscription(Base):
    """A conversation asked to be told when the dossier's status changes."""

    __tablename__ = "dossier_subscriptions"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(CONVERSATION_LENGTH), nullable=False)
    channel = sa.Column(sa.String(64), nullable=False)
    # No foreign key: with the HTTP provider the dossier reaches the store at the first poll.
    dossier_code = sa.Column(sa.String(CODE_LENGTH), nullable=False, index=True)
    created_at = sa.Column(sa.DateTime, nullable=False)
    last_notified_status = sa.Column(sa.String(STATUS_LENGTH), nullable=True)
    last_notified_at = sa.Column(sa.DateTime, nullable=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)

    __table_args__ = (sa.UniqueConstraint("conversation_id", "dossier_code"),)


dossiers_table: sa.Table = Dossier.__table__
history_table: sa.Table = DossierStatusChange.__table__
attempts_table: sa.Table = VerificationAttempt.__table__
locks_table: sa.Table = VerificationLock.__table__
subscriptions_table: sa.Table = DossierSubscription.__table__
