"""Staff sessions: a random token in the cookie, only its SHA-256 stored, with expiry.

The CSRF token is derived from the session token (HMAC), so it changes with every login, needs no
storage, and cannot be computed by a page that cannot read the HttpOnly cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.console.models import Staff, StaffSession, utcnow
from bot.db import session_scope

TOKEN_BYTES = 32
# last_seen_at is written at most this often (one write per request would be wasteful).
_TOUCH_EVERY = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token_for(session_token: str) -> str:
    return hmac.new(session_token.encode("utf-8"), b"console-csrf-v1", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(csrf_token_for(session_token).encode(), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session belongs to."""

    staff_id: int
    staff_name: str
    expires_at: dt.datetime


class SessionStore:
    def __init__(
        self,
        engine: Engine,
        lifetime: dt.timedelta = dt.timedelta(hours=12),
        idle_timeout: dt.timedelta = dt.timedelta(hours=2),
    ) -> None:
        self.engine = engine
        self.lifetime = lifetime
        self.idle_timeout = idle_timeout

    def create(self, staff_id: int, now: dt.datetime | None = None) -> str:
        """A new session for ``staff_id``; returns the raw token (goes into the cookie only)."""
        moment = now or utcnow()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with session_scope(self.engine) as session:
            session.execute(sa.delete(StaffSession).where(StaffSession.expires_at <= moment))
            session.add(
                StaffSession(
                    token_hash=token_hash(token),
                    staff_id=staff_id,
                    created_at=moment,
                    last_seen_at=moment,
                    expires_at=moment + self.lifetime,
                )
            )
        return token

    def resolve(self, token: str | None, now: dt.datetime | None = None) -> SignedIn | None:
        """The signed-in staff member for a cookie token, or None (unknown, expired, idle, disabled)."""
        if not token or len(token) > 256:
            return None
        moment = now or utcnow()
        with session_scope(self.engine) as session:
            found = session.execute(
                sa.select(StaffSession, Staff)
                .join(Staff, Staff.id == StaffSession.staff_id)
                .where(StaffSession.token_hash == token_hash(token))
            ).one_or_none()
            if found is None:
                return None
            row, staff = found
            if row.expires_at <= moment or row.last_seen_at + self.idle_timeout <= moment or not staff.active:
                session.delete(row)
                return None
            if moment - row.last_seen_at >= _TOUCH_EVERY:
                row.last_seen_at = moment
            return SignedIn(staff_id=staff.id, staff_name=staff.name, expires_at=row.expires_at)

    def delete(self, token: str | None) -> None:
        if not token:
            return
        with session_scope(self.engine) as session:
            session.execute(sa.delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
