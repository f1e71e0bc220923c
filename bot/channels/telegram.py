"""Telegram as a Rasa custom channel, on python-telegram-bot 22 (not Rasa's aiogram channel).

credentials.yml::

    bot.channels.telegram.TelegramInput:

Secrets come from settings (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET), never from the file.
Nothing calls Telegram at import or start-up: the webhook is registered with
``python -m bot channels telegram set-webhook``; without TELEGRAM_WEBHOOK_URL the channel long-polls
(see :mod:`bot.channels.telegram_polling`).

Replies are sent as plain text (no parse mode), so nothing needs escaping and a citizen's or a
knowledge-base text can never break the formatting; links are still clickable.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, NoReturn, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels import reachability
from bot.channels.config import TelegramConfig
from bot.channels.dedup import EventDeduplicator
from bot.channels.replies import EXPIRED_BUTTON, TELEGRAM_MENU_HINT, unsupported_message_reply
from bot.channels.storage import in_thread, mask_id
from bot.channels.telegram_bot import (
    MESSAGE_LIMIT,
    CallbackPayloadStore,
    ChatPacer,
    TelegramBotHandle,
    build_bot,
    build_keyboard,
)
from bot.channels.telegram_polling import TelegramPoller
from bot.channels.text_split import split_text, utf16_length
from bot.settings import Settings, get_settings
from nlu.text import to_nfc

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
# Bot commands → the payload the assistant understands (intents of domain/_shared.yml).
COMMAND_PAYLOADS = {"start": "/greet", "help": "/ask_capabilities", "menu": "/ask_capabilities"}
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]+)(?:@\w+)?(?:\s|$)")
# Message kinds the assistant cannot read, in the order Telegram's Message attributes are checked.
_UNSUPPORTED_KINDS = (
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("animation", "sticker"),
    ("dice", "sticker"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("video", "video"),
    ("video_note", "video"),
    ("document", "document"),
    ("location", "location"),
    ("venue", "location"),
    ("contact", "contact"),
)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class ChatUnreachable(Exception):
    """Telegram refuses delivery to this chat for good (blocked, deleted, never started)."""

    def __init__(self, chat_id: str, reason: str) -> None:
        super().__init__(f"chat {mask_id(chat_id)} is unreachable: {reason}")
        self.chat_id = chat_id
        self.reason = reason


class TelegramOutput(OutputChannel):
    """Sends the assistant's messages (replies and proactive sends) to a Telegram chat."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        bot_handle: TelegramBotHandle,
        *,
        engine: Engine | None = None,
        pacer: ChatPacer | None = None,
    ) -> None:
        self.bot = bot_handle.bot
        self._handle = bot_handle
        self._engine = engine
        self.payloads = CallbackPayloadStore(engine)
        self.pacer = pacer or ChatPacer()

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, engine: Engine | None = None
    ) -> TelegramOutput:
        """An output channel for proactive sends (outreach worker, hotline console)."""
        config = TelegramConfig.from_settings(settings or get_settings())
        return cls(build_bot(config.token, config.api_base_url, config.timeout_seconds), engine=engine)

    async def close(self) -> None:
        await self._handle.close()

    async def send(
        self, chat_id: str | int, text: str, buttons: Optional[List[Dict[str, Any]]] = None
    ) -> List[int]:
        """Send ``text`` (split at 4,096 characters, buttons under the last part).

        Returns the Telegram message ids. Raises :class:`ChatUnreachable` (after marking the chat)
        when the user blocked the bot or the chat does not exist; other
        :class:`telegram.error.TelegramError` propagate (RetryAfter is already waited out).
        """
        chat = _chat_id(chat_id)
        parts = split_text(to_nfc(text or ""), MESSAGE_LIMIT, utf16_length)
        keyboard = await in_thread(build_keyboard, buttons, self.payloads) if buttons else None
        if not parts and keyboard is not None:
            parts = ["Bạn chọn một mục:"]
        sent: List[int] = []
        for index, part in enumerate(parts):
            markup = keyboard if index == len(parts) - 1 else None
            async with self.pacer.limiter(str(chat)):
                try:
                    message = await self.bot.send_message(chat_id=chat, text=part, reply_markup=markup)
                except Forbidden as exc:
                    await self._unreachable(str(chat), exc.message)
                except BadRequest as exc:
                    if "chat not found" in exc.message.lower():
                        await self._unreachable(str(chat), exc.message)
                    raise
            sent.append(message.message_id)
        return sent

    async def _unreachable(self, chat_id: str, reason: str) -> NoReturn:
        logger.info("Telegram chat %s is unreachable: %s", mask_id(chat_id), reason)
        await in_thread(_mark_unreachable, chat_id, reason, self._engine)
        raise ChatUnreachable(chat_id, reason)

    # Rasa's OutputChannel interface: an unreachable chat is recorded, not an error of the dialogue.
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_quietly(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_quietly(recipient_id, text, buttons)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        try:
            async with self.pacer.limiter(str(recipient_id)):
                await self.bot.send_photo(chat_id=_chat_id(recipient_id), photo=image)
        except Forbidden as exc:
            await in_thread(_mark_unreachable, str(recipient_id), exc.message, self._engine)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self._send_quietly(recipient_id, str(attachment), None)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text.strip():
            await self._send_quietly(recipient_id, text, json_message.get("buttons"))
        else:
            logger.warning("Telegram: custom message without text not sent (keys: %s)", list(json_message))

    async def _send_quietly(
        self, recipient_id: str, text: str, buttons: Optional[List[Dict[str, Any]]]
    ) -> None:
        try:
            await self.send(recipient_id, text, buttons)
        except ChatUnreachable:
            pass


def _chat_id(value: str | int) -> int | str:
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _mark_unreachable(chat_id: str, reason: str, engine: Engine | None) -> None:
    reachability.mark_unreachable(CHANNEL, chat_id, reason, engine=engine)


class TelegramInput(InputChannel):
    """Telegram updates in (webhook at /webhooks/telegram/webhook, or long polling), replies out."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        config: TelegramConfig,
        *,
        engine: Engine | None = None,
        pacer: ChatPacer | None = None,
        poll_timeout: int = 25,
    ) -> None:
        self.config = config
        self._engine = engine
        self._pacer = pacer
        self.poll_timeout = poll_timeout
        self.dedup = EventDeduplicator(CHANNEL, engine)
        self._output: Optional[TelegramOutput] = None
        self._poller_task: Optional[asyncio.Task[None]] = None
        self._poller: Optional[TelegramPoller] = None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> TelegramInput:
        """Settings, not the credentials file, hold the secrets; a missing token stops start-up."""
        if credentials:
            logger.warning(
                "Telegram: values in the credentials file are ignored; set TELEGRAM_* in the environment."
            )
        return cls(TelegramConfig.from_settings(get_settings()))

    def get_output_channel(self) -> TelegramOutput:
        if self._output is None:
            handle = build_bot(self.config.token, self.config.api_base_url, self.config.timeout_seconds)
            self._output = TelegramOutput(handle, engine=self._engine, pacer=self._pacer)
        return self._output

    async def close(self) -> None:
        await self.stop_polling()
        if self._output is not None:
            await self._output.close()
            self._output = None

    # --- incoming updates (webhook and polling share this) ---

    async def handle_update(self, update: Update, on_new_message: OnNewMessage) -> bool:
        """Process one update; False when it was a duplicate (or not ours to answer)."""
        # update_id is unique per bot: key by the bot's id too (a new token means a new sequence).
        bot_id = self.config.token.split(":", 1)[0]
        if not await self.dedup.claim_async(f"{bot_id}:{update.update_id}"):
            logger.debug("Telegram update %s already processed", update.update_id)
            return False
        try:
            if update.callback_query is not None:
                await self._handle_callback(update.callback_query, on_new_message)
            elif update.message is not None:
                await self._handle_message(update.message, on_new_message)
            elif update.my_chat_member is not None:
                await self._handle_membership(update)
        except Exception:  # never let one update take the channel down
            logger.exception("Telegram update %s failed", update.update_id)
        return True

    async def _handle_message(self, message: Message, on_new_message: OnNewMessage) -> None:
        if message.chat.type != "private":
            logger.debug("Telegram: ignoring a message from a %s chat", message.chat.type)
            return
        chat_id = str(message.chat.id)
        await in_thread(self._mark_reachable, chat_id)
        output = self.get_output_channel()
        if message.text is None:
            kind = next((k for attr, k in _UNSUPPORTED_KINDS if getattr(message, attr, None)), "other")
            await output.send_text_message(chat_id, unsupported_message_reply(kind, hint=TELEGRAM_MENU_HINT))
            return
        text = _text_for_assistant(to_nfc(message.text))
        if not text:
            return
        await self._dispatch(on_new_message, text, chat_id, str(message.message_id))

    async def _handle_callback(self, query: CallbackQuery, on_new_message: OnNewMessage) -> None:
        output = self.get_output_channel()
        try:
            await output.bot.answer_callback_query(callback_query_id=query.id)
        except TelegramError as exc:  # too old to answer: the tap still counts
            logger.info("Telegram: could not answer callback query: %s", exc)
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != "private":
            return
        chat_id = str(chat.id if chat is not None else query.from_user.id)
        payload = await in_thread(output.payloads.payload_for, query.data or "")
        if not payload:
            await output.send_text_message(chat_id, EXPIRED_BUTTON)
            return
        await self._dispatch(on_new_message, payload, chat_id, f"cb-{query.id}")

    async def _handle_membership(self, update: Update) -> None:
        member = update.my_chat_member
        if member is None or member.chat.type != "private":
            return
        chat_id = str(member.chat.id)
        status = member.new_chat_member.status
        if status in ("kicked", "left"):
            await in_thread(_mark_unreachable, chat_id, "user blocked the bot", self._engine)
        elif status == "member":
            await in_thread(self._mark_reachable, chat_id)

    async def _dispatch(self, on_new_message: OnNewMessage, text: str, chat_id: str, message_id: str) -> None:
        user_message = UserMessage(
            text,
            self.get_output_channel(),
            chat_id,
            input_channel=CHANNEL,
            message_id=message_id,
            metadata={"channel": CHANNEL},
        )
        await on_new_message(user_message)

    def _mark_reachable(self, chat_id: str) -> None:
        if reachability.mark_reachable(CHANNEL, chat_id, engine=self._engine):
            logger.info("Telegram chat %s is reachable again", mask_id(chat_id))

    # --- Rasa / Sanic ---

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": "polling" if self.config.polling else "webhook"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            refusal = self._check_secret(request)
            if refusal is not None:
                return refusal
            try:
                data = request.json
                update = Update.de_json(data, self.get_output_channel().bot)
            except Exception:  # malformed JSON or not an Update
                logger.warning("Telegram webhook: body is not a Telegram update")
                return response.json({"ok": False}, status=400)
            await self.handle_update(update, on_new_message)
            return response.json({"ok": True})

        if self.config.polling:

            @telegram_webhook.listener("after_server_start")
            async def start_polling(app: Any, loop: Any) -> None:
                self.start_polling(on_new_message)

        @telegram_webhook.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            await self.close()

        return telegram_webhook

    def _check_secret(self, request: Request) -> Optional[HTTPResponse]:
        expected = self.config.webhook_secret
        if not expected:
            logger.warning("Telegram webhook refused: TELEGRAM_WEBHOOK_SECRET is not set")
            return response.json({"ok": False}, status=403)
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return response.json({"ok": False}, status=401)
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            logger.warning("Telegram webhook refused: wrong secret token")
            return response.json({"ok": False}, status=403)
        return None

    def start_polling(self, on_new_message: OnNewMessage) -> None:
        from bot.channels.telegram_polling import TelegramPoller

        if self._poller_task is not None and not self._poller_task.done():
            return
        self._poller = TelegramPoller(
            self.get_output_channel().bot,
            lambda update: self.handle_update(update, on_new_message),
            timeout=self.poll_timeout,
        )
        self._poller_task = asyncio.get_running_loop().create_task(self._poller.run())
        logger.info("Telegram: long polling started (no TELEGRAM_WEBHOOK_URL)")

    async def stop_polling(self) -> None:
        task, self._poller_task = self._poller_task, None
        if self._poller is not None:
            self._poller.stop()
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.5)
        if task is not None and not task.cancelled() and task.exception() is not None:
            logger.error("Telegram polling ended with an error", exc_info=task.exception())


def _text_for_assistant(text: str) -> str:
    """Commands become their payload; other text starting with "/" loses it (no intent injection:
    only buttons, which arrive as callback queries, may carry "/intent" payloads)."""
    text = text.strip()
    match = _COMMAND_RE.match(text)
    if match:
        payload = COMMAND_PAYLOADS.get(match.group(1).lower())
        if payload:
            return payload
    return text.lstrip("/").strip() if text.startswith("/") else text
