"""Telegram sender: Bot API ``sendMessage`` calls straight over one pooled aiohttp session.

No Rasa, no polling and no python-telegram-bot objects on the hot path: at 1,000 sends/s PTB's
request wrapper, form encoding and the ``Message`` built from every answer cost more CPU than the
HTTP exchange itself. The body is JSON (the Bot API accepts it); the answer is read for its
``ok`` / ``error_code`` / ``parameters`` only.

Outcomes follow the Bot API's error codes: 429 → retry_after; 403 (blocked, deactivated, kicked)
→ unreachable; 400 → unreachable for a chat that is gone, else failed; 401/404 → the token was
refused (:class:`TelegramConfigError`); 5xx and other codes → transient. A connection that could
not be made (or not taken from the pool in time) is transient: nothing left. Anything after the
request may have left (read timeout, lost connection, an unreadable answer) is uncertain.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.outreach.senders.base import SendOutcome

# BadRequest texts that mean the chat will never accept a message from us.
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked", "peer_id_invalid")
_TOKEN_REFUSED = (401, 404)
_JSON_HEADERS = {"Content-Type": "application/json"}


class TelegramConfigError(RuntimeError):
    """The bot token is missing or refused; fix TELEGRAM_BOT_TOKEN / TELEGRAM_API_BASE_URL."""


def inline_keyboard(buttons: list[dict[str, str]]) -> dict[str, Any]:
    """One URL button per row, as the Bot API's ``reply_markup``."""
    return {"inline_keyboard": [[{"text": b["text"], "url": b["url"]}] for b in buttons]}


def classify_answer(status: int, body: bytes) -> SendOutcome:
    """The outcome of one ``sendMessage`` answer (raises :class:`TelegramConfigError` on 401/404)."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if 500 <= status <= 599:
            return SendOutcome.transient(f"network: HTTP {status}")
        return SendOutcome.uncertain(f"unreadable Telegram answer (HTTP {status})")
    if answer.get("ok") is True:
        return SendOutcome.sent()
    code = answer.get("error_code", status)
    description = str(answer.get("description", ""))
    parameters = answer.get("parameters") or {}
    if "retry_after" in parameters:
        return SendOutcome.retry_after(float(parameters["retry_after"]))
    if code in _TOKEN_REFUSED:
        raise TelegramConfigError(f"Telegram refused TELEGRAM_BOT_TOKEN: {description} ({code})")
    if code == 403:
        return SendOutcome.unreachable(f"forbidden: {description}")
    if code == 400:
        if any(marker in description.lower() for marker in _GONE):
            return SendOutcome.unreachable(f"bad request: {description}")
        return SendOutcome.failed(f"bad request: {description}")
    if "migrate_to_chat_id" in parameters:
        return SendOutcome.failed(f"telegram: chat migrated to {parameters['migrate_to_chat_id']}")
    if code == 409:  # conflict: retrying cannot help
        return SendOutcome.failed(f"telegram: {description} ({code})")
    return SendOutcome.transient(f"network: {description} ({code})")


class TelegramSender:
    channel = "telegram"

    def __init__(self, token: str, base_url: str, timeout: float, pool_size: int = 64) -> None:
        if not token:
            raise TelegramConfigError("TELEGRAM_BOT_TOKEN is not set: the outreach worker cannot send")
        self._url = f"{base_url}{token}/"
        self._timeout = timeout
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the connection pool and call getMe: fails fast on a wrong token or URL."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),  # TLS verification stays on
                timeout=aiohttp.ClientTimeout(total=None, connect=self._timeout, sock_read=self._timeout),
            )
        try:
            async with self._session.post(self._url + "getMe") as response:
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelegramConfigError(f"cannot reach the Telegram Bot API: {exc}") from None
        if status in _TOKEN_REFUSED:
            raise TelegramConfigError(f"Telegram refused TELEGRAM_BOT_TOKEN (HTTP {status})")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]] | None) -> SendOutcome:
        if self._session is None:
            raise RuntimeError("TelegramSender.start() was not called")
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if buttons:
            payload["reply_markup"] = inline_keyboard(buttons)
        try:
            async with self._session.post(
                self._url + "sendMessage", data=json.dumps(payload).encode(), headers=_JSON_HEADERS
            ) as response:
                status, body = response.status, await response.read()
        except aiohttp.ClientConnectorError as exc:
            return SendOutcome.transient(f"network: connection failed, request not sent: {exc}")
        except aiohttp.ServerTimeoutError as exc:
            if "Connection timeout" in str(exc):
                return SendOutcome.transient("timeout before sending: connect timeout")
            return SendOutcome.uncertain(f"timed out waiting for Telegram: {exc}")
        except asyncio.TimeoutError:  # no pooled connection in time: the request never left
            return SendOutcome.transient("timeout before sending: waiting for a connection")
        except aiohttp.ClientError as exc:
            return SendOutcome.uncertain(f"connection lost after sending: {type(exc).__name__}: {exc}")
        return classify_answer(status, body)
