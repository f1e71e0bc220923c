"""`python -m bot dossiers import` end to end in a subprocess (it migrates a fresh database itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.db import make_engine
from bot.dossiers.store import DossierStore
from tests.conftest import ROOT
from tests.dossiers.conftest import row, write_csv


def _run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DOSSIER_PHONE_PEPPER": "cli-test-pepper"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "dossiers", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_cli_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    good = [row(code=f"H26.22-230101-{i:04d}") for i in range(1, 4)]
    bad = write_csv(tmp_path / "bad.csv", [*good, row(code="H26.22-230101-0009", received="32/01/2023")])

    rejected = _run("import", str(bad), "--no-progress", db=db)
    assert rejected.returncode == 1
    assert "dòng 5: ngay_tiep_nhan '32/01/2023' không phải ngày hợp lệ" in rejected.stderr
    assert "--skip-invalid" in rejected.stderr
    assert DossierStore(make_engine(f"sqlite:///{db}")).count() == 0

    skipped = _run("import", str(bad), "--skip-invalid", db=db)
    assert skipped.returncode == 0, skipped.stderr
    assert "3 mới" in skipped.stdout and "1 dòng lỗi bỏ qua" in skipped.stdout
    assert "Ghi CSDL" in skipped.stderr  # the progress bar

    changed = write_csv(
        tmp_path / "v2.csv", [*good[:2], row(code="H26.22-230101-0003", status="Đã trả kết quả")]
    )
    again = _run("import", str(changed), "--no-progress", db=db)
    assert again.returncode == 0, again.stderr
    assert "0 mới, 1 cập nhật, 2 không đổi, 1 hồ sơ đổi trạng thái" in again.stdout

    store = DossierStore(make_engine(f"sqlite:///{db}"))
    assert store.count() == 3
    assert [h[1] for h in store.history("H26.22-230101-0003")] == ["processing", "returned"]


def test_import_cli_unusable_file(tmp_path: Path) -> None:
    result = _run("import", str(tmp_path / "missing.csv"), db=tmp_path / "x.db")
    assert result.returncode == 2 and "Không nhập được" in result.stderr and "Traceback" not in result.stderr


def test_poll_without_api_url_names_the_setting(tmp_path: Path) -> None:
    env_db = tmp_path / "p.db"
    result = _run("poll", db=env_db)
    assert result.returncode == 2 and "DOSSIER_API_BASE_URL" in result.stderr
