"""CSV import: checks, line-numbered reasons, all-or-nothing, idempotent upsert with history."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.dossiers import csv_import
from bot.dossiers import store as store_module
from bot.dossiers.csv_import import ImportFileError, ImportResult, import_export
from bot.dossiers.models import dossiers_table
from bot.dossiers.records import DossierRecord
from bot.dossiers.statuses import DossierStatus
from bot.dossiers.store import DossierStore, UpsertReport
from tests.dossiers.conftest import PEPPER, row, write_csv


def _import(path: Path, engine: Engine, skip_invalid: bool = False) -> ImportResult:
    return import_export(path, engine, pepper=PEPPER, skip_invalid=skip_invalid)


def test_good_file_is_imported_with_every_field(tmp_path: Path, engine: Engine) -> None:
    path = write_csv(
        tmp_path / "ok.csv",
        [
            row(),
            row(
                code="h26.22 - 230102 - 0002",
                service="1.004194",
                status="Chờ bổ sung",
                received="02/01/2023",
                promised="12/01/2023",
                updated="2023-01-03 14:30",
                supplement="Bản sao giấy khai sinh; Tờ khai CT01",
                note="ghi chú nội bộ",
            ),
            row(code="000.00.17.H26-230103-0003", service="cap-ho-chieu", promised="", updated=""),
        ],
        bom=True,
    )
    result = _import(path, engine)
    assert result.imported and result.problems == [] and result.report.inserted == 3
    store = DossierStore(engine)
    first = store.get("000.00.17.H26-230101-0001")
    assert first is not None
    assert first.service_id == "dang-ky-thuong-tru" and first.status is DossierStatus.PROCESSING
    assert first.applicant_name == "Nguyễn Văn An" and first.phone_last4 == "5678"
    assert first.phone_hash and "0912345678" not in first.phone_hash
    second = store.get("H26.22-230102-0002")
    assert second is not None
    assert second.service_id == "dang-ky-tam-tru" and second.status is DossierStatus.SUPPLEMENT_REQUIRED
    assert str(second.received_on) == "2023-01-02" and str(second.promised_on) == "2023-01-12"
    assert str(second.updated_at) == "2023-01-03 14:30:00"
    assert second.supplement == "Bản sao giấy khai sinh; Tờ khai CT01"
    third = store.get("000.00.17.H26-230103-0003")
    assert third is not None and third.promised_on is None and third.service_id == "cap-ho-chieu"
    assert store.history("H26.22-230102-0002")[0][:2] == (None, "supplement_required")


def test_header_order_is_free_and_extra_columns_are_ignored(tmp_path: Path, engine: Engine) -> None:
    header = "trang_thai,cot_la,so_dien_thoai,ma_dich_vu,ngay_tiep_nhan,ma_ho_so"
    path = write_csv(
        tmp_path / "h.csv", ["Đã xử lý xong,xyz,0987654321,25,2024-03-01,H26.22-240301-0001"], header
    )
    result = _import(path, engine)
    assert result.imported
    record = DossierStore(engine).get("H26.22-240301-0001")
    assert record is not None and record.status is DossierStatus.RESULT_READY
    assert record.service_id == "tro-cap-that-nghiep" and record.applicant_name is None


BAD_ROWS = [
    (row(code="1.004222"), "ma_ho_so"),
    (row(code=""), "thiếu ma_ho_so"),
    (row(service="26"), "ma_dich_vu '26'"),
    (row(service="1.999999"), "ma_dich_vu"),
    (row(phone="12345"), "so_dien_thoai"),
    (row(status="Quá hạn"), "trang_thai 'Quá hạn'"),
    (row(received="2023-02-30"), "ngay_tiep_nhan"),
    (row(received="01-01-2023"), "ngay_tiep_nhan"),
    (row(promised="31/12/2022"), "ngay_hen_tra trước ngay_tiep_nhan"),
    (row(updated="hôm qua"), "ngay_cap_nhat"),
    (row() + ",cột thừa", "có 12 cột"),
    ("000.00.17.H26-230101-0001,3", "có 2 cột"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_a_bad_row_is_reported_with_line_and_reason_and_nothing_is_imported(
    tmp_path: Path, engine: Engine, bad: str, reason: str
) -> None:
    good = row(code="H26.22-230101-0009")
    path = write_csv(tmp_path / "bad.csv", [good, bad])
    result = _import(path, engine)
    assert not result.imported
    assert len(result.problems) == 1
    assert result.problems[0].line == 3
    assert reason in result.problems[0].reason
    assert DossierStore(engine).count() == 0


def test_skip_invalid_imports_the_valid_rows_and_reports_all_bad_ones(tmp_path: Path, engine: Engine) -> None:
    rows = [row(code=f"H26.22-230101-{i:04d}") for i in range(1, 6)]
    rows.insert(1, row(status="???"))
    rows.append(row(code="H26.22-230101-0002", status="Đã trả kết quả"))  # duplicate of line 4
    path = write_csv(tmp_path / "mixed.csv", rows)
    result = _import(path, engine, skip_invalid=True)
    assert result.imported and result.report.inserted == 5
    assert [(p.line, p.reason) for p in result.problems] == [
        (3, "trang_thai '???' không nhận ra"),
        (8, "ma_ho_so H26.22-230101-0002 trùng với dòng 4"),
    ]
    stored = DossierStore(engine).get("H26.22-230101-0002")
    assert stored is not None and stored.status is DossierStatus.PROCESSING


def test_reimport_is_idempotent_and_records_status_changes(tmp_path: Path, engine: Engine) -> None:
    code = "000.00.17.H26-230101-0001"
    first = write_csv(tmp_path / "v1.csv", [row(), row(code="H26.22-230101-0002")])
    assert _import(first, engine).report.inserted == 2
    again = _import(first, engine)
    assert (again.report.inserted, again.report.updated, again.report.unchanged) == (0, 0, 2)
    assert again.report.status_changes == []
    changed = write_csv(
        tmp_path / "v2.csv",
        [
            row(status="Chờ bổ sung", updated="2023-01-05 09:00", supplement="Ảnh 4x6"),
            row(code="H26.22-230101-0002", agency="Công an xã Mới"),  # change without status change
        ],
    )
    result = _import(changed, engine)
    assert (result.report.inserted, result.report.updated, result.report.unchanged) == (0, 2, 0)
    assert [(c.code, c.old_status, c.new_status) for c in result.report.status_changes] == [
        (code, DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT_REQUIRED)
    ]
    store = DossierStore(engine)
    history = store.history(code)
    assert [(h[0], h[1]) for h in history] == [(None, "processing"), ("processing", "supplement_required")]
    assert str(history[1][2]) == "2023-01-05 09:00:00" and history[1][3] == "import"
    assert len(store.history("H26.22-230101-0002")) == 1
    assert _import(changed, engine).report.unchanged == 2
    assert len(store.history(code)) == 2


def test_an_error_while_writing_rolls_the_whole_file_back(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(tmp_path / "v1.csv", [row()])
    _import(tmp_path / "v1.csv", engine)
    monkeypatch.setattr(store_module, "_WRITE_CHUNK", 2)
    rows = [row(status="Đã xử lý xong")] + [row(code=f"H26.22-230101-{i:04d}") for i in range(1, 8)]
    path = write_csv(tmp_path / "v2.csv", rows)
    calls = {"n": 0}
    real_upsert = store_module.upsert_records

    def upsert_then_fail(conn: Connection, records: Sequence[DossierRecord], **kwargs: Any) -> UpsertReport:
        def failing_progress(n: int) -> None:
            calls["n"] += 1
            if calls["n"] == 3:  # after the update and some inserts were executed
                raise RuntimeError("disk full")

        return real_upsert(conn, records, source=kwargs["source"], progress=failing_progress)

    monkeypatch.setattr(csv_import, "upsert_records", upsert_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(path, engine)
    assert calls["n"] == 3
    with engine.connect() as conn:
        codes = conn.execute(sa.select(dossiers_table.c.code, dossiers_table.c.status)).all()
    assert codes == [("000.00.17.H26-230101-0001", "processing")]
    assert len(DossierStore(engine).history("000.00.17.H26-230101-0001")) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "rỗng"),
        (
            b"ma_ho_so,trang_thai\nH26.22-230101-0001,1\n",
            "thiếu cột: ma_dich_vu, so_dien_thoai, ngay_tiep_nhan",
        ),
        (b"ma_ho_so,ma_ho_so\n", "hai lần"),
        (
            "ma_ho_so,ma_dich_vu,so_dien_thoai,trang_thai,ngay_tiep_nhan\nĐ,3,09,1,x\n".encode("cp1258"),
            "UTF-8",
        ),
    ],
)
def test_unusable_files_raise_a_clear_error(
    tmp_path: Path, engine: Engine, content: bytes, reason: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=reason):
        _import(path, engine)
    assert DossierStore(engine).count() == 0


def test_missing_file(tmp_path: Path, engine: Engine) -> None:
    with pytest.raises(ImportFileError, match="không đọc được"):
        _import(tmp_path / "nope.csv", engine)
