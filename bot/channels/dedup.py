"""Process each incoming event once, even when the platform redelivers it or the server restarts.

A claim is an INSERT into ``channel_processed_events`` keyed by (channel, event id): the first
claim wins, a redelivery hits the primary key and is skipped. Rows older than the retention window
(far longer than Telegram's 24 h or Zalo's ~2 h of retries) are pruned now and then, so the table
stays small.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.channels.storage import in_thread, resolve_engine, utcnow
from bot.channels.tables import processed_events

logger = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=7)
_MAX_EVENT_ID = 128


class EventDeduplicator:
    def __init__(
        self,
        channel: str,
        engine: Engine | None = None,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        prune_every: int = 1000,
    ) -> None:
        self.channel = channel
        self._engine = engine
        self.retention = retention
        self.prune_every = max(1, prune_every)
        self._claims = 0

    def claim(self, event_id: str) -> bool:
        """True when this event has not been seen before (and is now recorded as seen)."""
        key = str(event_id)[:_MAX_EVENT_ID]
        engine = resolve_engine(self._engine)
        try:
            with engine.begin() as connection:
                connection.execute(
                    processed_events.insert().values(channel=self.channel, event_id=key, seen_at=utcnow())
                )
        except IntegrityError:
            return False
        self._claims += 1
        if self._claims % self.prune_every == 0:
            self.prune()
        return True

    async def claim_async(self, event_id: str) -> bool:
        return await in_thread(self.claim, event_id)

    def prune(self) -> int:
        """Forget events older than the retention window; returns how many rows went."""
        cutoff = utcnow() - self.retention
        with resolve_engine(self._engine).begin() as connection:
            result = connection.execute(
                sa.delete(processed_events).where(
                    processed_events.c.channel == self.channel, processed_events.c.seen_at < cutoff
                )
            )
        removed = int(result.rowcount or 0)
        if removed:
            logger.debug("Pruned %d processed %s events", removed, self.channel)
        return removed
