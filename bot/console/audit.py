"""Audit log of sensitive staff reads (dossier look-ups): staff name, what, outcome, when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.console.models import AuditEntry
from bot.db import session_scope

DOSSIER_LOOKUP = "dossier_lookup"


@dataclass(frozen=True)
class AuditRecord:
    staff_name: str
    action: str
    subject: str
    outcome: str
    at: dt.datetime


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, staff_name: str, action: str, subject: str, outcome: str) -> None:
        with session_scope(self.engine) as session:
            session.add(
                AuditEntry(
                    staff_name=staff_name[:80],
                    action=action[:40],
                    subject=subject[:120],
                    outcome=outcome[:20],
                )
            )

    def recent(self, limit: int = 100, staff_name: str | None = None) -> List[AuditRecord]:
        query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        if staff_name is not None:
            query = query.where(AuditEntry.staff_name == staff_name)
        with session_scope(self.engine) as session:
            return [
                AuditRecord(row.staff_name, row.action, row.subject, row.outcome, row.at)
                for row in session.execute(query).scalars()
            ]
