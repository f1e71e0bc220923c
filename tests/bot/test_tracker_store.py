"""Conversations persist in SQL: SQLite by default, PostgreSQL when a URL is given."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
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


async def _conversation(store: SQLTrackerStore) -> list[tuple]:
    """The same operations Rasa's processor performs, incl. a new session and saving twice."""
    sender = "citizen-9"
    first = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen", timestamp=1.0)])
    await store.save(first)
    for turn, text in enumerate(("xin chào", "lệ phí làm căn cước", "cảm ơn")):
        tracker = await store.retrieve(sender)
        assert tracker is not None
        tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=10.0 + turn))
        await store.save(tracker)
        tracker.update(BotUttered(f"trả lời {turn}", timestamp=10.5 + turn))
        tracker.update(ActionExecuted("action_listen", timestamp=10.6 + turn))
        await store.save(tracker)
        await store.save(tracker)  # nothing new: nothing stored
    tracker = await store.retrieve(sender)
    assert tracker is not None
    copy = tracker.copy()  # a tracker this store did not load: saved the way Rasa does it
    copy.update(UserUttered("hộ chiếu", {"name": "greet", "confidence": 0.9}, timestamp=15.0))
    await store.save(copy)
    tracker = await store.retrieve(sender)
    assert tracker is not None
    tracker.update(ActionExecuted("action_session_start", timestamp=20.0))
    tracker.update(SessionStarted(timestamp=20.0))
    tracker.update(ActionExecuted("action_listen", timestamp=20.1))
    await store.save(tracker)
    tracker.update(UserUttered("cảm ơn", {"name": "thank", "confidence": 0.9}, timestamp=21.0))
    await store.save(tracker)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT sender_id, type_name, timestamp, intent_name, action_name, data"
                " FROM events ORDER BY id"
            )
        ).all()
    return [tuple(row) for row in rows]


async def test_stores_the_same_rows_as_rasas_sql_tracker_store(tmp_path: Path, domain: Domain) -> None:
    ours = SettingsTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'ours.db'}")
    stock = SQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'stock.db'}")
    ours_rows, stock_rows = await _conversation(ours), await _conversation(stock)
    # Identical rows up to the new session; then Rasa's store counts only the new session's stored
    # events and stores the older events of the same tracker object a second time: ours does not.
    assert ours_rows[:14] == stock_rows[:14]
    assert len(stock_rows) > len(ours_rows) == 1 + 3 * 3 + 1 + 3 + 1
    assert len(set(ours_rows)) == len(ours_rows)
    restored_ours = await ours.retrieve("citizen-9")
    assert restored_ours is not None
    assert [type(e).__name__ for e in restored_ours.events] == [
        "ActionExecuted",
        "SessionStarted",
        "ActionExecuted",
        "UserUttered",
    ]
    ours.engine.dispose()
    stock.engine.dispose()


@pytest.mark.postgres
async def test_postgres_stores_each_event_once(postgres_url: str, domain: Domain) -> None:
    store = SettingsTrackerStore(domain=domain, host=postgres_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE sender_id = 'citizen-9'"))
    rows = await _conversation(store)
    assert [row[1] for row in rows if row[0] == "citizen-9"].count("user") == 5
    store.engine.dispose()


async def test_a_tracker_with_bounded_history_is_saved_the_way_rasa_does_it(
    tmp_path: Path, domain: Domain
) -> None:
    store = SettingsTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 't.db'}")
    tracker = DialogueStateTracker("citizen-3", domain.slots, max_event_history=3)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    tracker.update(UserUttered("xin chào", {"name": "greet", "confidence": 0.9}))
    await store.save(tracker)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 2
    store.engine.dispose()
