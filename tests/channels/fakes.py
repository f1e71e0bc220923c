"""Local HTTP servers standing in for the Telegram Bot API and the Zalo OA / OAuth APIs.

They run on 127.0.0.1 in a thread of their own (own event loop), so both async tests and
synchronous CLI tests (``asyncio.run`` inside) can use them. What they received is recorded.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import web

from tests.conftest import free_port


class ThreadedServer:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: Optional[web.AppRunner] = None

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition that another thread makes true (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


async def async_wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# --- Telegram -------------------------------------------------------------------------------


@dataclass
class TelegramCall:
    method: str
    params: Dict[str, Any]


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    calls: List[TelegramCall] = field(default_factory=list)
    # method → scripted answers (status, body) used before the normal answer
    scripted: Dict[str, List[Tuple[int, Dict[str, Any]]]] = field(default_factory=dict)
    pending_updates: List[Dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 100

    def methods(self, name: str) -> List[Dict[str, Any]]:
        with self.lock:
            return [call.params for call in self.calls if call.method == name]

    def script(self, method: str, status: int, body: Dict[str, Any]) -> None:
        with self.lock:
            self.scripted.setdefault(method, []).append((status, body))

    def queue_update(self, update: Dict[str, Any]) -> None:
        with self.lock:
            self.pending_updates.append(update)

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        form = await request.post()
        params: Dict[str, Any] = {}
        for key, value in form.items():
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = str(value)
        with self.lock:
            self.calls.append(TelegramCall(method, params))
            scripted = self.scripted.get(method)
            answer = scripted.pop(0) if scripted else None
        if answer is not None:
            return web.json_response(answer[1], status=answer[0])
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("sendMessage", "sendPhoto"):
            with self.lock:
                self._message_id += 1
                message_id = self._message_id
            chat_id = params.get("chat_id")
            result = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": params.get("text", ""),
            }
            return web.json_response({"ok": True, "result": result})
        if method == "getWebhookInfo":
            return web.json_response(
                {
                    "ok": True,
                    "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0},
                }
            )
        return web.json_response({"ok": True, "result": True})

    async def _get_updates(self, params: Dict[str, Any]) -> web.Response:
        offset = params.get("offset")
        for _ in range(20):  # a short "long poll"
            with self.lock:
                if offset is not None:
                    self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= int(offset)]
                updates = list(self.pending_updates)
            if updates:
                return web.json_response({"ok": True, "result": updates})
            await asyncio.sleep(0.01)
        return web.json_response({"ok": True, "result": []})


def forbidden() -> Tuple[int, Dict[str, Any]]:
    return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


def retry_after(seconds: int) -> Tuple[int, Dict[str, Any]]:
    return 429, {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {seconds}",
        "parameters": {"retry_after": seconds},
    }


# --- Zalo -----------------------------------------------------------------------------------


@dataclass
class FakeZalo:
    app_id: str = "1234567890"
    app_secret: str = "zalo-app-secret"
    valid_access_tokens: set = field(default_factory=lambda: {"access-0"})
    refresh_token: str = "refresh-0"
    sent: List[Tuple[str, Dict[str, Any]]] = field(default_factory=list)  # (access token, body)
    refreshes: List[Dict[str, Any]] = field(default_factory=list)
    unreachable_users: set = field(default_factory=set)
    scripted_sends: List[Dict[str, Any]] = field(default_factory=list)
    refresh_delay: float = 0.0
    expires_in: str = "90000"
    lock: threading.Lock = field(default_factory=threading.Lock)
    _generation: int = 0

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        return app

    def texts(self) -> List[str]:
        with self.lock:
            return [body["message"]["text"] for _, body in self.sent]

    async def _send(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        body = await request.json()
        with self.lock:
            if token not in self.valid_access_tokens:
                return web.json_response({"error": -216, "message": "Access token is invalid"})
            scripted = self.scripted_sends.pop(0) if self.scripted_sends else None
            if scripted is not None:
                return web.json_response(scripted)
            if body["recipient"]["user_id"] in self.unreachable_users:
                return web.json_response({"error": -213, "message": "User has not followed OA"})
            self.sent.append((token, body))
            count = len(self.sent)
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": f"m{count}", "user_id": "u"}}
        )

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        with self.lock:
            self.refreshes.append(
                {"secret_key": request.headers.get("secret_key"), **{k: str(v) for k, v in form.items()}}
            )
            if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
                return web.json_response({"error": -14002, "error_name": "Invalid app"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
            self._generation += 1
            access, refresh = f"access-{self._generation}", f"refresh-{self._generation}"
            self.valid_access_tokens = {access}  # the old access token stops working too
            self.refresh_token = refresh  # single use: the old refresh token is spent
        return web.json_response(
            {"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in}
        )
