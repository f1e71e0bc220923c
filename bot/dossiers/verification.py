"""Anti-enumeration: verification attempts per conversation and the temporary lock.

After ``max_failures`` wrong last-4-digit answers in one conversation within ``window``, lookups
are locked for that conversation for ``lock_for``. Attempts are stored without the digits; log
lines carry a hashed conversation tag and the dossier code, never the digits.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.dossiers.models import attempts_table, locks_table
from bot.dossiers.privacy import conversation_tag
from bot.dossiers.records import utc_now

logger = logging.getLogger(__name__)


class VerificationGuard:
    def __init__(
        self,
        engine: Engine,
        *,
        max_failures: int = 5,
        window: dt.timedelta = dt.timedelta(hours=1),
        lock_for: dt.timedelta = dt.timedelta(hours=1),
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.max_failures = max_failures
        self.window = window
        self.lock_for = lock_for
        self.clock = clock

    def locked_until(self, conversation_id: str) -> dt.datetime | None:
        """When the lock of this conversation ends, or ``None`` when it is not locked."""
        query = sa.select(locks_table.c.locked_until).where(locks_table.c.conversation_id == conversation_id)
        with self.engine.connect() as conn:
            until = conn.execute(query).scalar()
        return until if until is not None and until > self.clock() else None

    def record_failure(self, conversation_id: str, dossier_code: str) -> int:
        """Store a failed attempt; lock the conversation when the limit is reached.

        Returns the number of failures in the current window.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                attempts_table.insert().values(
                    conversation_id=conversation_id,
                    dossier_code=dossier_code,
                    succeeded=False,
                    attempted_at=now,
                )
            )
            failures = int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(attempts_table)
                    .where(
                        attempts_table.c.conversation_id == conversation_id,
                        attempts_table.c.succeeded.is_(False),
                        attempts_table.c.attempted_at > now - self.window,
                    )
                ).scalar_one()
            )
            if failures >= self.max_failures:
                conn.execute(locks_table.delete().where(locks_table.c.conversation_id == conversation_id))
                conn.execute(
                    locks_table.insert().values(
                        conversation_id=conversation_id, locked_until=now + self.lock_for
                    )
                )
        logger.warning(
            "dossier verification failed: conversation=%s code=%s failures_in_window=%d%s",
            conversation_tag(conversation_id),
            dossier_code,
            failures,
            " → locked" if failures >= self.max_failures else "",
        )
        return failures

    def record_success(self, conversation_id: str, dossier_code: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                attempts_table.insert().values(
                    conversation_id=conversation_id,
                    dossier_code=dossier_code,
                    succeeded=True,
                    attempted_at=self.clock(),
                )
            )

    def verified(self, conversation_id: str, dossier_code: str, within: dt.timedelta) -> bool:
        """Whether this conversation proved the digits for this dossier recently."""
        query = (
            sa.select(attempts_table.c.id)
            .where(
                attempts_table.c.conversation_id == conversation_id,
                attempts_table.c.dossier_code == dossier_code,
                attempts_table.c.succeeded.is_(True),
                attempts_table.c.attempted_at > self.clock() - within,
            )
            .limit(1)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None
