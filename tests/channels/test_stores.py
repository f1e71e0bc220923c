"""Dedup, reachability and the Zalo token row on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.channels import reachability
from bot.channels.dedup import EventDeduplicator
from bot.channels.storage import utcnow
from bot.channels.tables import processed_events
from bot.channels.telegram_bot import CallbackPayloadStore
from bot.channels.zalo_tokens import TokenGrant, ZaloTokenStore
from bot.db import make_engine, migrate


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_engine(request: pytest.FixtureRequest, db_url: str) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = db_url
    else:
        url = request.getfixturevalue("postgres_url")
        migrate(url)
    engine = make_engine(url)
    if request.param == "postgres":
        with engine.begin() as connection:
            for table in (
                "channel_processed_events",
                "channel_unreachable_chats",
                "telegram_callback_payloads",
                "zalo_oa_tokens",
            ):
                connection.execute(sa.text(f"DELETE FROM {table}"))
    yield engine
    engine.dispose()


def test_an_event_is_claimed_once_and_old_ones_are_pruned(store_engine: Engine) -> None:
    dedup = EventDeduplicator("telegram", store_engine, retention=timedelta(days=1))
    assert dedup.claim("1") is True
    assert dedup.claim("1") is False
    assert EventDeduplicator("zalo", store_engine).claim("1") is True  # per channel
    with store_engine.begin() as connection:
        connection.execute(sa.update(processed_events).values(seen_at=utcnow() - timedelta(days=2)))
    assert dedup.prune() == 1
    assert dedup.claim("1") is True  # forgotten after the window


def test_concurrent_claims_of_one_event_let_exactly_one_through(store_engine: Engine) -> None:
    dedup = EventDeduplicator("zalo", store_engine)
    results: List[bool] = []
    threads = [threading.Thread(target=lambda: results.append(dedup.claim("msg-1"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_reachability_marks_and_clears(store_engine: Engine) -> None:
    assert not reachability.is_unreachable("telegram", 42, engine=store_engine)
    reachability.mark_unreachable(
        "telegram", 42, "Forbidden: bot was blocked by the user", engine=store_engine
    )
    reachability.mark_unreachable("telegram", "42", "blocked again", engine=store_engine)
    assert reachability.unreachable_reason("telegram", "42", engine=store_engine) == "blocked again"
    assert not reachability.is_unreachable("zalo", 42, engine=store_engine)
    assert reachability.mark_reachable("telegram", 42, engine=store_engine) is True
    assert reachability.mark_reachable("telegram", 42, engine=store_engine) is False
    assert not reachability.is_unreachable("telegram", 42, engine=store_engine)


def test_callback_payloads_round_trip(store_engine: Engine) -> None:
    store = CallbackPayloadStore(store_engine)
    long_payload = "/inform" + '{"x": "' + "y" * 100 + '"}'
    key = store.callback_data_for(long_payload)
    assert key == store.callback_data_for(long_payload) and len(key.encode()) <= 64
    assert store.payload_for(key) == long_payload
    assert store.callback_data_for("/greet") == "/greet"
    assert store.payload_for("cb:missing") is None
    tricky = store.callback_data_for("cb:short")  # our prefix is always stored
    assert tricky != "cb:short" and store.payload_for(tricky) == "cb:short"


def test_token_refresh_is_serialised_across_workers(store_engine: Engine) -> None:
    calls: List[str] = []
    gate = threading.Event()

    def exchange(refresh_token: str) -> TokenGrant:
        calls.append(refresh_token)
        gate.wait(0.2)  # hold the lock while the other worker arrives
        return TokenGrant(f"access-{len(calls)}", f"refresh-{len(calls)}", 90000)

    stores = [ZaloTokenStore(store_engine, seed_refresh_token="refresh-0") for _ in range(2)]
    observed = stores[0].load().generation
    results = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.refresh(observed, exchange))) for s in stores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["refresh-0"]
    assert {r.refresh_token for r in results} == {"refresh-1"}
    assert stores[1].load().refresh_token == "refresh-1"
