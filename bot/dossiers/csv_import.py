"""Import the one-stop-shop's CSV export into the dossier store.

All or nothing: the file is read and checked first; any bad row means nothing is written unless
``skip_invalid`` is set, and the valid rows are then written in ONE transaction (an error midway
rolls everything back). Re-importing is an idempotent upsert that records status changes.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

from sqlalchemy.engine import Engine
from tqdm import tqdm

from bot.dossiers.fields import (
    ALL_COLUMNS,
    REQUIRED_COLUMNS,
    FieldError,
    build_record,
    cached_service_resolver,
)
from bot.dossiers.records import DossierRecord
from bot.dossiers.store import UpsertReport, upsert_records

logger = logging.getLogger(__name__)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, not UTF-8, header incomplete)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"dòng {self.line}: {self.reason}"


@dataclass
class ImportResult:
    rows: int = 0
    problems: List[RowProblem] = field(default_factory=list)
    imported: bool = False
    report: UpsertReport = field(default_factory=UpsertReport)

    @property
    def valid(self) -> int:
        return self.rows - len(self.problems)


def _header(raw: List[str]) -> Dict[str, int]:
    names = [name.strip().lstrip("\ufeff").lower() for name in raw]
    seen: Dict[str, int] = {}
    for index, name in enumerate(names):
        if name in ALL_COLUMNS and name in seen:
            raise ImportFileError(f"cột '{name}' xuất hiện hai lần trong dòng tiêu đề")
        seen.setdefault(name, index)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ImportFileError("dòng tiêu đề thiếu cột: " + ", ".join(missing))
    return {name: index for name, index in seen.items() if name in ALL_COLUMNS}


def read_export(
    path: Path, *, pepper: str, progress: bool = False
) -> Tuple[List[DossierRecord], List[RowProblem], int]:
    """Parse and check every row: (valid records, problems, number of data rows)."""
    records: List[DossierRecord] = []
    problems: List[RowProblem] = []
    first_line: Dict[str, int] = {}
    rows = 0
    resolve = cached_service_resolver()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                header_row = next(reader)
            except StopIteration:
                raise ImportFileError("tệp rỗng (không có dòng tiêu đề)") from None
            columns = _header(header_row)
            width = len(header_row)
            bar = tqdm(desc="Đọc tệp", unit=" dòng", disable=not progress, mininterval=0.5)
            for row in reader:
                bar.update(1)
                if not row or not any(cell.strip() for cell in row):
                    continue
                rows += 1
                line = reader.line_num
                if len(row) < width or any(cell.strip() for cell in row[width:]):
                    problems.append(RowProblem(line, f"có {len(row)} cột, dòng tiêu đề có {width}"))
                    continue
                values = {name: row[index] for name, index in columns.items()}
                try:
                    record = build_record(values, pepper=pepper, resolve=resolve)
                except FieldError as exc:
                    problems.append(RowProblem(line, str(exc)))
                    continue
                if record.code in first_line:
                    problems.append(
                        RowProblem(line, f"ma_ho_so {record.code} trùng với dòng {first_line[record.code]}")
                    )
                    continue
                first_line[record.code] = line
                records.append(record)
            bar.close()
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"tệp không phải UTF-8 (byte {exc.start})") from None
    except csv.Error as exc:
        raise ImportFileError(f"CSV không hợp lệ: {exc}") from None
    except OSError as exc:
        raise ImportFileError(f"không đọc được tệp: {exc.strerror or exc}") from None
    return records, problems, rows


def import_export(
    path: Path,
    engine: Engine,
    *,
    pepper: str,
    skip_invalid: bool = False,
    progress: bool = False,
) -> ImportResult:
    """Check the whole file, then write it in one transaction (or nothing when rows are bad)."""
    records, problems, rows = read_export(path, pepper=pepper, progress=progress)
    result = ImportResult(rows=rows, problems=problems)
    if problems and not skip_invalid:
        return result
    with tqdm(
        total=len(records), desc="Ghi CSDL", unit=" hồ sơ", disable=not progress, mininterval=0.5
    ) as bar:
        with engine.begin() as conn:
            result.report = upsert_records(conn, records, source="import", progress=bar.update)
    result.imported = True
    logger.info(
        "dossier import %s: %d rows, %d inserted, %d updated, %d unchanged, %d status changes, %d skipped",
        path.name,
        rows,
        result.report.inserted,
        result.report.updated,
        result.report.unchanged,
        len(result.report.status_changes),
        len(problems),
    )
    return result
