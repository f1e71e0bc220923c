"""The console's stores, built together from settings (or from a test's engine)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy.engine import Engine

from bot.console.audit import AuditLog
from bot.console.dossier_lookup import DossierLookup, default_lookup
from bot.console.handoff import HandoffStore
from bot.console.passwords import DEFAULT_PARAMS, ScryptParams
from bot.console.sessions import SessionStore
from bot.console.staff import StaffStore
from bot.console.throttle import LoginThrottle


@dataclass
class ConsoleServices:
    staff: StaffStore
    sessions: SessionStore
    throttle: LoginThrottle
    handoffs: HandoffStore
    audit: AuditLog
    # Mark cookies Secure even on plain http (TLS ends at a proxy in front of the server).
    cookie_secure: bool = False
    _dossiers: DossierLookup | None = field(default=None, repr=False)

    @property
    def dossiers(self) -> DossierLookup:
        if self._dossiers is None:
            self._dossiers = default_lookup(self.audit)
        return self._dossiers

    @classmethod
    def build(
        cls,
        engine: Engine,
        *,
        params: ScryptParams = DEFAULT_PARAMS,
        min_password_length: int = 10,
        session_lifetime: dt.timedelta = dt.timedelta(hours=12),
        idle_timeout: dt.timedelta = dt.timedelta(hours=2),
        max_failures: int = 5,
        failure_window: dt.timedelta = dt.timedelta(minutes=15),
        cookie_secure: bool = False,
        dossiers: DossierLookup | None = None,
    ) -> ConsoleServices:
        audit = AuditLog(engine)
        return cls(
            staff=StaffStore(engine, params, min_password_length),
            sessions=SessionStore(engine, session_lifetime, idle_timeout),
            throttle=LoginThrottle(engine, max_failures, failure_window),
            handoffs=HandoffStore(engine),
            audit=audit,
            cookie_secure=cookie_secure,
            _dossiers=dossiers,
        )


@lru_cache(maxsize=1)
def default_services() -> ConsoleServices:
    """Built on first use from settings (an engine connects only when first used)."""
    from bot.db import default_engine
    from bot.settings import get_settings

    settings = get_settings()
    return ConsoleServices.build(
        default_engine(),
        min_password_length=settings.console_min_password_length,
        session_lifetime=dt.timedelta(hours=settings.console_session_hours),
        idle_timeout=dt.timedelta(minutes=settings.console_idle_minutes),
        max_failures=settings.console_login_max_failures,
        failure_window=dt.timedelta(minutes=settings.console_login_window_minutes),
        cookie_secure=settings.console_cookie_secure,
    )
