"""python-telegram-bot plumbing: the rate-limited bot, per-chat pacing, inline keyboards.

Building an :class:`ExtBot` makes no network call (we never call ``Bot.initialize``, which would
call ``getMe``); HTTP clients are created here and closed by :meth:`TelegramBotHandle.close`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa
from aiolimiter import AsyncLimiter
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.storage import resolve_engine, utcnow
from bot.channels.tables import telegram_callback_payloads

logger = logging.getLogger(__name__)

# Telegram's limits (Bot API docs / FAQ): message text, callback_data, broadcast rates.
MESSAGE_LIMIT = 4096
CALLBACK_DATA_MAX_BYTES = 64
OVERALL_MESSAGES_PER_SECOND = 30
GROUP_MESSAGES_PER_MINUTE = 20
# One message per second per chat on average; a reply of up to 3 messages goes out at once.
CHAT_BURST = 3
CHAT_MESSAGES_PER_SECOND = 1.0
# How often a request hit by RetryAfter is retried (after waiting what Telegram asked).
RETRY_AFTER_RETRIES = 3

STORED_PAYLOAD_PREFIX = "cb:"


@dataclass
class TelegramBotHandle:
    """The bot and the HTTP request objects it owns (so they can be closed)."""

    bot: ExtBot
    requests: Sequence[HTTPXRequest]

    async def close(self) -> None:
        for request in self.requests:
            await request.shutdown()


def build_bot(token: str, base_url: str, timeout: float) -> TelegramBotHandle:
    """A bot that respects Telegram's flood limits (AIORateLimiter) and waits out RetryAfter."""

    def request(pool: int) -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=pool,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        )

    api_request, updates_request = request(64), request(1)
    bot = ExtBot(
        token=token,
        base_url=base_url,
        request=api_request,
        get_updates_request=updates_request,
        rate_limiter=AIORateLimiter(
            overall_max_rate=OVERALL_MESSAGES_PER_SECOND,
            overall_time_period=1,
            group_max_rate=GROUP_MESSAGES_PER_MINUTE,
            group_time_period=60,
            max_retries=RETRY_AFTER_RETRIES,
        ),
    )
    return TelegramBotHandle(bot=bot, requests=(api_request, updates_request))


class ChatPacer:
    """Per-chat pacing for private chats (AIORateLimiter only paces groups and the overall rate)."""

    def __init__(self, burst: float = CHAT_BURST, per_second: float = CHAT_MESSAGES_PER_SECOND) -> None:
        self.burst = burst
        self.period = burst / per_second
        self._limiters: Dict[str, AsyncLimiter] = {}

    def limiter(self, chat_id: str) -> AsyncLimiter:
        if len(self._limiters) > 2048:  # forget idle chats (their bucket is full again)
            for key, limiter in list(self._limiters.items()):
                if limiter.has_capacity(limiter.max_rate):
                    del self._limiters[key]
        if chat_id not in self._limiters:
            self._limiters[chat_id] = AsyncLimiter(self.burst, self.period)
        return self._limiters[chat_id]


class CallbackPayloadStore:
    """Button payloads that do not fit Telegram's 64-byte callback_data, kept under a short key.

    The key is derived from the payload (same payload, same key), so the table only grows with
    distinct long payloads and a restart loses nothing.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    def callback_data_for(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES and not payload.startswith(
            STORED_PAYLOAD_PREFIX
        ):
            return payload
        digest = hashlib.sha256(payload.encode("utf-8")).digest()
        key = STORED_PAYLOAD_PREFIX + base64.urlsafe_b64encode(digest[:18]).decode("ascii")
        try:
            with resolve_engine(self._engine).begin() as connection:
                connection.execute(
                    telegram_callback_payloads.insert().values(key=key, payload=payload, created_at=utcnow())
                )
        except IntegrityError:
            pass  # stored before: same payload, same key
        return key

    def payload_for(self, callback_data: str) -> Optional[str]:
        """The payload a tapped button stands for; None when a stored key is unknown."""
        if not callback_data.startswith(STORED_PAYLOAD_PREFIX):
            return callback_data
        with resolve_engine(self._engine).connect() as connection:
            return connection.execute(
                sa.select(telegram_callback_payloads.c.payload).where(
                    telegram_callback_payloads.c.key == callback_data
                )
            ).scalar_one_or_none()


def build_keyboard(
    buttons: List[Dict[str, Any]], payloads: CallbackPayloadStore
) -> Optional[InlineKeyboardMarkup]:
    """Rasa buttons ({title, payload}) as an inline keyboard, one button per row (long titles).

    A payload that is a web link becomes a URL button; any other payload is sent back on a tap.
    """
    rows: List[List[InlineKeyboardButton]] = []
    for button in buttons:
        payload = str(button.get("payload") or "").strip()
        title = str(button.get("title") or payload).strip()
        if not title:
            continue
        if payload.startswith(("https://", "http://")) or button.get("url"):
            rows.append([InlineKeyboardButton(title, url=str(button.get("url") or payload))])
        elif payload:
            rows.append([InlineKeyboardButton(title, callback_data=payloads.callback_data_for(payload))])
    return InlineKeyboardMarkup(rows) if rows else None
