"""The one-stop-shop status vocabulary (TrangThaiHoSo, codes 1–10) and what each means for a citizen.

Statuses are stored as the enum's value (an English slug); the one-stop-shop systems write them in
Vietnamese (``Đang xử lý``, ``Chờ bổ sung`` …) or by number, and :func:`parse_status` reads all of
those. "Quá hạn" (overdue) is a timeliness flag computed from the promised date, never a status.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from functools import lru_cache
from typing import Dict

from nlu.text import fold


class DossierStatus(str, Enum):
    SUBMITTED = "submitted"  # 1 Mới đăng ký
    RECEIVED = "received"  # 2 Được tiếp nhận
    NOT_ACCEPTED = "not_accepted"  # 3 Không được tiếp nhận
    PROCESSING = "processing"  # 4 Đang xử lý
    SUPPLEMENT_REQUIRED = "supplement_required"  # 5 Yêu cầu bổ sung giấy tờ
    PAYMENT_REQUIRED = "payment_required"  # 6 Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # 7 Công dân yêu cầu rút hồ sơ
    STOPPED = "stopped"  # 8 Dừng xử lý
    RESULT_READY = "result_ready"  # 9 Đã xử lý xong
    RETURNED = "returned"  # 10 Đã trả kết quả

    @property
    def code(self) -> int:
        return _CODES[self]

    @property
    def official_name(self) -> str:
        return OFFICIAL_NAMES[self]

    @property
    def is_paused(self) -> bool:
        """Waiting for the citizen or stopped: the processing clock does not run."""
        return self in PAUSED

    @property
    def is_final(self) -> bool:
        return self in FINAL

    @property
    def is_open(self) -> bool:
        """Still with the agency and counted against the promised date."""
        return self in OPEN


_CODES: Dict[DossierStatus, int] = {status: number for number, status in enumerate(DossierStatus, start=1)}

OFFICIAL_NAMES: Dict[DossierStatus, str] = {
    DossierStatus.SUBMITTED: "Mới đăng ký",
    DossierStatus.RECEIVED: "Được tiếp nhận",
    DossierStatus.NOT_ACCEPTED: "Không được tiếp nhận",
    DossierStatus.PROCESSING: "Đang xử lý",
    DossierStatus.SUPPLEMENT_REQUIRED: "Yêu cầu bổ sung giấy tờ",
    DossierStatus.PAYMENT_REQUIRED: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.RESULT_READY: "Đã xử lý xong",
    DossierStatus.RETURNED: "Đã trả kết quả",
}

PAUSED = frozenset({DossierStatus.SUPPLEMENT_REQUIRED, DossierStatus.PAYMENT_REQUIRED, DossierStatus.STOPPED})
FINAL = frozenset(
    {
        DossierStatus.NOT_ACCEPTED,
        DossierStatus.WITHDRAWN,
        DossierStatus.STOPPED,
        DossierStatus.RESULT_READY,
        DossierStatus.RETURNED,
    }
)
OPEN = frozenset({DossierStatus.SUBMITTED, DossierStatus.RECEIVED, DossierStatus.PROCESSING})

# Plain words for citizens (one sentence each).
PLAIN_WORDS: Dict[DossierStatus, str] = {
    DossierStatus.SUBMITTED: "Hồ sơ đã được nộp và đang chờ cơ quan tiếp nhận.",
    DossierStatus.RECEIVED: "Cơ quan đã tiếp nhận hồ sơ.",
    DossierStatus.NOT_ACCEPTED: "Hồ sơ không được tiếp nhận.",
    DossierStatus.PROCESSING: "Hồ sơ đang được cơ quan xử lý.",
    DossierStatus.SUPPLEMENT_REQUIRED: "Cơ quan yêu cầu bạn bổ sung giấy tờ.",
    DossierStatus.PAYMENT_REQUIRED: "Cơ quan yêu cầu bạn nộp phí, lệ phí hoặc thuế (nghĩa vụ tài chính).",
    DossierStatus.WITHDRAWN: "Hồ sơ đã được rút theo yêu cầu của người nộp.",
    DossierStatus.STOPPED: "Cơ quan đã dừng xử lý hồ sơ.",
    DossierStatus.RESULT_READY: "Hồ sơ đã xử lý xong, kết quả đã sẵn sàng để trả.",
    DossierStatus.RETURNED: "Kết quả đã được trả cho người nộp.",
}

# Folded (accent-free, lower-case) wordings seen in one-stop-shop systems → status.
_WORDINGS: Dict[DossierStatus, tuple[str, ...]] = {
    DossierStatus.SUBMITTED: (
        "moi dang ky",
        "dang ky moi",
        "da nop",
        "moi nop",
        "cho tiep nhan",
        "da nop truc tuyen",
        "nop truc tuyen",
        "cho xu ly tiep nhan",
    ),
    DossierStatus.RECEIVED: (
        "duoc tiep nhan",
        "da tiep nhan",
        "tiep nhan",
        "moi tiep nhan",
        "da duoc tiep nhan",
    ),
    DossierStatus.NOT_ACCEPTED: (
        "khong duoc tiep nhan",
        "bi tu choi tiep nhan",
        "tu choi tiep nhan",
        "khong tiep nhan",
        "tu choi",
        "bi tu choi",
        "da tu choi",
    ),
    DossierStatus.PROCESSING: (
        "dang xu ly",
        "dang tham dinh",
        "dang giai quyet",
        "dang xu ly ho so",
        "cho xu ly",
        "da bo sung ho so",
        "da bo sung",
        "chuyen xu ly",
        "dang tham tra",
    ),
    DossierStatus.SUPPLEMENT_REQUIRED: (
        "yeu cau bo sung giay to",
        "yeu cau bo sung ho so",
        "yeu cau bo sung",
        "cho bo sung",
        "cho bo sung ho so",
        "bo sung ho so",
        "yeu cau bo sung hoan thien ho so",
        "cho cong dan bo sung",
    ),
    DossierStatus.PAYMENT_REQUIRED: (
        "yeu cau thuc hien nghia vu tai chinh",
        "cho thuc hien nghia vu tai chinh",
        "nghia vu tai chinh",
        "cho nop phi le phi",
        "cho nop phi",
        "cho nop le phi",
        "cho thanh toan",
        "yeu cau nop phi le phi",
        "cho nop thue",
    ),
    DossierStatus.WITHDRAWN: (
        "cong dan yeu cau rut ho so",
        "rut ho so",
        "da rut ho so",
        "yeu cau rut ho so",
        "da rut",
    ),
    DossierStatus.STOPPED: ("dung xu ly", "da dung xu ly", "ngung xu ly"),
    DossierStatus.RESULT_READY: (
        "da xu ly xong",
        "xu ly xong",
        "da co ket qua",
        "co ket qua",
        "cho tra ket qua",
        "da chuyen co ket qua",
        "hoan thanh xu ly",
    ),
    DossierStatus.RETURNED: ("da tra ket qua", "tra ket qua", "da tra", "da nhan ket qua"),
}
_BY_WORDING: Dict[str, DossierStatus] = {
    wording: status for status, wordings in _WORDINGS.items() for wording in wordings
}
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)  # exports repeat a handful of wordings
def parse_status(raw: str) -> DossierStatus | None:
    """The status written as ``raw`` (Vietnamese with or without accents, any case, the number
    1–10, or our slug), or ``None`` when it is not recognised."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    if text.isdigit():
        number = int(text)
        return list(DossierStatus)[number - 1] if 1 <= number <= len(DossierStatus) else None
    try:
        return DossierStatus(text.lower())
    except ValueError:
        pass
    key = _NON_WORD.sub(" ", fold(text)).strip()
    return _BY_WORDING.get(key)


def is_overdue(status: DossierStatus, promised_on: dt.date | None, today: dt.date) -> bool:
    """Past the promised date while still with the agency.

    Paused states (waiting for a supplement or a payment, stopped) are never overdue: that waiting
    time does not count against the agency. Finished dossiers are not reported overdue either.
    """
    return promised_on is not None and status.is_open and today > promised_on
