"""Fixtures for outreach: a migrated database (SQLite file; PostgreSQL when marked), the Telegram
stand-in on 127.0.0.1, a config without quiet hours, and fast bulk subscriber inserts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.telegram_standin import StandinThread
from bot.db import make_engine, migrate
from bot.outreach.config import OutreachConfig
from bot.outreach.guards import QuietHours
from bot.outreach.models import subscribers_t, utcnow
from bot.outreach.subscribers import place_key
from bot.outreach.topics import encode_topics
from bot.settings import load_settings
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

OUTREACH_TABLES = (
    "outreach_deliveries",
    "outreach_reminders",
    "outreach_campaigns",
    "outreach_consent_events",
    "outreach_subscribers",
    "outreach_control",
)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per session; each test gets a copy (Alembic over every branch takes ~1 s)."""
    path = tmp_path_factory.mktemp("outreach-template") / "template.db"
    migrate(f"sqlite:///{path}")
    eng = make_engine(f"sqlite:///{path}")
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_template: Path) -> str:
    target = tmp_path / "outreach.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


def clean_postgres(url: str) -> Engine:
    migrate(url)
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(OUTREACH_TABLES)} RESTART IDENTITY CASCADE"))
    return eng


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The same test on SQLite and (when TEST_POSTGRES_URL is set) PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(request.getfixturevalue("sqlite_url"))
    else:
        eng = clean_postgres(request.getfixturevalue("postgres_url"))
    yield eng
    eng.dispose()


@pytest.fixture
def standin() -> Iterator[StandinThread]:
    server = StandinThread(free_port()).start()
    yield server
    server.stop()


NO_QUIET = QuietHours.parse("00:00", "00:00", "Asia/Ho_Chi_Minh")


@pytest.fixture
def config() -> OutreachConfig:
    base = OutreachConfig.from_settings(load_settings(_env_file=None))
    return base.with_(
        quiet_hours=NO_QUIET,
        kill_switch=False,
        limits={name: type(limit)(1000.0, 1000.0) for name, limit in base.limits.items()},
        backoff_base=0.05,
        backoff_max=0.2,
        lease=timedelta(seconds=30),
    )


def add_subscribers(
    engine: Engine,
    chat_ids: Sequence[str],
    *,
    channel: str = "telegram",
    topics: Sequence[str] = ("dich_vu_moi",),
    province: str | None = None,
    commune: str | None = None,
    birth_year: int | None = None,
) -> None:
    now = utcnow()
    rows = [
        {
            "channel": channel,
            "chat_id": chat_id,
            "status": "active",
            "topics": encode_topics(topics),
            "province": province,
            "commune": commune,
            "province_key": place_key(province),
            "commune_key": place_key(commune),
            "birth_year": birth_year,
            "consent_at": now,
            "consent_source": "import",
            "unreachable": False,
            "created_at": now,
            "updated_at": now,
        }
        for chat_id in chat_ids
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(subscribers_t.insert(), rows[start : start + 5000])
