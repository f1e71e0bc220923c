"""Zalo Official Account as a Rasa custom channel.

credentials.yml::

    bot.channels.zalo.ZaloInput:

Webhook at ``/webhooks/zalo/webhook``. Zalo signs each event with ``X-ZEvent-Signature:
mac=<sha256 hex of app_id + raw body + timestamp + OA secret key>`` (the timestamp is the event's
``timestamp`` field); anything else gets 401 and is not processed. A valid event is acknowledged
with 200 at once and handled in the background (Zalo retries slow webhooks), once per message id,
in arrival order per user. Sending goes through :class:`bot.channels.zalo_api.ZaloClient`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from bot.channels import reachability
from bot.channels.config import ZaloConfig
from bot.channels.dedup import EventDeduplicator
from bot.channels.replies import unsupported_message_reply
from bot.channels.storage import in_thread, mask_id
from bot.channels.zalo_api import ZaloApiError, ZaloClient, ZaloRateLimited, ZaloUserUnreachable
from bot.settings import Settings, get_settings
from nlu.text import to_nfc

logger = logging.getLogger(__name__)

CHANNEL = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BODY_BYTES = 256 * 1024
WELCOME_PAYLOAD = "/greet"
TOKEN_CHECK_INTERVAL_SECONDS = 15 * 60
# User events the assistant cannot read → the kind of helpful reply they get.
_UNSUPPORTED_EVENTS = {
    "user_send_image": "photo",
    "user_send_gif": "sticker",
    "user_send_sticker": "sticker",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_file": "document",
    "user_send_location": "location",
    "user_send_business_card": "contact",
    "user_send_link": "other",
}

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def zalo_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The X-ZEvent-Signature value Zalo sends for this event."""
    material = app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + oa_secret_key.encode("utf-8")
    return "mac=" + hashlib.sha256(material).hexdigest()


def signature_is_valid(header: Optional[str], app_id: str, raw_body: bytes, timestamp: str, key: str) -> bool:
    if not header:
        return False
    given = header.strip().lower()
    given = given if given.startswith("mac=") else "mac=" + given
    expected = zalo_signature(app_id, raw_body, timestamp, key)
    return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii"))


class ZaloOutput(OutputChannel):
    """Sends the assistant's messages (replies and proactive sends) to a Zalo user."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        *,
        engine: Engine | None = None,
        rate_limit_retries: int = 3,
        rate_limit_wait: float = 1.0,
    ) -> None:
        self.client = client
        self._engine = engine
        self.rate_limit_retries = rate_limit_retries
        self.rate_limit_wait = rate_limit_wait

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, engine: Engine | None = None) -> ZaloOutput:
        return cls(ZaloClient.from_settings(settings, engine=engine), engine=engine)

    async def send(self, user_id: str, text: str, buttons: Optional[List[Dict[str, Any]]] = None) -> dict:
        """Send, waiting out rate limits; raises like :meth:`ZaloClient.send_text`.

        An unreachable user is marked (bot/channels/reachability.py) before the error is raised.
        """
        for attempt in range(self.rate_limit_retries + 1):
            try:
                return await self.client.send_text(str(user_id), text, buttons)
            except ZaloUserUnreachable as exc:
                await in_thread(
                    _mark_unreachable, str(user_id), f"zalo {exc.code}: {exc.message}", self._engine
                )
                raise
            except ZaloRateLimited as exc:
                if attempt == self.rate_limit_retries:
                    raise
                await asyncio.sleep(exc.retry_after if exc.retry_after is not None else self.rate_limit_wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_quietly(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_quietly(recipient_id, text, buttons)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send_quietly(recipient_id, str(image), None)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self._send_quietly(recipient_id, str(attachment), None)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text.strip():
            await self._send_quietly(recipient_id, text, json_message.get("buttons"))

    async def _send_quietly(
        self, recipient_id: str, text: str, buttons: Optional[List[Dict[str, Any]]]
    ) -> None:
        """Rasa's interface: a failed delivery is logged, it does not break the dialogue."""
        try:
            await self.send(recipient_id, text, buttons)
        except ZaloUserUnreachable:
            pass
        except ZaloApiError as exc:
            logger.error("Zalo: reply to %s not delivered: %s", mask_id(recipient_id), exc)


def _mark_unreachable(user_id: str, reason: str, engine: Engine | None) -> None:
    reachability.mark_unreachable(CHANNEL, user_id, reason, engine=engine)


class ZaloInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        config: ZaloConfig,
        client: ZaloClient,
        *,
        engine: Engine | None = None,
        output: ZaloOutput | None = None,
        token_check_interval: float = TOKEN_CHECK_INTERVAL_SECONDS,
    ) -> None:
        self.config = config
        self.client = client
        self._engine = engine
        self.output = output or ZaloOutput(client, engine=engine)
        self.dedup = EventDeduplicator(CHANNEL, engine)
        self.token_check_interval = token_check_interval
        self._tasks: Set[asyncio.Task[Any]] = set()
        # Per-user lock and how many events hold or wait for it: one user's events run in order.
        self._user_locks: Dict[str, Tuple[asyncio.Lock, List[int]]] = {}
        self._keepalive: Optional[asyncio.Task[None]] = None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> ZaloInput:
        if credentials:
            logger.warning("Zalo: values in the credentials file are ignored; set ZALO_* in the environment.")
        settings = get_settings()
        return cls(ZaloConfig.from_settings(settings), ZaloClient.from_settings(settings))

    def get_output_channel(self) -> ZaloOutput:
        return self.output

    # --- events ---

    async def handle_event(self, event: Dict[str, Any], on_new_message: OnNewMessage) -> bool:
        """Handle one verified event; False when ignored or already processed."""
        name = str(event.get("event_name") or "")
        user_id = _user_id(event)
        if not user_id or not (name.startswith("user_send_") or name in ("follow", "unfollow")):
            return False
        raw_message = event.get("message")
        message: Dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
        event_id = str(message.get("msg_id") or f"{name}:{user_id}:{event.get('timestamp', '')}")
        if not await self.dedup.claim_async(event_id):
            logger.debug("Zalo event %s already processed", name)
            return False
        lock, users = self._user_locks.setdefault(user_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await self._handle(name, user_id, message, event_id, on_new_message)
        except Exception:
            logger.exception("Zalo event %s for %s failed", name, mask_id(user_id))
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._user_locks[user_id]
        return True

    async def _handle(
        self, name: str, user_id: str, message: Dict[str, Any], event_id: str, on_new_message: OnNewMessage
    ) -> None:
        if name == "unfollow":
            await in_thread(_mark_unreachable, user_id, "unfollowed the OA", self._engine)
            return
        await in_thread(self._mark_reachable, user_id)
        if name == "follow":
            await self._dispatch(on_new_message, WELCOME_PAYLOAD, user_id, event_id)
        elif name == "user_send_text":
            text = to_nfc(str(message.get("text") or "")).strip()
            if text:
                await self._dispatch(on_new_message, text, user_id, event_id)
        else:
            kind = _UNSUPPORTED_EVENTS.get(name, "other")
            await self.output.send_text_message(user_id, unsupported_message_reply(kind))

    async def _dispatch(self, on_new_message: OnNewMessage, text: str, user_id: str, event_id: str) -> None:
        await on_new_message(
            UserMessage(
                text,
                self.output,
                user_id,
                input_channel=CHANNEL,
                message_id=event_id,
                metadata={"channel": CHANNEL},
            )
        )

    def _mark_reachable(self, user_id: str) -> None:
        reachability.mark_reachable(CHANNEL, user_id, engine=self._engine)

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the events being handled in the background."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            await asyncio.gather(self._keepalive, return_exceptions=True)
            self._keepalive = None
        await self.drain()
        await self.client.aclose()

    async def _keep_token_fresh(self) -> None:
        """Refresh before expiry even when nobody writes for days (the refresh token lasts ~3 months)."""
        while True:
            await asyncio.sleep(self.token_check_interval)
            try:
                await self.client.ensure_fresh_token()
            except ZaloApiError as exc:
                logger.warning("Zalo token check failed: %s", exc)

    # --- Rasa / Sanic ---

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        zalo_webhook = Blueprint("zalo_webhook", __name__)

        @zalo_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @zalo_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            raw = request.body or b""
            if len(raw) > MAX_BODY_BYTES:
                return response.json({"ok": False}, status=413)
            try:
                event = json.loads(raw)
            except ValueError:
                event = None
            if not isinstance(event, dict):
                return response.json({"ok": False}, status=401)
            timestamp = str(event.get("timestamp") or request.headers.get("timestamp") or "")
            header = request.headers.get(SIGNATURE_HEADER)
            if not signature_is_valid(header, self.config.app_id, raw, timestamp, self.config.oa_secret_key):
                logger.warning("Zalo webhook refused: %s signature", "wrong" if header else "missing")
                return response.json({"ok": False}, status=401)
            self._spawn(self.handle_event(event, on_new_message))
            return response.json({"ok": True})

        @zalo_webhook.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            if self._keepalive is None:
                self._keepalive = asyncio.get_running_loop().create_task(self._keep_token_fresh())

        @zalo_webhook.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            await self.close()

        return zalo_webhook


def _user_id(event: Dict[str, Any]) -> str:
    for key in ("follower", "sender", "user"):
        value = event.get(key)
        if isinstance(value, dict) and value.get("id"):
            return str(value["id"])
    return ""
