"""CSV import: bad rows with line numbers, all-or-nothing, --skip-invalid, idempotent, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.outreach import unsubscribe
from bot.outreach.importer import ImportFileError, import_subscribers
from bot.outreach.models import subscribers_t

from .conftest import ROOT
from .helpers import subscriber

GOOD = "channel,chat_id,province,commune,topics\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding=encoding)
    return path


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(subscribers_t)).scalar_one()


BAD_FILE = (
    GOOD
    + "telegram,101,Hà Nội,Phường Ba Đình,dich_vu_moi;ky_nang_so\n"  # line 2 ok
    + "viber,102,,,dich_vu_moi\n"  # line 3 bad channel
    + "telegram,,,,dich_vu_moi\n"  # line 4 empty chat id
    + "telegram,103,,,thoi_tiet\n"  # line 5 unknown topic
    + "telegram,101,,,dich_vu_moi\n"  # line 6 duplicate of line 2
    + "zalo,104,Huế\n"  # line 7 wrong number of fields
    + "zalo,105,Thừa Thiên Huế,,\n"  # line 8 no topics
    + "zalo,106,Huế,Phường Thuận Hóa,nhac_giay_to\n"  # line 9 ok
)


def test_bad_rows_are_reported_with_line_and_reason_and_nothing_is_imported(any_engine, tmp_path) -> None:
    report = import_subscribers(any_engine, write(tmp_path, BAD_FILE))

    assert not report.applied
    assert [line for line, _ in report.bad_rows] == [3, 4, 5, 6, 7, 8]
    reasons = dict(report.bad_rows)
    assert "channel must be one of" in reasons[3]
    assert reasons[4] == "chat_id is empty"
    assert reasons[5] == "unknown topics: thoi_tiet"
    assert reasons[6].startswith("duplicate of line 2")
    assert reasons[7] == "expected 5 fields, found 3"
    assert reasons[8] == "topics is empty"
    assert count(any_engine) == 0


def test_skip_invalid_imports_only_the_good_rows_and_is_idempotent(any_engine, tmp_path) -> None:
    path = write(tmp_path, BAD_FILE)

    first = import_subscribers(any_engine, path, skip_invalid=True)
    second = import_subscribers(any_engine, path, skip_invalid=True)

    assert (first.applied, first.created, first.bad_count) == (True, 2, 6)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert count(any_engine) == 2
    row = subscriber(any_engine, "101")
    assert (row.consent_source, row.topics, row.commune_key) == (
        "import",
        ";dich_vu_moi;ky_nang_so;",
        "phuong ba dinh",
    )


def test_import_never_resubscribes_someone_who_opted_out(any_engine, tmp_path) -> None:
    path = write(tmp_path, GOOD + "telegram,7,,,dich_vu_moi\n")
    import_subscribers(any_engine, path)
    assert unsubscribe("telegram", "7", engine=any_engine)

    again = import_subscribers(any_engine, path)

    assert again.kept_unsubscribed == 1
    assert subscriber(any_engine, "7").status == "unsubscribed"


def test_import_updates_changed_rows(any_engine, tmp_path) -> None:
    import_subscribers(any_engine, write(tmp_path, GOOD + "telegram,8,Hà Nội,,dich_vu_moi\n"))
    report = import_subscribers(
        any_engine, write(tmp_path, GOOD + "telegram,8,Hà Nội,,dich_vu_moi;ky_nang_so\n")
    )
    assert report.updated == 1
    assert subscriber(any_engine, "8").topics == ";dich_vu_moi;ky_nang_so;"


def test_large_import_is_one_transaction(any_engine, tmp_path) -> None:
    rows = "".join(f"telegram,{i},,,dich_vu_moi\n" for i in range(2500)) + "telegram,abc,,,dich_vu_moi\n"
    path = write(tmp_path, GOOD + rows)
    assert not import_subscribers(any_engine, path).applied
    assert count(any_engine) == 0  # the bad last line stops all 2,500 good ones
    assert import_subscribers(any_engine, path, skip_invalid=True).created == 2500


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("chat,topics\n1,a\n", "utf-8", "header must be"),
        ("", "utf-8", "empty"),
        (GOOD + "telegram,1,Hà Tây,,dich_vu_moi\n", "latin-1", "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused(engine, tmp_path, content, encoding, message) -> None:
    with pytest.raises(ImportFileError, match=message):
        import_subscribers(engine, write(tmp_path, content, encoding))


def test_cli_import(sqlite_url, tmp_path) -> None:
    path = write(tmp_path, "\ufeff" + GOOD + "telegram,1,,,dich_vu_moi\ntelegram,x,,,dich_vu_moi\n")
    env = dict(os.environ, DATABASE_URL=sqlite_url)
    command = [sys.executable, "-m", "bot", "outreach", "subscribers", "import", str(path)]

    refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "line 3: chat_id must be a number for telegram" in refused.stderr
    assert "Nothing imported" in refused.stderr

    done = subprocess.run(
        [*command, "--skip-invalid"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
