"""What a citizen reads about a dossier: status in plain words, dates, overdue or not, next step.

Only citizen-safe data reaches this module (:class:`DossierView`): the name is masked, the phone
number and the internal note are never included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.dossiers.privacy import mask_name
from bot.dossiers.records import DossierRecord, vietnam_today
from bot.dossiers.statuses import PLAIN_WORDS, DossierStatus, is_overdue
from knowledge.catalog import default_catalog

RECEIPT_NAME = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"


@dataclass(frozen=True)
class Contacts:
    """Where to send citizens (from settings)."""

    portal_url: str = "https://dichvucong.gov.vn/"
    hotline: str = "18001096"


DEFAULT_CONTACTS = Contacts()


@dataclass(frozen=True)
class DossierView:
    code: str
    status: DossierStatus
    service_id: str | None
    service_name: str | None
    applicant_masked: str
    received_on: dt.date | None
    promised_on: dt.date | None
    agency: str | None
    supplement: str | None
    result_delivery: str | None
    overdue: bool

    @classmethod
    def from_record(cls, record: DossierRecord, today: dt.date | None = None) -> DossierView:
        service = default_catalog().get(record.service_id) if record.service_id else None
        return cls(
            code=record.code,
            status=record.status,
            service_id=record.service_id,
            service_name=service.name if service else None,
            applicant_masked=mask_name(record.applicant_name),
            received_on=record.received_on,
            promised_on=record.promised_on,
            agency=record.agency,
            supplement=record.supplement,
            result_delivery=record.result_delivery,
            overdue=is_overdue(record.status, record.promised_on, today or vietnam_today()),
        )


def format_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def next_step(view: DossierView, contacts: Contacts = DEFAULT_CONTACTS) -> str:
    agency = view.agency or "cơ quan xử lý hồ sơ"
    status = view.status
    if status is DossierStatus.SUBMITTED:
        return (
            "Cơ quan sẽ kiểm tra và tiếp nhận hồ sơ. Bạn chưa cần làm gì thêm; "
            "nếu hồ sơ cần bổ sung, cơ quan sẽ thông báo."
        )
    if status in (DossierStatus.RECEIVED, DossierStatus.PROCESSING):
        if view.promised_on is None:
            return f"Bạn chỉ cần chờ kết quả; ngày hẹn trả ghi trên {RECEIPT_NAME}."
        if view.overdue:
            return (
                f"Hồ sơ đã quá ngày hẹn trả {format_date(view.promised_on)}. Bạn có thể liên hệ {agency} "
                f"hoặc tổng đài {contacts.hotline} để được giải thích."
            )
        return f"Bạn chỉ cần chờ đến ngày hẹn trả {format_date(view.promised_on)}."
    if status is DossierStatus.SUPPLEMENT_REQUIRED:
        what = (
            f"Giấy tờ cần bổ sung: {view.supplement}."
            if view.supplement
            else "Nội dung cần bổ sung ghi trong Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."
        )
        return (
            f'{what} Bạn bổ sung trực tuyến ở mục "Dịch vụ công của tôi" trên {contacts.portal_url} '
            f"(hoặc cổng nơi bạn đã nộp hồ sơ), hoặc nộp trực tiếp tại {agency}. "
            "Thời gian chờ bổ sung không tính vào thời hạn giải quyết."
        )
    if status is DossierStatus.PAYMENT_REQUIRED:
        return (
            "Bạn nộp phí, lệ phí hoặc thuế theo thông báo của cơ quan; có thể thanh toán trực tuyến ở mục "
            f'"Thanh toán phí/lệ phí dịch vụ công" trên {contacts.portal_url}. '
            "Hồ sơ được xử lý tiếp sau khi bạn nộp."
        )
    if status is DossierStatus.NOT_ACCEPTED:
        return (
            "Lý do được ghi trong thông báo từ chối của cơ quan. Bạn có thể chuẩn bị lại giấy tờ "
            "và nộp hồ sơ mới."
        )
    if status is DossierStatus.WITHDRAWN:
        return "Hồ sơ không được xử lý tiếp. Nếu vẫn cần, bạn nộp hồ sơ mới."
    if status is DossierStatus.STOPPED:
        return (
            f"Lý do được ghi trong thông báo của cơ quan. Bạn có thể liên hệ {agency} "
            f"hoặc tổng đài {contacts.hotline} nếu cần giải thích."
        )
    if status is DossierStatus.RESULT_READY:
        if view.result_delivery:
            return f"Nhận kết quả: {view.result_delivery}."
        return f"Bạn nhận kết quả tại {agency} hoặc theo hình thức đã chọn khi nộp hồ sơ."
    return (
        f"Bạn không cần làm gì thêm. Nếu chưa nhận được kết quả, hãy liên hệ {agency} "
        f"hoặc tổng đài {contacts.hotline}."
    )


def render_status(view: DossierView, contacts: Contacts = DEFAULT_CONTACTS) -> str:
    """The full answer for a verified citizen (several short lines)."""
    title = f"Hồ sơ {view.code}"
    if view.service_name:
        title += f" — {view.service_name}"
    lines = [title]
    if view.applicant_masked:
        lines.append(f"Người nộp: {view.applicant_masked}")
    lines.append(f"Trạng thái: {PLAIN_WORDS[view.status]}")
    dates = []
    if view.received_on:
        dates.append(f"Ngày tiếp nhận: {format_date(view.received_on)}")
    if view.promised_on:
        dates.append(f"Ngày hẹn trả: {format_date(view.promised_on)}")
    if dates:
        lines.append(" · ".join(dates))
    if view.promised_on and view.status.is_open:
        lines.append("⚠️ Đã quá hạn hẹn trả." if view.overdue else "Hồ sơ đang trong hạn.")
    if view.agency:
        lines.append(f"Cơ quan xử lý: {view.agency}")
    lines.append(f"Bước tiếp theo: {next_step(view, contacts)}")
    return "\n".join(lines)


def render_change(view: DossierView, contacts: Contacts = DEFAULT_CONTACTS) -> str:
    """The notification a subscriber receives when the status changes (no personal data)."""
    about = f"Hồ sơ {view.code}" + (f" ({view.service_name})" if view.service_name else "")
    return f"{about} vừa được cập nhật: {PLAIN_WORDS[view.status]}\n{next_step(view, contacts)}"
