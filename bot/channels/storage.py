"""Shared plumbing for the channels' small SQL tables: engine choice, UTC clock, thread offload.

The stores use SQLAlchemy's synchronous engine (the project's one database, bot/db.py); async code
calls them through :func:`in_thread` so a slow database never blocks the Sanic event loop.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Callable, TypeVar

from sqlalchemy.engine import Engine

T = TypeVar("T")


def utcnow() -> datetime:
    """Naive UTC, as stored in the tables (SQLite has no time zones)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def resolve_engine(engine: Engine | None) -> Engine:
    """The given engine, else the project's default one (built on first use, never at import)."""
    if engine is not None:
        return engine
    from bot.db import default_engine

    return default_engine()


async def in_thread(function: Callable[..., T], *args: object) -> T:
    return await asyncio.to_thread(function, *args)


def mask_id(value: object) -> str:
    """A chat or user id fit for logs: enough to correlate, not enough to identify."""
    text = str(value)
    if len(text) <= 4:
        return "***"
    return f"{text[:2]}…{text[-2:]}"
