"""One-tap feedback on answers ("hữu ích" / "chưa đúng"), kept with the question and the answer.

Hotline staff list the wrong answers (``python -m bot feedback list --wrong``) to fix the
knowledge base.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db import Base, session_scope
from nlu.text import normalize_text

RATINGS = ("helpful", "wrong")


class FeedbackRecord(Base):
    __tablename__ = "answer_feedback"

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    rating = sa.Column(sa.String(16), nullable=False)
    question = sa.Column(sa.Text, nullable=False)
    answer = sa.Column(sa.Text, nullable=False)
    service_id = sa.Column(sa.String(64), nullable=True)


@dataclass(frozen=True)
class Feedback:
    created_at: dt.datetime
    rating: str
    question: str
    answer: str
    service_id: Optional[str]


def record_feedback(
    conversation_id: str,
    rating: str,
    question: str,
    answer: str,
    service_id: Optional[str],
    engine: Optional[Engine] = None,
) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}")
    with session_scope(engine) as session:
        session.add(
            FeedbackRecord(
                created_at=dt.datetime.now(dt.timezone.utc),
                conversation_id=conversation_id,
                rating=rating,
                question=normalize_text(question)[:4000],
                answer=answer[:8000],
                service_id=service_id,
            )
        )


def list_feedback(
    rating: Optional[str] = None, limit: int = 100, engine: Optional[Engine] = None
) -> List[Feedback]:
    with session_scope(engine) as session:
        query = session.query(FeedbackRecord).order_by(FeedbackRecord.id.desc())
        if rating:
            query = query.filter(FeedbackRecord.rating == rating)
        return [
            Feedback(r.created_at, r.rating, r.question, r.answer, r.service_id)
            for r in query.limit(limit).all()
        ]
