"""Lock store by settings; with Redis, two stores (two Rasa workers) share the same locks."""

from __future__ import annotations

import os

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from bot.lock_store import SettingsLockStore, lock_store_for


def test_in_memory_without_url() -> None:
    assert isinstance(lock_store_for(None), InMemoryLockStore)


def test_bad_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        lock_store_for("http://localhost:6379")


def test_settings_choose_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings

    monkeypatch.delenv("REDIS_URL", raising=False)
    settings.get_settings.cache_clear()
    try:
        assert isinstance(SettingsLockStore().inner, InMemoryLockStore)
    finally:
        settings.get_settings.cache_clear()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("no Redis server: set TEST_REDIS_URL (.ci/run starts one)")
    return url


@pytest.mark.redis
async def test_two_workers_share_a_conversation_lock(redis_url: str) -> None:
    first, second = lock_store_for(redis_url), lock_store_for(redis_url)
    assert isinstance(first, RedisLockStore)
    conversation = "citizen-redis-1"
    first.delete_lock(conversation)
    ticket = first.issue_ticket(conversation, lock_lifetime=10)
    # The second worker sees the first worker's ticket: it must wait its turn.
    lock = second.get_lock(conversation)
    assert lock is not None and lock.last_issued == ticket
    assert lock.is_someone_waiting()
    second_ticket = second.issue_ticket(conversation, lock_lifetime=10)
    assert second_ticket == ticket + 1
    assert first.get_or_create_lock(conversation).is_locked(second_ticket)
    first.finish_serving(conversation, ticket)
    assert not second.get_or_create_lock(conversation).is_locked(second_ticket)
    second.finish_serving(conversation, second_ticket)
    first.delete_lock(conversation)


def test_several_workers_need_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    settings.get_settings.cache_clear()
    try:
        with pytest.raises(settings.SettingsError, match="SANIC_WORKERS=2 needs REDIS_URL"):
            SettingsLockStore()
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/1")
        settings.get_settings.cache_clear()
        assert isinstance(SettingsLockStore().inner, RedisLockStore)  # no connection until used
    finally:
        settings.get_settings.cache_clear()
