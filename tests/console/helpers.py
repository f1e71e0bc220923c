"""Helpers shared by the console tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any, AsyncIterator, List

import httpx
import sqlalchemy as sa
from rasa.core.channels.channel import register
from sanic import Sanic
from sqlalchemy.engine import Engine

from bot.console.channel import ConsoleInput
from bot.console.passwords import ScryptParams
from bot.console.services import ConsoleServices
from bot.db import make_engine, migrate

# Real scrypt, small cost: the production parameters are exercised in test_passwords.py.
CHEAP = ScryptParams(n=16, r=1, p=1)
PASSWORD = "mật-khẩu-đủ-dài-2026"
CONSOLE_TABLES = (
    "console_handoff_messages",
    "console_handoff_tickets",
    "console_audit_log",
    "console_login_failures",
    "console_sessions",
    "console_staff",
)


def migrated_engine(url: str) -> Engine:
    migrate(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # PostgreSQL databases are shared between tests: start empty
        for table in CONSOLE_TABLES:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    return engine


class ConsoleClient:
    """An httpx client on the console app, with helpers to sign in."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client
        self.csrf = ""

    async def login(self, name: str = "Nguyễn Lan", password: str = PASSWORD, **extra: str) -> httpx.Response:
        form = await self.http.get("/webhooks/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        data = {"name": name, "password": password, "csrf_token": token.group(1), **extra}
        response = await self.http.post("/webhooks/console/login", data=data)
        if response.status_code == 303:
            me = await self.http.get("/webhooks/console/api/me")
            self.csrf = me.json()["csrf_token"]
        return response

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return await self.http.post(path, headers=headers, **kwargs)


async def start_lifespan(app: Sanic) -> asyncio.Task:
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put))
    started = await asyncio.wait_for(outbox.get(), 10)
    assert started["type"] == "lifespan.startup.complete", started
    return task


def console_app(
    services: ConsoleServices, extra_channels: List[Any] | None = None, agent: Any = None
) -> Sanic:
    # Several apps in one process: test mode keeps Sanic's start-up rewrites repeatable.
    Sanic.test_mode = True
    app = Sanic(f"console-test-{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    register([ConsoleInput(services), *(extra_channels or [])], app, route="/webhooks/")
    return app


async def client_for(app: Sanic, scheme: str = "http") -> AsyncIterator[ConsoleClient]:
    task = await start_lifespan(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver") as http:
        yield ConsoleClient(http)
    task.cancel()
