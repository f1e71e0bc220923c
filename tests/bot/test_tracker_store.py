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
