"""Staff accounts and the `python -m bot staff` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.console.models import Staff
from bot.console.services import ConsoleServices
from bot.console.staff import StaffError
from tests.conftest import ROOT
from tests.console.helpers import PASSWORD


def test_add_check_login_and_list(services: ConsoleServices, engine: Engine) -> None:
    account = services.staff.add("  Nguyễn   Lan ", PASSWORD)
    assert account.name == "Nguyễn Lan" and account.active
    # Login is case-insensitive and accepts NFD input (macOS keyboards).
    import unicodedata

    assert services.staff.check_login(unicodedata.normalize("NFD", "nguyễn lan"), PASSWORD) == account
    assert services.staff.check_login("Nguyễn Lan", PASSWORD + "x") is None
    assert services.staff.check_login("Trần Minh", PASSWORD) is None
    assert [a.name for a in services.staff.list()] == ["Nguyễn Lan"]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(Staff.password_hash)).scalar_one()
    assert stored.startswith("scrypt$") and PASSWORD not in stored


def test_duplicates_short_passwords_and_bad_names_are_refused(services: ConsoleServices) -> None:
    services.staff.add("Nguyễn Lan", PASSWORD)
    with pytest.raises(StaffError, match="already exists"):
        services.staff.add("NGUYỄN LAN", PASSWORD)
    with pytest.raises(StaffError, match="at least 10"):
        services.staff.add("Trần Minh", "ngắn")
    with pytest.raises(StaffError, match="empty"):
        services.staff.add("   ", PASSWORD)
    with pytest.raises(StaffError, match="control"):
        services.staff.add("Lan\x00", PASSWORD)


def test_disable_ends_sessions_and_blocks_login(services: ConsoleServices) -> None:
    account = services.staff.add("Nguyễn Lan", PASSWORD)
    token = services.sessions.create(account.id)
    assert services.sessions.resolve(token) is not None
    services.staff.disable("nguyễn lan")
    assert services.sessions.resolve(token) is None
    assert services.staff.check_login("Nguyễn Lan", PASSWORD) is None
    services.staff.enable("Nguyễn Lan")
    assert services.staff.check_login("Nguyễn Lan", PASSWORD) is not None
    with pytest.raises(StaffError, match="no staff account"):
        services.staff.disable("Không Có")


def test_new_password_signs_out_everywhere(services: ConsoleServices) -> None:
    account = services.staff.add("Nguyễn Lan", PASSWORD)
    token = services.sessions.create(account.id)
    services.staff.set_password("Nguyễn Lan", "một-mật-khẩu-mới-hơn")
    assert services.sessions.resolve(token) is None
    assert services.staff.check_login("Nguyễn Lan", "một-mật-khẩu-mới-hơn") is not None
    assert services.staff.check_login("Nguyễn Lan", PASSWORD) is None


def _cli(args: list[str], database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url, SQLALCHEMY_SILENCE_UBER_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "bot", "staff", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_add_list_disable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    added = _cli(["add", "Trần Minh", "--password-stdin"], url, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    again = _cli(["add", "trần minh", "--password-stdin"], url, stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert _cli(["disable", "Trần Minh"], url).returncode == 0
    listed = _cli(["list"], url)
    assert listed.returncode == 0 and "Trần Minh\tdisabled" in listed.stdout
