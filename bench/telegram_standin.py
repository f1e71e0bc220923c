"""A local stand-in for the Telegram Bot API (getMe, sendMessage) for outreach tests and benchmarks.

It counts every message it accepts per chat and the time it arrived, and can be told (POST
/_control) to answer 403 "bot was blocked by the user", 429 with retry_after, or 5xx for given chats,
or to answer slowly, or (tests) hold every message until the test opens its gate. GET /_stats returns
the counts; POST /_reset forgets everything.

    python -m bench.telegram_standin --port 8081    # base URL http://127.0.0.1:8081/bot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class StandinState:
    delivered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    arrival_times: list[float] = field(default_factory=list)
    arrivals_by_chat: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    blocked: set[str] = field(default_factory=set)
    rate_limited: dict[str, list[float]] = field(default_factory=dict)  # chat -> [times left, retry_after]
    server_errors: dict[str, int] = field(default_factory=dict)  # chat -> times left
    delay: float = 0.0
    track_chat_times: bool = True  # also keeps each accepted message's text and reply_markup
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    message_id: int = 0
    gate: asyncio.Event | None = None  # when set up and not yet open, sendMessage waits for it

    def close_gate(self) -> None:
        """Hold every sendMessage until ``open_gate`` (call both on the server thread)."""
        self.gate = asyncio.Event()

    def open_gate(self) -> None:
        if self.gate is not None:
            self.gate.set()


def _error(code: int, description: str, retry_after: float | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


def _chat_json(chat_id: str) -> dict[str, Any]:
    return {
        "id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0,
        "type": "private",
        "first_name": "Dân",
    }


def _json_field(value: Any) -> Any:
    """A JSON-typed parameter: a string in form bodies, already decoded in JSON bodies."""
    return json.loads(value) if isinstance(value, str) and value else value or None


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    return dict(await request.post())


def build_app(state: StandinState) -> web.Application:
    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response(
                {
                    "ok": True,
                    "result": {
                        "id": 424242,
                        "is_bot": True,
                        "first_name": "Standin",
                        "username": "standin_bot",
                    },
                }
            )
        if method != "sendMessage":
            return _error(404, "Not Found: method not found")
        params = await _params(request)
        chat_id = str(params.get("chat_id", ""))
        state.attempts[chat_id] += 1
        if state.gate is not None:
            await state.gate.wait()
        if state.delay:
            await asyncio.sleep(state.delay)
        if chat_id in state.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        limited = state.rate_limited.get(chat_id)
        if limited and limited[0] > 0:
            limited[0] -= 1
            return _error(429, f"Too Many Requests: retry after {limited[1]}", retry_after=limited[1])
        errors = state.server_errors.get(chat_id, 0)
        if errors > 0:
            state.server_errors[chat_id] = errors - 1
            return _error(500, "Internal Server Error")
        now = time.monotonic()
        state.delivered[chat_id] += 1
        state.arrival_times.append(now)
        if state.track_chat_times:
            state.arrivals_by_chat[chat_id].append(now)
            markup = params.get("reply_markup")
            state.messages[chat_id].append(
                {"text": params.get("text", ""), "reply_markup": _json_field(markup)}
            )
        state.message_id += 1
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": state.message_id,
                    "date": int(time.time()),
                    "chat": _chat_json(chat_id),
                    "text": params.get("text", ""),
                },
            }
        )

    async def control(request: web.Request) -> web.Response:
        data = await request.json()
        state.blocked.update(str(c) for c in data.get("blocked", []))
        for chat, (times, retry_after) in data.get("rate_limit", {}).items():
            state.rate_limited[str(chat)] = [times, retry_after]
        for chat, times in data.get("server_error", {}).items():
            state.server_errors[str(chat)] = int(times)
        if "delay" in data:
            state.delay = float(data["delay"])
        if "track_chat_times" in data:
            state.track_chat_times = bool(data["track_chat_times"])
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        body: dict[str, Any] = {
            "delivered": dict(state.delivered),
            "attempts": dict(state.attempts),
            "total": sum(state.delivered.values()),
        }
        if request.query.get("times"):
            body["times"] = state.arrival_times
            body["chat_times"] = dict(state.arrivals_by_chat) if state.track_chat_times else {}
        return web.Response(text=json.dumps(body), content_type="application/json")

    async def reset(request: web.Request) -> web.Response:
        fresh = StandinState()
        for name in fresh.__dataclass_fields__:
            setattr(state, name, getattr(fresh, name))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/_control", control)
    app.router.add_get("/_stats", stats)
    app.router.add_post("/_reset", reset)
    app.router.add_route("*", "/bot{token}/{method}", api)
    return app


class StandinThread:
    """The stand-in served from a background thread (for tests): ``.base_url``, ``.state``, ``.stop()``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.state = StandinState()
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.url = f"http://127.0.0.1:{port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> StandinThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("Telegram stand-in did not start")
        return self

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(build_app(self.state), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def call(self, fn: Any) -> None:
        """Run ``fn(state)`` on the server thread (to change behaviour safely)."""
        done = threading.Event()

        def run() -> None:
            fn(self.state)
            done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(5)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(build_app(StandinState()), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
