"""What the channels say on their own (without the assistant): unsupported message kinds, expired
buttons. Short, polite, concrete Vietnamese, in NFC."""

from __future__ import annotations

from typing import Dict

from nlu.text import to_nfc

_ASK_IN_TEXT = "Bạn vui lòng gõ câu hỏi bằng chữ, ví dụ: “làm căn cước cần giấy tờ gì?”."
_PRIVACY = "Vì an toàn, bạn không nên gửi ảnh hay tệp giấy tờ tùy thân qua tin nhắn."

_REPLIES: Dict[str, str] = {
    "photo": f"Hiện tôi chỉ đọc được tin nhắn chữ, chưa xem được hình ảnh. {_ASK_IN_TEXT} {_PRIVACY}",
    "document": f"Hiện tôi chỉ đọc được tin nhắn chữ, chưa mở được tệp đính kèm. {_ASK_IN_TEXT} {_PRIVACY}",
    "voice": f"Hiện tôi chỉ đọc được tin nhắn chữ, chưa nghe được tin nhắn thoại. {_ASK_IN_TEXT}",
    "video": f"Hiện tôi chỉ đọc được tin nhắn chữ, chưa xem được video. {_ASK_IN_TEXT}",
    "sticker": f"Cảm ơn bạn! Hiện tôi chỉ đọc được tin nhắn chữ. {_ASK_IN_TEXT}",
    "location": (
        "Tôi chưa dùng được vị trí bạn gửi. Bạn hãy gõ tên tỉnh/thành phố hoặc câu hỏi bằng chữ, "
        "ví dụ: “đăng ký tạm trú ở Hà Nội làm thế nào?”."
    ),
    "contact": f"Hiện tôi chỉ đọc được tin nhắn chữ. {_ASK_IN_TEXT} Bạn không cần gửi số điện thoại qua đây.",
    "other": f"Hiện tôi chỉ đọc được tin nhắn chữ. {_ASK_IN_TEXT}",
}

TELEGRAM_MENU_HINT = "Gõ /menu để xem các việc tôi hỗ trợ."
EXPIRED_BUTTON = "Nút này đã hết hạn. Bạn chọn lại trong danh sách mới nhất hoặc gõ câu hỏi nhé."


def unsupported_message_reply(kind: str, *, hint: str = "") -> str:
    """The reply to a message the assistant cannot read (``kind``: photo, sticker, voice, …)."""
    text = _REPLIES.get(kind, _REPLIES["other"])
    return to_nfc(f"{text} {hint}".strip())
