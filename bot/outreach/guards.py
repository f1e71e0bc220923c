"""Guard rails the worker checks before every batch: kill switch (setting + DB flag), quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.outreach.models import control_t, utcnow

KILL_SWITCH_KEY = "kill_switch"


@dataclass(frozen=True)
class QuietHours:
    """No sends from ``start`` to ``end`` local time (the window may wrap past midnight)."""

    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def parse(cls, start: str, end: str, tz: str) -> QuietHours:
        return cls(time.fromisoformat(start), time.fromisoformat(end), ZoneInfo(tz))

    def is_quiet(self, now_utc: datetime) -> bool:
        local = now_utc.replace(tzinfo=timezone.utc).astimezone(self.tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_open(self, now_utc: datetime) -> datetime:
        """The first UTC moment (naive) at or after ``now_utc`` outside the quiet hours."""
        if not self.is_quiet(now_utc):
            return now_utc
        local = now_utc.replace(tzinfo=timezone.utc).astimezone(self.tz)
        candidate = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if candidate <= local:
            candidate += timedelta(days=1)
        return candidate.astimezone(timezone.utc).replace(tzinfo=None)


def set_kill_switch(engine: Engine, on: bool) -> None:
    value = "on" if on else "off"
    with engine.begin() as conn:
        updated = conn.execute(
            control_t.update()
            .where(control_t.c.key == KILL_SWITCH_KEY)
            .values(value=value, updated_at=utcnow())
        ).rowcount
        if not updated:
            conn.execute(control_t.insert().values(key=KILL_SWITCH_KEY, value=value, updated_at=utcnow()))


def kill_switch_on(engine: Engine, setting: bool) -> bool:
    """True when the settings flag OR the database flag stops all sending."""
    if setting:
        return True
    with engine.connect() as conn:
        value = conn.execute(sa.select(control_t.c.value).where(control_t.c.key == KILL_SWITCH_KEY)).scalar()
    return value == "on"
