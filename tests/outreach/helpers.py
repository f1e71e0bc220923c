"""Shared helpers for the outreach tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.telegram_standin import StandinThread
from bot.outreach import campaigns
from bot.outreach.config import OutreachConfig
from bot.outreach.models import deliveries_t, subscribers_t, utcnow
from bot.outreach.senders.telegram import TelegramSender
from bot.outreach.worker import Worker, WorkerStats


def start_campaign(engine: Engine, name: str, text: str = "Tin mới cho {commune}", **segment: Any) -> int:
    info = campaigns.create_campaign(engine, name, text, segment)
    campaigns.send_campaign(engine, info.id)
    return info.id


async def run_worker(
    engine: Engine,
    standin: StandinThread,
    config: OutreachConfig,
    clock: Callable[[], datetime] = utcnow,
    max_seconds: float = 60,
) -> WorkerStats:
    sender = TelegramSender("123:TEST", standin.base_url, timeout=5)
    worker = Worker(engine, {"telegram": sender}, config, clock=clock)
    return await worker.run(until_idle=True, max_seconds=max_seconds)


def states(engine: Engine, campaign_id: int | None = None) -> dict[str, str]:
    """chat_id → delivery state."""
    d = deliveries_t.c
    query = sa.select(d.chat_id, d.state)
    if campaign_id is not None:
        query = query.where(d.campaign_id == campaign_id)
    with engine.connect() as conn:
        return {chat: state for chat, state in conn.execute(query)}


def delivery_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(deliveries_t).order_by(deliveries_t.c.id)))


def subscriber(engine: Engine, chat_id: str, channel: str = "telegram") -> Any:
    s = subscribers_t.c
    with engine.connect() as conn:
        return conn.execute(
            sa.select(subscribers_t).where(s.chat_id == chat_id, s.channel == channel)
        ).first()
