"""Conversation lock store chosen by settings: Redis when REDIS_URL is set, else in memory.

One Rasa process is fine with in-memory locks. Several Rasa workers or replicas must share locks
so that two messages of one conversation are never processed at the same time: set
``REDIS_URL=redis://host:6379/1``.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.settings import SettingsError, get_settings


def lock_store_for(url: Optional[str]) -> LockStore:
    """A Redis lock store for ``redis://`` / ``rediss://`` URLs, else an in-memory one."""
    if not url:
        return InMemoryLockStore()
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, got {parts.scheme!r}")
    db = int(parts.path.lstrip("/") or 1)
    return RedisLockStore(
        host=parts.hostname or "localhost",
        port=parts.port or 6379,
        db=db,
        username=parts.username,
        password=parts.password,
        use_ssl=parts.scheme == "rediss",
        key_prefix="tro_ly",
    )


class SettingsLockStore(LockStore):
    """``endpoints.yml`` lock store type that delegates to the store named by settings.

    Rasa lets any custom lock store run several Sanic workers, so this one refuses
    ``SANIC_WORKERS`` > 1 without ``REDIS_URL``: per-process in-memory locks would let two workers
    handle two messages of one conversation at once.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        settings = get_settings()
        if settings.sanic_workers > 1 and not settings.redis_url:
            raise SettingsError(
                f"SANIC_WORKERS={settings.sanic_workers} needs REDIS_URL (redis://host:6379/1): "
                "several Rasa workers must share conversation locks"
            )
        self.inner = lock_store_for(settings.redis_url)

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.inner.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.inner.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.inner.save_lock(lock)
