"""Long polling for Telegram when there is no public address (no TELEGRAM_WEBHOOK_URL).

Design choice: the polling loop runs *inside* the Rasa server, started by an ``after_server_start``
listener of the Telegram channel's blueprint and cancelled before the server stops, rather than in
a separate ``python -m bot channels telegram poll`` process feeding the REST channel:

- ``make run`` on a laptop needs nothing more: one process, no extra service to supervise;
- updates go through exactly the same code as webhook updates (:meth:`TelegramInput.handle_update`:
  dedup, commands, buttons, non-text replies) and straight into Rasa's agent, and replies use the
  same rate-limited output channel as proactive sends;
- a relay process would have to translate the REST channel's collected replies back into Telegram
  calls (buttons, splitting, unreachable chats) — a second copy of the output channel.

Limits: run one Rasa worker in polling mode (two pollers would get Telegram's 409 Conflict); updates
are handled one after another, which is what a laptop needs. Production uses the webhook.
Telegram refuses getUpdates while a webhook is set: ``python -m bot channels telegram
delete-webhook`` removes it (the loop logs this and keeps retrying, it never calls it itself).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

UpdateHandler = Callable[[Update], Awaitable[object]]
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


class TelegramPoller:
    def __init__(
        self,
        bot: Bot,
        handle_update: UpdateHandler,
        *,
        timeout: int = 25,
        max_backoff: float = 60.0,
    ) -> None:
        self.bot = bot
        self.handle_update = handle_update
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.offset: Optional[int] = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask the loop to end after the current round (cancellation alone is not enough: a
        cancel that lands inside an HTTP request can be absorbed by the HTTP stack)."""
        self._stopping.set()

    async def poll_once(self) -> int:
        """One getUpdates round; returns how many updates were handled."""
        updates = await self.bot.get_updates(
            offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES
        )
        for update in updates:
            if self._stopping.is_set():
                break
            # Confirm the update whatever happens to it: the dedup table protects against a replay.
            self.offset = update.update_id + 1
            await self.handle_update(update)
        return len(updates)

    async def run(self) -> None:
        """Poll until cancelled; network trouble backs off, an invalid token stops the loop."""
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                await self.poll_once()
                backoff = 1.0
                continue
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                logger.error("Telegram polling stopped: TELEGRAM_BOT_TOKEN was rejected by Telegram")
                return
            except Conflict:
                logger.error(
                    "Telegram polling refused (409 Conflict): a webhook is set or another process is "
                    "polling. Run `python -m bot channels telegram delete-webhook`, or set "
                    "TELEGRAM_WEBHOOK_URL to use the webhook."
                )
            except RetryAfter as exc:
                retry = exc.retry_after
                backoff = float(retry if isinstance(retry, int) else retry.total_seconds())
            except (NetworkError, TelegramError) as exc:
                logger.warning("Telegram polling: %s; retrying in %.0f s", exc, backoff)
            except Exception:
                logger.exception("Telegram polling: unexpected error; retrying in %.0f s", backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)
