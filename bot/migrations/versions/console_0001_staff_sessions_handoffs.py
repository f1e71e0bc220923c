"""Console: staff accounts, sessions, login failures, audit log, handoff tickets and messages.

Revision ID: console_0001
Revises:
Create Date: 2026-01-01 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0001"
down_revision = None
branch_labels = ("console",)
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_staff",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("name_key", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("disabled_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_console_staff"),
        sa.UniqueConstraint("name_key", name="uq_console_staff_name_key"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["console_staff.id"],
            name="fk_console_sessions_staff_id_console_staff",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "console_login_failures",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name_key", sa.String(80), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("failed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_login_failures"),
    )
    op.create_index("ix_console_login_failures_name_key", "console_login_failures", ["name_key"])
    op.create_index("ix_console_login_failures_ip", "console_login_failures", ["ip"])
    op.create_index("ix_console_login_failures_failed_at", "console_login_failures", ["failed_at"])
    op.create_table(
        "console_audit_log",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("staff_name", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_audit_log"),
    )
    op.create_index("ix_console_audit_log_staff_name", "console_audit_log", ["staff_name"])
    op.create_index("ix_console_audit_log_at", "console_audit_log", ["at"])
    op.create_table(
        "console_handoff_tickets",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("taken_by", sa.String(80), nullable=True),
        sa.Column("taken_at", _TS, nullable=True),
        sa.Column("closed_by", sa.String(80), nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_console_handoff_tickets"),
    )
    op.create_index("ix_console_handoff_tickets_status", "console_handoff_tickets", ["status"])
    op.create_index(
        "ix_console_handoff_tickets_sender", "console_handoff_tickets", ["sender_id", "channel", "status"]
    )
    op.create_table(
        "console_handoff_messages",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("time", _TS, nullable=False),
        sa.Column("staff_name", sa.String(80), nullable=True),
        sa.Column("delivery", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_console_handoff_messages"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["console_handoff_tickets.id"],
            name="fk_console_handoff_messages_ticket_id_console_handoff_tickets",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_console_handoff_messages_ticket_id", "console_handoff_messages", ["ticket_id"])
    op.create_index("ix_console_handoff_messages_delivery", "console_handoff_messages", ["delivery"])


def downgrade() -> None:
    op.drop_table("console_handoff_messages")
    op.drop_table("console_handoff_tickets")
    op.drop_table("console_audit_log")
    op.drop_table("console_login_failures")
    op.drop_table("console_sessions")
    op.drop_table("console_staff")
