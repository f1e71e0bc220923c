"""Conversations persist in SQL: SQLite by default, PostgreSQL when a URL is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import SettingsTrackerStore, tracker_store_url
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


async def _round_trip(url: str, domain: Domain) -> None:
    sender = "citizen-42"
    store = SettingsTrackerStore(domain=domain, host=url)
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("xin chào", {"name": "greet", "confidence": 0.99}),
            BotUttered("Xin chào!"),
        ],
    )
    await store.save(tracker)
    store.engine.dispose()

    reopened = SettingsTrackerStore(domain=domain, host=url)
    restored = await reopened.retrieve(sender)
    assert restored is not None
    assert [e.text for e in restored.events if isinstance(e, UserUttered)] == ["xin chào"]
    assert restored.latest_bot_utterance is not None
    assert restored.latest_bot_utterance.text == "Xin chào!"
    assert await reopened.retrieve("somebody-else") is None
    reopened.engine.dispose()


async def test_sqlite_round_trip(tmp_path: Path, domain: Domain) -> None:
    await _round_trip(f"sqlite:///{tmp_path / 'trackers.db'}", domain)


@pytest.mark.postgres
async def test_postgres_round_trip(postgres_url: str, domain: Domain) -> None:
    await _round_trip(postgres_url, domain)


def test_default_url_is_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings.get_settings.cache_clear()
    try:
        assert tracker_store_url().endswith("var/trackers.db")
        monkeypatch.setenv("DATABASE_URL", "postgresql://u@localhost/x")
        settings.get_settings.cache_clear()
        assert tracker_store_url() == "postgresql://u@localhost/x"
    finally:
        settings.get_settings.cache_clear()


async def test_sqlite_uses_wal_and_the_configured_sync_level(
    tmp_path: Path, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import settings

    url = f"sqlite:///{tmp_path / 'trackers.db'}"
    for level, number in (("NORMAL", 1), ("FULL", 2)):
        monkeypatch.setenv("TRACKER_SQLITE_SYNCHRONOUS", level)
        settings.get_settings.cache_clear()
        try:
            store = SettingsTrackerStore(domain=domain, host=url)
        finally:
            settings.get_settings.cache_clear()
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == number
        store.engine.dispose()


async def test_sqlite_connection_is_kept_between_messages(tmp_path: Path, domain: Domain) -> None:
    store = SettingsTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'trackers.db'}")
    opened: list[object] = []
    sa_event = pytest.importorskip("sqlalchemy").event
    sa_event.listen(store.engine, "connect", lambda connection, _record: opened.append(connection))
    tracker = DialogueStateTracker.from_events("citizen-7", [ActionExecuted("action_listen")])
    for text in ("xin chào", "lệ phí", "cảm ơn"):
        tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}))
        await store.save(tracker)
        restored = await store.retrieve("citizen-7")
        assert restored is not None and restored.latest_message is not None
        assert restored.latest_message.text == text
    assert len(opened) == 1
    store.engine.dispose()
