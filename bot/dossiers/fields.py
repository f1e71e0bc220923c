"""One dossier from the one-stop-shop's field names (CSV export columns, mapped API fields) to a
:class:`DossierRecord`, with a clear Vietnamese reason for every value that is wrong."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Dict, Mapping, Tuple

from bot.dossiers.codes import normalise_code
from bot.dossiers.privacy import hash_phone, normalise_phone
from bot.dossiers.records import DossierRecord
from bot.dossiers.services import resolve_service
from bot.dossiers.statuses import parse_status
from nlu.text import to_nfc

# The export's columns (issue 5), plus our optional ``noi_tra_ket_qua`` (where/how the result is
# returned), which the export does not have but a provider's API may.
REQUIRED_COLUMNS: Tuple[str, ...] = (
    "ma_ho_so",
    "ma_dich_vu",
    "so_dien_thoai",
    "trang_thai",
    "ngay_tiep_nhan",
)
OPTIONAL_COLUMNS: Tuple[str, ...] = (
    "ten_nguoi_nop",
    "ngay_hen_tra",
    "ngay_cap_nhat",
    "co_quan_xu_ly",
    "noi_dung_bo_sung",
    "ghi_chu",
    "noi_tra_ket_qua",
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

_MAX_LENGTH: Dict[str, int] = {"ten_nguoi_nop": 200, "co_quan_xu_ly": 255}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)


class FieldError(ValueError):
    """A value is missing or invalid; the message is the reason shown to the operator."""


def parse_date(raw: str) -> dt.date:
    """A date in the export's formats; a date with a time (as APIs send) gives its date."""
    try:
        return _parse_plain_date(raw)
    except FieldError:
        try:
            return _parse_date_time(raw).date()
        except FieldError:
            pass
    raise FieldError(f"'{raw}' không phải ngày hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY)")


def _parse_plain_date(raw: str) -> dt.date:
    text = raw.strip()
    if len(text) == 10:
        # Fast paths for the two formats of the export.
        try:
            if text[4] == "-" and text[7] == "-":
                return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
            if text[2] == "/" and text[5] == "/":
                return dt.date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError(f"'{raw}' không phải ngày hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY)")


def parse_datetime(raw: str) -> dt.datetime:
    """A date (midnight) or a date with time, in the export's formats."""
    if len(raw.strip()) <= 10:
        try:
            return dt.datetime.combine(_parse_plain_date(raw), dt.time())
        except FieldError:
            pass
    return _parse_date_time(raw)


def _parse_date_time(raw: str) -> dt.datetime:
    text = raw.strip()
    if len(text) in (16, 19) and text[4] == "-" and text[10] in " T" and text[13] == ":":
        try:  # fast path: YYYY-MM-DD HH:MM[:SS]
            return dt.datetime(
                int(text[:4]),
                int(text[5:7]),
                int(text[8:10]),
                int(text[11:13]),
                int(text[14:16]),
                int(text[17:19]) if len(text) == 19 else 0,
            )
        except ValueError:
            pass
    candidate = text.removesuffix("Z")
    if "." in candidate[17:]:
        candidate = candidate[: candidate.index(".", 17)]
    for fmt in _DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(candidate, fmt)
        except ValueError:
            continue
    raise FieldError(f"'{raw}' không phải ngày giờ hợp lệ (YYYY-MM-DD [HH:MM] hoặc DD/MM/YYYY [HH:MM])")


ServiceResolver = Callable[[str], "str | None"]


def cached_service_resolver() -> ServiceResolver:
    """``ma_dich_vu`` → service id, memoised (an export repeats a handful of values)."""
    memo: Dict[str, str | None] = {}

    def resolve(raw: str) -> str | None:
        key = raw.strip()
        if key not in memo:
            service = resolve_service(key)
            memo[key] = service.id if service else None
        return memo[key]

    return resolve


def _text(values: Mapping[str, object], name: str) -> str | None:
    raw = values.get(name)
    if raw is None:
        return None
    text = to_nfc(str(raw)).strip()
    if not text:
        return None
    limit = _MAX_LENGTH.get(name)
    if limit and len(text) > limit:
        raise FieldError(f"{name} dài quá {limit} ký tự")
    return text


def build_record(
    values: Mapping[str, object],
    *,
    pepper: str,
    resolve: ServiceResolver,
    require_service: bool = True,
    last4_only_phone: bool = False,
) -> DossierRecord:
    """The record for one row; raises :class:`FieldError` with the first problem found.

    APIs may leave the service out (``require_service=False``) or send only the last 4 digits of
    the phone (``last4_only_phone=True``); the export must have both.
    """
    for name in REQUIRED_COLUMNS:
        if name == "ma_dich_vu" and not require_service:
            continue
        if not str(values.get(name) or "").strip():
            raise FieldError(f"thiếu {name}")
    raw_code = str(values["ma_ho_so"])
    code = normalise_code(raw_code)
    if code is None:
        raise FieldError(f"ma_ho_so '{raw_code.strip()}' không đúng định dạng mã hồ sơ")
    raw_service = str(values.get("ma_dich_vu") or "").strip()
    service_id = resolve(raw_service) if raw_service else None
    if raw_service and service_id is None and require_service:
        raise FieldError(
            f"ma_dich_vu '{raw_service}' không khớp dịch vụ nào (mã dịch vụ, số 1–25 hoặc mã thủ tục)"
        )
    raw_phone = str(values["so_dien_thoai"]).strip()
    phone = normalise_phone(raw_phone)
    if phone is None and not (last4_only_phone and len(raw_phone) == 4 and raw_phone.isdigit()):
        raise FieldError("so_dien_thoai không phải số điện thoại Việt Nam hợp lệ")
    raw_status = str(values["trang_thai"])
    status = parse_status(raw_status)
    if status is None:
        raise FieldError(f"trang_thai '{raw_status.strip()}' không nhận ra")
    try:
        received_on = parse_date(str(values["ngay_tiep_nhan"]))
    except FieldError as exc:
        raise FieldError(f"ngay_tiep_nhan {exc}") from None
    promised_raw = _text(values, "ngay_hen_tra")
    try:
        promised_on = parse_date(promised_raw) if promised_raw else None
    except FieldError as exc:
        raise FieldError(f"ngay_hen_tra {exc}") from None
    if promised_on is not None and promised_on < received_on:
        raise FieldError("ngay_hen_tra trước ngay_tiep_nhan")
    updated_raw = _text(values, "ngay_cap_nhat")
    try:
        updated_at = parse_datetime(updated_raw) if updated_raw else None
    except FieldError as exc:
        raise FieldError(f"ngay_cap_nhat {exc}") from None
    return DossierRecord(
        code=code,
        status=status,
        service_id=service_id,
        applicant_name=_text(values, "ten_nguoi_nop"),
        phone_hash=hash_phone(phone, code, pepper) if phone else None,
        phone_last4=(phone or raw_phone)[-4:],
        received_on=received_on,
        promised_on=promised_on,
        updated_at=updated_at,
        agency=_text(values, "co_quan_xu_ly"),
        supplement=_text(values, "noi_dung_bo_sung"),
        result_delivery=_text(values, "noi_tra_ket_qua"),
        note=_text(values, "ghi_chu"),
    )
