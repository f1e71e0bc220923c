"""Dossier import benchmark: ``python -m bench.dossier_import [--rows N] [--quick] [--json OUT]``.

Generates a CSV export of N rows (default 100,000; ``--quick`` 10,000), imports it into a fresh
SQLite database (and a fresh PostgreSQL database when ``TEST_POSTGRES_URL`` is set) with
``python -m bot dossiers import``'s code path (parse + check every row, one transaction), then
re-imports a copy where 10 % of the dossiers changed status (the idempotent upsert path, with
history rows). Beside it, a naive baseline measured in the same run: row-by-row ORM
``session.add`` + ``commit`` of a SAMPLE of rows (default 2,000; rows/s extrapolated to N — the
baseline never runs on all N rows, which would take too long).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import sqlalchemy as sa

from bot.db import make_engine, migrate, session_scope
from bot.dossiers.csv_import import import_export, read_export
from bot.dossiers.fields import ALL_COLUMNS
from bot.dossiers.models import Dossier, DossierStatusChange

PEPPER = "bench-pepper"
STATUSES = ["Mới đăng ký", "Được tiếp nhận", "Đang xử lý", "Chờ bổ sung", "Đã xử lý xong", "Đã trả kết quả"]
AGENCIES = ["Công an xã Tân Lập", "UBND phường Bến Thành", "Sở Tư pháp Hà Nội", "Công an huyện Yên Lạc"]


def generate(path: Path, rows: int, *, seed: int = 6, changed_fraction: float = 0.0) -> None:
    rng = random.Random(seed)
    change_rng = random.Random(seed + 1)
    start = dt.date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ALL_COLUMNS[:11])  # the export's 11 columns (order free: we use ours)
        for index in range(rows):
            received = start + dt.timedelta(days=index % 365)
            unit = f"000.00.{index % 90 + 10:02d}.H{index % 63 + 1:02d}"
            code = f"{unit}-{received:%y%m%d}-{index // 365 % 10000:04d}"
            status = STATUSES[rng.randrange(len(STATUSES))]
            if changed_fraction and change_rng.random() < changed_fraction:
                status = "Đã xử lý xong" if status != "Đã xử lý xong" else "Đã trả kết quả"
            writer.writerow(
                [
                    code,
                    str(rng.randint(1, 25)),
                    "0" + str(rng.randint(300000000, 999999999)),
                    status,
                    received.isoformat(),
                    f"Nguyễn Văn Người {index}",
                    (received + dt.timedelta(days=rng.randint(3, 20))).strftime("%d/%m/%Y"),
                    f"{received + dt.timedelta(days=1)} 08:30",
                    AGENCIES[index % len(AGENCIES)],
                    "Bản sao giấy khai sinh" if status == "Chờ bổ sung" else "",
                    "",
                ]
            )


def _fresh_postgres(admin_url: str) -> str:
    name = f"bench_dossiers_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres(admin_url: str, url: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"'))
    engine.dispose()


def naive_baseline(url: str, csv_path: Path, sample: int) -> float:
    """Row-by-row ORM: one session.add + commit (and a history row) per dossier. Rows/s."""
    records, _, _ = read_export(csv_path, pepper=PEPPER)
    records = records[:sample]
    engine = make_engine(url)
    started = time.perf_counter()
    for record in records:
        with session_scope(engine) as session:
            existing = session.query(Dossier).filter_by(code=record.code).one_or_none()
            row: Dict[str, Any] = record.to_row()
            if existing is None:
                session.add(Dossier(**row, synced_at=dt.datetime.utcnow()))
                session.flush()
                session.add(
                    DossierStatusChange(
                        dossier_code=record.code,
                        old_status=None,
                        new_status=row["status"],
                        changed_at=dt.datetime.utcnow(),
                        source="naive",
                        recorded_at=dt.datetime.utcnow(),
                    )
                )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(records) / elapsed


def measure(label: str, url: str, first: Path, second: Path, rows: int, sample: int) -> Dict[str, Any]:
    migrate(url)
    engine = make_engine(url)
    started = time.perf_counter()
    result = import_export(first, engine, pepper=PEPPER)
    first_s = time.perf_counter() - started
    assert result.imported and result.report.inserted == rows, result
    started = time.perf_counter()
    again = import_export(second, engine, pepper=PEPPER)
    second_s = time.perf_counter() - started
    with engine.connect() as conn:
        history = conn.execute(sa.text("SELECT count(*) FROM dossier_status_history")).scalar_one()
    engine.dispose()
    baseline_url = url  # same database kind; the sample codes already exist → measure a fresh DB
    return {
        "backend": label,
        "rows": rows,
        "first_import_s": round(first_s, 2),
        "first_rows_per_s": round(rows / first_s),
        "reimport_s": round(second_s, 2),
        "reimport_rows_per_s": round(rows / second_s),
        "reimport_updated": again.report.updated,
        "reimport_unchanged": again.report.unchanged,
        "history_rows": history,
        "baseline_url": baseline_url,
        "sample": sample,
    }


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=None, help="rows to generate (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="10,000 rows, baseline sample 500")
    parser.add_argument("--sample", type=int, default=None, help="baseline sample size (default 2,000)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    rows = args.rows or (10_000 if args.quick else 100_000)
    sample = min(args.sample or (500 if args.quick else 2_000), rows)

    import os

    results: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "export.csv", Path(tmp) / "export-changed.csv"
        generate(first, rows)
        generate(second, rows, changed_fraction=0.10)
        targets: List[Tuple[str, str, str | None]] = [("sqlite", f"sqlite:///{tmp}/bench.db", None)]
        admin = os.environ.get("TEST_POSTGRES_URL")
        if admin:
            targets.append(("postgresql", _fresh_postgres(admin), admin))
        for label, url, admin_url in targets:
            try:
                figures = measure(label, url, first, second, rows, sample)
                # Baseline on a second fresh database of the same kind.
                if admin_url:
                    base_url = _fresh_postgres(admin_url)
                else:
                    base_url = f"sqlite:///{tmp}/baseline.db"
                migrate(base_url)
                figures["baseline_rows_per_s"] = round(naive_baseline(base_url, first, sample))
                figures["baseline_extrapolated_s"] = round(rows / figures["baseline_rows_per_s"], 1)
                figures.pop("baseline_url")
                results.append(figures)
                if admin_url:
                    _drop_postgres(admin_url, base_url)
            finally:
                if admin_url:
                    _drop_postgres(admin_url, url)

    print(f"Dossier CSV import, {rows:,} rows (generated), this machine:")
    header = (
        f"{'backend':<11}{'import rows/s':>14}{'import s':>10}{'re-import rows/s':>18}{'re-import s':>13}"
    )
    header += f"{'naive rows/s':>14}{'naive est. s':>14}{'speed-up':>10}"
    print(header)
    for r in results:
        print(
            f"{r['backend']:<11}{r['first_rows_per_s']:>14,}{r['first_import_s']:>10}{r['reimport_rows_per_s']:>18,}"
            f"{r['reimport_s']:>13}{r['baseline_rows_per_s']:>14,}{r['baseline_extrapolated_s']:>14}"
            f"{r['first_rows_per_s'] / r['baseline_rows_per_s']:>9.0f}x"
        )
        print(
            f"{'':<11}re-import: {r['reimport_updated']:,} updated (status changes), "
            f"{r['reimport_unchanged']:,} unchanged; history rows {r['history_rows']:,}"
        )
    print(
        "naive = row-by-row ORM add+commit measured on a sample of "
        f"{sample:,} rows in this run and extrapolated to {rows:,} rows (not run on all rows)."
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "results": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
