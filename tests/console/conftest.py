"""Console fixtures: a migrated database (SQLite, or PostgreSQL when marked), cheap password
hashing, and the console's Sanic app served in-process through ASGI (httpx)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.console.services import ConsoleServices
from bot.db import make_engine
from tests.console.helpers import CHEAP, PASSWORD, ConsoleClient, client_for, console_app, migrated_engine


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per session; each test gets its own copy (Alembic is the slow part)."""
    path = tmp_path_factory.mktemp("console-template") / "console.db"
    migrated_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    copy = tmp_path / "console.db"
    shutil.copyfile(migrated_sqlite, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The same test on SQLite and on PostgreSQL (skipped with a reason when none is running)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        engine = migrated_engine(url)
    else:
        engine = make_engine(request.getfixturevalue("sqlite_url"))
    yield engine
    engine.dispose()


@pytest.fixture
def services(engine: Engine) -> ConsoleServices:
    return ConsoleServices.build(engine, params=CHEAP, max_failures=5)


@pytest.fixture
def staff_account(services: ConsoleServices) -> Any:
    return services.staff.add("Nguyễn Lan", PASSWORD)


@pytest.fixture
async def client(services: ConsoleServices, staff_account: Any) -> AsyncIterator[ConsoleClient]:
    async for console in client_for(console_app(services)):
        yield console


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the test item, so browser fixtures can screenshot failures."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
