"""Brute-force throttling: 5 failures per user name or per IP within 15 minutes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.console.models import utcnow
from bot.console.throttle import LoginThrottle


def test_per_name_per_ip_window_and_clear(engine: Engine) -> None:
    throttle = LoginThrottle(engine, max_failures=5, window=dt.timedelta(minutes=15))
    start = utcnow()
    for attempt in range(5):
        assert not throttle.is_blocked("lan", f"10.0.0.{attempt}", now=start)
        throttle.record_failure("lan", f"10.0.0.{attempt}", now=start)
    # Five failures for "lan" from five addresses: the name is blocked everywhere…
    assert throttle.is_blocked("lan", "192.168.1.9", now=start)
    # …another name from a fresh address is not.
    assert not throttle.is_blocked("minh", "192.168.1.9", now=start)
    # After the window the failures no longer count.
    assert not throttle.is_blocked("lan", "192.168.1.9", now=start + dt.timedelta(minutes=16))

    # One address trying many names is blocked too.
    for name in ("a", "b", "c", "d", "e"):
        throttle.record_failure(name, "203.0.113.7", now=start)
    assert throttle.is_blocked("somebody-else", "203.0.113.7", now=start)

    throttle.clear("lan")
    assert not throttle.is_blocked("lan", "192.168.1.9", now=start)
    assert "15 phút" in throttle.message
