"""Brute-force protection: too many failed logins per user name or per IP → refuse for a while."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.console.models import LoginFailure, utcnow
from bot.db import session_scope

THROTTLED_MESSAGE = "Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."


class LoginThrottle:
    def __init__(self, engine: Engine, max_failures: int = 5, window: dt.timedelta | None = None) -> None:
        self.engine = engine
        self.max_failures = max_failures
        self.window = window or dt.timedelta(minutes=15)

    @property
    def message(self) -> str:
        return THROTTLED_MESSAGE.format(minutes=max(1, round(self.window.total_seconds() / 60)))

    def is_blocked(self, name_key: str, ip: str, now: dt.datetime | None = None) -> bool:
        since = (now or utcnow()) - self.window
        with session_scope(self.engine) as session:
            for column, value in ((LoginFailure.name_key, name_key), (LoginFailure.ip, ip)):
                count = session.execute(
                    sa.select(sa.func.count())
                    .select_from(LoginFailure)
                    .where(column == value, LoginFailure.failed_at > since)
                ).scalar_one()
                if count >= self.max_failures:
                    return True
        return False

    def record_failure(self, name_key: str, ip: str, now: dt.datetime | None = None) -> None:
        moment = now or utcnow()
        with session_scope(self.engine) as session:
            session.add(LoginFailure(name_key=name_key[:80], ip=ip[:64], failed_at=moment))
            # Keep the table small: rows older than the window no longer count.
            session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at <= moment - self.window))

    def clear(self, name_key: str) -> None:
        """After a successful login the user name starts afresh (the IP's count stays)."""
        with session_scope(self.engine) as session:
            session.execute(sa.delete(LoginFailure).where(LoginFailure.name_key == name_key))
