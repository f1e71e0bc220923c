"""Dossier store: dossiers, status history, verification attempts and locks, subscriptions.

Revision ID: dossiers_0001
Revises:
Create Date: 2026-07-20
"""

import sqlalchemy as sa
from alembic import op

revision = "dossiers_0001"
down_revision = None
branch_labels = ("dossiers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("applicant_name", sa.String(200), nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("phone_last4", sa.String(4), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("received_on", sa.Date, nullable=True),
        sa.Column("promised_on", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=True),
        sa.Column("agency", sa.String(255), nullable=True),
        sa.Column("supplement", sa.Text, nullable=True),
        sa.Column("result_delivery", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("synced_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dossiers"),
        sa.UniqueConstraint("code", name="uq_dossiers_code"),
    )
    op.create_table(
        "dossier_status_history",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("old_status", sa.String(32), nullable=True),
        sa.Column("new_status", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dossier_status_history"),
        sa.ForeignKeyConstraint(
            ["dossier_code"],
            ["dossiers.code"],
            name="fk_dossier_status_history_dossier_code_dossiers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_dossier_status_history_dossier_code", "dossier_status_history", ["dossier_code"])
    op.create_table(
        "dossier_verification_attempts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
        sa.Column("attempted_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dossier_verification_attempts"),
    )
    op.create_index(
        "ix_dossier_verification_attempts_conv_time",
        "dossier_verification_attempts",
        ["conversation_id", "attempted_at"],
    )
    op.create_table(
        "dossier_verification_locks",
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("locked_until", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_dossier_verification_locks"),
    )
    op.create_table(
        "dossier_subscriptions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_notified_status", sa.String(32), nullable=True),
        sa.Column("last_notified_at", sa.DateTime, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dossier_subscriptions"),
        sa.UniqueConstraint(
            "conversation_id", "dossier_code", name="uq_dossier_subscriptions_conversation_id"
        ),
    )
    op.create_index("ix_dossier_subscriptions_dossier_code", "dossier_subscriptions", ["dossier_code"])


def downgrade() -> None:
    op.drop_index("ix_dossier_subscriptions_dossier_code", table_name="dossier_subscriptions")
    op.drop_table("dossier_subscriptions")
    op.drop_table("dossier_verification_locks")
    op.drop_index("ix_dossier_verification_attempts_conv_time", table_name="dossier_verification_attempts")
    op.drop_table("dossier_verification_attempts")
    op.drop_index("ix_dossier_status_history_dossier_code", table_name="dossier_status_history")
    op.drop_table("dossier_status_history")
    op.drop_table("dossiers")
