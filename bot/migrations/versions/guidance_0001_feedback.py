"""guidance: answer feedback

Revision ID: guidance_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "guidance_0001"
down_revision = None
branch_labels = ("guidance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("rating", sa.String(16), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("service_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_answer_feedback_conversation_id", "answer_feedback", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_conversation_id", table_name="answer_feedback")
    op.drop_table("answer_feedback")
