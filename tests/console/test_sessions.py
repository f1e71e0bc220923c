"""Sessions (random token, only its hash stored, expiry) and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.console.models import StaffSession, utcnow
from bot.console.services import ConsoleServices
from bot.console.sessions import SessionStore, csrf_matches, csrf_token_for
from tests.console.helpers import PASSWORD


def test_token_is_random_and_stored_hashed(services: ConsoleServices, engine: Engine) -> None:
    account = services.staff.add("Nguyễn Lan", PASSWORD)
    first, second = services.sessions.create(account.id), services.sessions.create(account.id)
    assert first != second and len(first) >= 40
    with engine.connect() as conn:
        stored = set(conn.execute(sa.select(StaffSession.token_hash)).scalars())
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in (first, second)}
    who = services.sessions.resolve(first)
    assert who is not None and who.staff_name == "Nguyễn Lan"
    assert services.sessions.resolve(first[:-1] + ("A" if first[-1] != "A" else "B")) is None
    assert services.sessions.resolve(None) is None and services.sessions.resolve("x" * 1000) is None


def test_absolute_and_idle_expiry(services: ConsoleServices, engine: Engine) -> None:
    account = services.staff.add("Nguyễn Lan", PASSWORD)
    store = SessionStore(engine, lifetime=dt.timedelta(hours=8), idle_timeout=dt.timedelta(minutes=30))
    start = utcnow()
    token = store.create(account.id, now=start)
    # Active use keeps it alive past the idle timeout…
    for minutes in (20, 40, 60):
        assert store.resolve(token, now=start + dt.timedelta(minutes=minutes)) is not None
    # …but 30 idle minutes end it, and the row is gone.
    assert store.resolve(token, now=start + dt.timedelta(minutes=91)) is None
    assert store.resolve(token, now=start + dt.timedelta(minutes=61)) is None

    token = store.create(account.id, now=start)
    moment = start
    for _ in range(23):  # every 20 minutes up to 7 h 40
        moment += dt.timedelta(minutes=20)
        assert store.resolve(token, now=moment) is not None
    assert store.resolve(token, now=start + dt.timedelta(hours=8, minutes=1)) is None


def test_delete_logs_out(services: ConsoleServices) -> None:
    account = services.staff.add("Nguyễn Lan", PASSWORD)
    token = services.sessions.create(account.id)
    services.sessions.delete(token)
    assert services.sessions.resolve(token) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    token_a, token_b = "session-token-a", "session-token-b"
    csrf_a = csrf_token_for(token_a)
    assert csrf_a != csrf_token_for(token_b) and csrf_a != token_a
    assert csrf_matches(token_a, csrf_a)
    assert not csrf_matches(token_b, csrf_a)
    assert not csrf_matches(token_a, None) and not csrf_matches(token_a, "")
    assert not csrf_matches(token_a, csrf_a[:-1])
    assert not csrf_matches(token_a, "đ" + csrf_a[1:])
