"""Telegram sender on python-telegram-bot's ``Bot`` (no Rasa, no polling), with an aiohttp request
backend for throughput (see aiohttp_request.py)."""

from __future__ import annotations

import logging

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.outreach.senders.aiohttp_request import CONNECT_TIMEOUT_PREFIX, AiohttpRequest
from bot.outreach.senders.base import SendOutcome

log = logging.getLogger(__name__)

# BadRequest texts that mean the chat will never accept a message from us.
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked", "peer_id_invalid")


class TelegramConfigError(RuntimeError):
    """The bot token is missing or refused; fix TELEGRAM_BOT_TOKEN / TELEGRAM_API_BASE_URL."""


class TelegramSender:
    channel = "telegram"

    def __init__(self, token: str, base_url: str, timeout: float, pool_size: int = 64) -> None:
        if not token:
            raise TelegramConfigError("TELEGRAM_BOT_TOKEN is not set: the outreach worker cannot send")
        request = AiohttpRequest(pool_size=pool_size, read_timeout=timeout, connect_timeout=timeout)
        self.bot = Bot(token=token, base_url=base_url, request=request)

    async def start(self) -> None:
        try:
            await self.bot.initialize()  # getMe: fails fast on a wrong token
        except InvalidToken as exc:
            raise TelegramConfigError(f"Telegram refused TELEGRAM_BOT_TOKEN: {exc}") from None

    async def close(self) -> None:
        await self.bot.shutdown()

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]] | None) -> SendOutcome:
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], url=b["url"])] for b in buttons])
        try:
            await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except RetryAfter as exc:
            retry = exc.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            return SendOutcome.retry_after(seconds)
        except Forbidden as exc:  # 403: blocked by the user, deactivated, kicked
            return SendOutcome.unreachable(f"forbidden: {exc.message}")
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in _GONE):
                return SendOutcome.unreachable(f"bad request: {exc.message}")
            return SendOutcome.failed(f"bad request: {exc.message}")
        except InvalidToken as exc:
            raise TelegramConfigError(f"Telegram refused TELEGRAM_BOT_TOKEN: {exc}") from None
        except TimedOut as exc:
            # Connect / pool timeouts happen before the request leaves; a read timeout may not.
            if exc.message.startswith(CONNECT_TIMEOUT_PREFIX) or isinstance(
                exc.__cause__, (httpx.ConnectTimeout, httpx.PoolTimeout)
            ):
                return SendOutcome.transient(f"timeout before sending: {exc.message}")
            return SendOutcome.uncertain(f"timed out waiting for Telegram: {exc.message}")
        except NetworkError as exc:  # 5xx, connection refused/reset
            return SendOutcome.transient(f"network: {exc.message}")
        except TelegramError as exc:
            return SendOutcome.failed(f"telegram: {exc.message}")
        return SendOutcome.sent()
