"""Fixtures for the channel tests: a migrated SQLite database per test, stand-in APIs, a Sanic app."""

from __future__ import annotations

import shutil
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterator, List

import pytest
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic
from sqlalchemy.engine import Engine

from bot.db import make_engine, migrate
from tests.channels.fakes import FakeTelegram, FakeZalo, ThreadedServer
from tests.conftest import free_port


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("channels-db") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(migrated_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "channels.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    db = make_engine(db_url)
    yield db
    db.dispose()


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    server = ThreadedServer(fake.application()).start()
    fake.base_url = f"{server.url}/bot"  # type: ignore[attr-defined]
    yield fake
    server.stop()


@pytest.fixture
def fake_zalo() -> Iterator[FakeZalo]:
    fake = FakeZalo()
    server = ThreadedServer(fake.application()).start()
    fake.url = server.url  # type: ignore[attr-defined]
    yield fake
    server.stop()


class Responder:
    """Stands in for Rasa's agent: records messages and answers like the domain would."""

    def __init__(self, answers: Dict[str, List[Dict[str, Any]]] | None = None) -> None:
        self.messages: List[UserMessage] = []
        self.answers = answers or {}

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        for answer in self.answers.get(message.text or "", [{"text": f"echo: {message.text}"}]):
            await message.output_channel.send_response(message.sender_id, dict(answer))

    @property
    def texts(self) -> List[str]:
        return [m.text or "" for m in self.messages]


@asynccontextmanager
async def serve(
    channel: InputChannel, on_new_message: Callable[[UserMessage], Awaitable[Any]]
) -> AsyncIterator[str]:
    """The channel's blueprint in a real Sanic app on a free port, mounted as Rasa mounts it."""
    Sanic.test_mode = True  # lets several apps start in one process (Sanic 21.12's TouchUp)
    app = Sanic(f"channels_test_{uuid.uuid4().hex}", configure_logging=False)
    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    try:
        await server.startup()
        await server.after_start()
        yield f"http://127.0.0.1:{port}/webhooks/{channel.name()}"
    finally:
        if app.state.is_started:
            await server.before_stop()
        await server.close()
        if app.state.is_started:
            await server.after_stop()
