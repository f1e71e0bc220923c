"""The one-stop-shop status vocabulary, plain words, next steps and the overdue flag."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dossiers.records import DossierRecord
from bot.dossiers.render import DossierView, next_step, render_status
from bot.dossiers.statuses import PLAIN_WORDS, DossierStatus, is_overdue, parse_status

S = DossierStatus


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mới đăng ký", S.SUBMITTED),
        ("Chờ tiếp nhận", S.SUBMITTED),
        ("Được tiếp nhận", S.RECEIVED),
        ("Đã tiếp nhận", S.RECEIVED),
        ("Không được tiếp nhận", S.NOT_ACCEPTED),
        ("Bị từ chối tiếp nhận", S.NOT_ACCEPTED),
        ("Đang xử lý", S.PROCESSING),
        ("đang thẩm định", S.PROCESSING),
        ("DANG XU LY", S.PROCESSING),
        ("  Đang   xử  lý. ", S.PROCESSING),
        ("Đã bổ sung hồ sơ", S.PROCESSING),
        ("Yêu cầu bổ sung giấy tờ", S.SUPPLEMENT_REQUIRED),
        ("Chờ bổ sung", S.SUPPLEMENT_REQUIRED),
        ("cho bo sung ho so", S.SUPPLEMENT_REQUIRED),
        ("Yêu cầu thực hiện nghĩa vụ tài chính", S.PAYMENT_REQUIRED),
        ("Chờ nộp phí/lệ phí", S.PAYMENT_REQUIRED),
        ("Công dân yêu cầu rút hồ sơ", S.WITHDRAWN),
        ("Dừng xử lý", S.STOPPED),
        ("Đã xử lý xong", S.RESULT_READY),
        ("Đã có kết quả", S.RESULT_READY),
        ("Đã chuyển có kết quả", S.RESULT_READY),
        ("Đã trả kết quả", S.RETURNED),
        ("Đã trả kết quả".upper(), S.RETURNED),
        ("Đang xử lý".encode().decode("utf-8").replace("ử", "u\u031b\u0309"), S.PROCESSING),  # NFD
        ("1", S.SUBMITTED),
        ("4", S.PROCESSING),
        ("10", S.RETURNED),
        ("result_ready", S.RESULT_READY),
    ],
)
def test_parse_status_reads_the_systems_wordings(raw: str, expected: DossierStatus) -> None:
    assert parse_status(raw) is expected


@pytest.mark.parametrize("raw", ["", "   ", "0", "11", "quá hạn", "xong rồi hả", "đang"])
def test_unknown_wordings_are_not_guessed(raw: str) -> None:
    assert parse_status(raw) is None


def test_codes_follow_the_national_numbering() -> None:
    assert [status.code for status in DossierStatus] == list(range(1, 11))
    assert S.SUPPLEMENT_REQUIRED.official_name == "Yêu cầu bổ sung giấy tờ"
    assert set(PLAIN_WORDS) == set(DossierStatus)


TODAY = dt.date(2026, 7, 15)


@pytest.mark.parametrize(
    ("status", "promised", "overdue"),
    [
        (S.PROCESSING, dt.date(2026, 7, 14), True),
        (S.RECEIVED, dt.date(2026, 7, 1), True),
        (S.PROCESSING, dt.date(2026, 7, 15), False),  # due today is not late yet
        (S.PROCESSING, None, False),
        (S.SUPPLEMENT_REQUIRED, dt.date(2026, 7, 1), False),  # paused: waiting for the citizen
        (S.PAYMENT_REQUIRED, dt.date(2026, 7, 1), False),
        (S.STOPPED, dt.date(2026, 7, 1), False),
        (S.RESULT_READY, dt.date(2026, 7, 1), False),
        (S.RETURNED, dt.date(2026, 7, 1), False),
    ],
)
def test_overdue_is_computed_and_paused_states_are_never_overdue(
    status: DossierStatus, promised: dt.date | None, overdue: bool
) -> None:
    assert is_overdue(status, promised, TODAY) is overdue


def _view(status: DossierStatus, **extra: object) -> DossierView:
    values = {
        "code": "H26.22-260701-0001",
        "status": status,
        "service_id": "dang-ky-thuong-tru",
        "applicant_name": "Trần Thị Bích Ngọc",
        "phone_last4": "5678",
        "received_on": dt.date(2026, 7, 1),
        "promised_on": dt.date(2026, 7, 20),
        "agency": "Công an phường Bến Thành",
        **extra,
    }
    return DossierView.from_record(DossierRecord(**values), TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", list(DossierStatus))
def test_every_status_renders_with_a_next_step(status: DossierStatus) -> None:
    text = render_status(_view(status))
    assert PLAIN_WORDS[status] in text
    assert "Bước tiếp theo: " + next_step(_view(status)) in text
    assert "Đăng ký thường trú" in text
    assert "01/07/2026" in text and "20/07/2026" in text
    assert "Trần T*** B*** N**" in text
    assert "Bích" not in text and "5678" not in text


def test_supplement_lists_the_documents_and_how() -> None:
    step = next_step(_view(S.SUPPLEMENT_REQUIRED, supplement="Bản sao giấy khai sinh"))
    assert "Bản sao giấy khai sinh" in step
    assert "Dịch vụ công của tôi" in step and "https://dichvucong.gov.vn/" in step


def test_result_ready_says_where_to_collect() -> None:
    assert "qua bưu điện" in next_step(_view(S.RESULT_READY, result_delivery="qua bưu điện"))
    assert "Công an phường Bến Thành" in next_step(_view(S.RESULT_READY))


def test_waiting_gives_the_promised_date_and_overdue_says_so() -> None:
    assert "20/07/2026" in next_step(_view(S.PROCESSING))
    assert "Hồ sơ đang trong hạn." in render_status(_view(S.PROCESSING))
    late = _view(S.PROCESSING, promised_on=dt.date(2026, 7, 10))
    assert late.overdue
    assert "Đã quá hạn hẹn trả" in render_status(late)
    assert "18001096" in next_step(late)
