"""Vietnamese texts the citizen sees from outreach (short, polite, concrete)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.outreach.topics import topic_label

PORTAL_URL = "https://dichvucong.gov.vn/"


def subscribed(topics: Sequence[str]) -> str:
    labels = ", ".join(topic_label(t) for t in topics)
    return (
        f"Cảm ơn bạn đã đăng ký nhận tin: {labels}. "
        "Chúng tôi chỉ gửi trong khung 7:00–21:00 và không quá vài tin mỗi tuần. "
        'Muốn dừng, bạn chỉ cần nhắn "hủy đăng ký" hoặc "stop".'
    )


def subscription_updated(topics: Sequence[str]) -> str:
    labels = ", ".join(topic_label(t) for t in topics)
    return f"Đã cập nhật các chủ đề bạn nhận tin: {labels}."


def no_topic_chosen() -> str:
    return "Bạn vui lòng chọn ít nhất một chủ đề muốn nhận tin."


def unknown_topic() -> str:
    return "Chủ đề này chưa có. Bạn vui lòng chọn trong danh sách chủ đề được gợi ý."


def bad_birth_year() -> str:
    return "Năm sinh chưa đúng. Bạn vui lòng nhập năm sinh gồm 4 chữ số, ví dụ 1990."


def unsubscribed() -> str:
    return (
        "Bạn đã hủy đăng ký nhận tin. Chúng tôi sẽ không gửi thêm tin nào. "
        'Khi cần, bạn có thể nhắn "đăng ký nhận tin" để nhận lại.'
    )


def not_subscribed() -> str:
    return 'Bạn hiện chưa đăng ký nhận tin. Nhắn "đăng ký nhận tin" nếu muốn nhận.'


def id_card_renewal(age: int, year: int) -> str:
    return (
        f"Nhắc bạn: năm {year} bạn đủ {age} tuổi, là mốc phải cấp đổi thẻ căn cước "
        "(Luật Căn cước 2023, Điều 21). Nếu thẻ được cấp hoặc đổi trong 2 năm trước mốc tuổi này thì "
        "chưa cần đổi. Bạn có thể đặt lịch trên ứng dụng VNeID hoặc Cổng Dịch vụ công: "
        f"{PORTAL_URL}"
    )


def birth_registration(deadline: date) -> str:
    return (
        "Chúc mừng gia đình bạn! Xin nhắc: cha hoặc mẹ cần đăng ký khai sinh cho cháu trong 60 ngày "
        f"kể từ ngày sinh, tức là chậm nhất ngày {deadline:%d/%m/%Y}. Bạn có thể nộp trực tuyến tại "
        f"{PORTAL_URL} hoặc trên ứng dụng VNeID."
    )


def result_waiting(dossier_code: str, ready_since: date) -> str:
    return (
        f"Kết quả hồ sơ {dossier_code} đã có tại Bộ phận Một cửa từ ngày {ready_since:%d/%m/%Y}. "
        "Mời bạn mang giấy tờ tùy thân đến nhận trong giờ hành chính."
    )
