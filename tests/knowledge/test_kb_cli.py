"""``python -m knowledge`` search/check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import pytest

import knowledge
from knowledge.__main__ import main
from knowledge.catalog import Catalog
from knowledge.embedded import EmbeddedBackend


@pytest.fixture
def small_backend(small_catalog: Catalog) -> Iterator[None]:
    knowledge.set_backend(EmbeddedBackend(lambda: small_catalog, cache_dir=None))
    yield
    knowledge.reset_backend()


def test_search_json_lines(small_backend: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "đổi bằng lái hết bao nhiêu tiền", "-k", "3", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    for record in records:
        assert list(record) == ["service_id", "service_no", "section", "score", "text"]
    assert records[0]["service_id"] == "cap-doi-giay-phep-lai-xe" and records[0]["section"] == "fee"
    assert "115.000 đồng" in lines[0]  # ensure_ascii=False
    assert [r["score"] for r in records] == sorted((r["score"] for r in records), reverse=True)


def test_search_plain_text(small_backend: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "làm hộ chiếu mất mấy ngày", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "cap-ho-chieu" in out and "[processing_time]" in out and "08 ngày làm việc" in out


def test_check_prints_coverage(catalog_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--services", str(catalog_dir())]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["no", "service", "overview", "who"]
    row = next(line for line in lines if "cap-ho-chieu" in line).split()
    # no, id, 9 sections, faq count: fee is a gap in the small catalog
    assert row[0] == "12" and row[2 + 4] == "—" and row[2:6] == ["✓", "✓", "✓", "✓"] and row[-1] == "5"
    assert lines[-1] == "3 services, 1 gap"


def test_check_fails_on_invalid_catalog(
    catalog_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    directory = catalog_dir()
    (directory / "99-bad.yaml").write_text("id: Not A Slug\n", encoding="utf-8")
    assert main(["check", "--services", str(directory)]) == 1
    assert "invalid catalog" in capsys.readouterr().err
