"""Dossier-store fixtures: each test gets empty dossier tables on SQLite and (marked) PostgreSQL.

The schema comes from the real Alembic migrations (``bot.db.migrate``), once per session and
database; PostgreSQL uses its own throw-away database on the TEST_POSTGRES_URL server.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db import make_engine, migrate
from bot.dossiers.models import (
    attempts_table,
    dossiers_table,
    history_table,
    locks_table,
    subscriptions_table,
)

PEPPER = "test-pepper"
HEADER = (
    "ma_ho_so,ma_dich_vu,ten_nguoi_nop,so_dien_thoai,trang_thai,ngay_tiep_nhan,ngay_hen_tra,"
    "ngay_cap_nhat,co_quan_xu_ly,noi_dung_bo_sung,ghi_chu"
)


@pytest.fixture(scope="session")
def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dossiers') / 'store.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def _postgres_db() -> Iterator[str | None]:
    import os

    admin = os.environ.get("TEST_POSTGRES_URL")
    if not admin:
        yield None
        return
    name = f"dossiers_test_{uuid.uuid4().hex[:8]}"
    admin_engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", future=True)
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    yield url
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, _sqlite_url: str) -> str:
    if request.param == "sqlite":
        return _sqlite_url
    request.getfixturevalue("postgres_url")  # skips with a visible reason when unset
    url = request.getfixturevalue("_postgres_db")
    assert url is not None
    return str(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for table in (history_table, subscriptions_table, attempts_table, locks_table, dossiers_table):
            conn.execute(table.delete())
    yield engine
    engine.dispose()


def write_csv(path: Path, rows: List[str], header: str = HEADER, bom: bool = False) -> Path:
    text = "\n".join([header, *rows]) + "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def row(
    code: str = "000.00.17.H26-230101-0001",
    service: str = "3",
    name: str = "Nguyễn Văn An",
    phone: str = "0912345678",
    status: str = "Đang xử lý",
    received: str = "2023-01-01",
    promised: str = "2023-01-10",
    updated: str = "2023-01-02",
    agency: str = "Công an xã Tân Lập",
    supplement: str = "",
    note: str = "",
) -> str:
    return ",".join(
        [code, service, name, phone, status, received, promised, updated, agency, supplement, note]
    )


class FakeClock:
    """A settable clock for the lockout (naive UTC)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 7, 1, 8, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)
