"""The API the conversation calls: look a dossier up (after verification), subscribe to changes.

Every call returns an explicit outcome and a Vietnamese message; backend failures become
``unavailable``, never an exception.

    lookup = build_lookup()                       # from settings, lazily; no work at import
    result = lookup.lookup(code_text, last4, sender_id)
    result.outcome   # found | wrong_digits | invalid_digits | locked | not_found | invalid_code | unavailable
    result.message_vi, result.dossier_view, result.code
    lookup.subscribe(sender_id, channel, code)    # subscribed | already_subscribed | not_verified | …
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from bot.dossiers.codes import find_dossier_codes, normalise_code
from bot.dossiers.privacy import clean_last4, conversation_tag, digits_match
from bot.dossiers.providers import DossierProvider, ProviderOutcome
from bot.dossiers.records import UTC_PLUS_7, vietnam_today
from bot.dossiers.render import DEFAULT_CONTACTS, RECEIPT_NAME, Contacts, DossierView, render_status
from bot.dossiers.store import DossierStore
from bot.dossiers.verification import VerificationGuard

logger = logging.getLogger(__name__)

# How long a successful verification lets the conversation subscribe to that dossier.
SUBSCRIBE_AFTER_VERIFICATION = dt.timedelta(hours=24)


class LookupOutcome(str, Enum):
    FOUND = "found"
    WRONG_DIGITS = "wrong_digits"
    INVALID_DIGITS = "invalid_digits"  # not 4 digits: asked again, not counted as a failure
    LOCKED = "locked"
    NOT_FOUND = "not_found"
    INVALID_CODE = "invalid_code"
    UNAVAILABLE = "unavailable"


class SubscribeOutcome(str, Enum):
    SUBSCRIBED = "subscribed"
    ALREADY_SUBSCRIBED = "already_subscribed"
    NOT_VERIFIED = "not_verified"  # look the dossier up with the 4 digits first
    NOT_FOUND = "not_found"
    INVALID_CODE = "invalid_code"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class LookupResult:
    outcome: LookupOutcome
    message_vi: str
    code: str | None = None
    dossier_view: DossierView | None = None
    attempts_left: int | None = None


@dataclass(frozen=True)
class SubscribeResult:
    outcome: SubscribeOutcome
    message_vi: str
    code: str | None = None


def extract_code(text: str) -> str | None:
    """The canonical code in ``text`` (a bare code or a sentence containing one)."""
    code = normalise_code(text or "")
    if code:
        return code
    found = find_dossier_codes(text or "")
    return found[0] if found else None


class DossierLookup:
    def __init__(
        self,
        provider: DossierProvider,
        store: DossierStore,
        guard: VerificationGuard,
        *,
        contacts: Contacts = DEFAULT_CONTACTS,
        today: Callable[[], dt.date] = vietnam_today,
    ) -> None:
        self.provider = provider
        self.store = store
        self.guard = guard
        self.contacts = contacts
        self.today = today

    # --- messages ---

    def _invalid_code_message(self) -> str:
        return (
            "Tôi chưa nhận ra mã hồ sơ. Mã hồ sơ có dạng 000.00.17.H26-230101-0001 "
            f"(hoặc H26.22-230101-0001), in trên {RECEIPT_NAME}; bạn cũng xem được trong mục "
            f'"Dịch vụ công của tôi" trên {self.contacts.portal_url}. Bạn gửi lại mã giúp tôi nhé.'
        )

    def _not_found_message(self, code: str) -> str:
        return (
            f"Tôi không tìm thấy hồ sơ {code}. Bạn kiểm tra lại mã trên {RECEIPT_NAME}, hoặc trong mục "
            f'"Dịch vụ công của tôi" trên {self.contacts.portal_url}. Hồ sơ vừa nộp có thể chưa được '
            "cập nhật vào hệ thống tra cứu; bạn thử lại sau nhé."
        )

    def _unavailable_message(self) -> str:
        return (
            "Xin lỗi, hệ thống tra cứu hồ sơ đang tạm thời không phản hồi. Bạn thử lại sau ít phút, "
            f"hoặc gọi tổng đài {self.contacts.hotline}, hoặc tra cứu trên {self.contacts.portal_url}."
        )

    def _locked_message(self, until: dt.datetime) -> str:
        local = until.replace(tzinfo=dt.timezone.utc).astimezone(UTC_PLUS_7)
        return (
            "Bạn đã nhập sai nhiều lần nên việc tra cứu hồ sơ tạm khóa trong cuộc trò chuyện này đến "
            f"{local:%H:%M} (giờ Việt Nam). Bạn có thể tra cứu trên {self.contacts.portal_url} "
            f"hoặc gọi tổng đài {self.contacts.hotline}."
        )

    # --- API ---

    def lookup(self, code_text: str, last4: str, conversation_id: str) -> LookupResult:
        code = extract_code(code_text)
        if code is None:
            return LookupResult(LookupOutcome.INVALID_CODE, self._invalid_code_message())
        try:
            return self._lookup(code, last4, conversation_id)
        except Exception:
            logger.exception("dossier lookup failed (conversation %s)", conversation_tag(conversation_id))
            return LookupResult(LookupOutcome.UNAVAILABLE, self._unavailable_message(), code)

    def _lookup(self, code: str, last4: str, conversation_id: str) -> LookupResult:
        until = self.guard.locked_until(conversation_id)
        if until is not None:
            return LookupResult(LookupOutcome.LOCKED, self._locked_message(until), code)
        digits = clean_last4(last4)
        if digits is None:
            return LookupResult(
                LookupOutcome.INVALID_DIGITS,
                "Bạn nhập giúp tôi đúng 4 chữ số cuối của số điện thoại đã đăng ký khi nộp hồ sơ nhé.",
                code,
            )
        fetched = self.provider.fetch(code)
        if fetched.outcome is ProviderOutcome.NOT_FOUND:
            return LookupResult(LookupOutcome.NOT_FOUND, self._not_found_message(code), code)
        if fetched.outcome is ProviderOutcome.UNAVAILABLE or fetched.record is None:
            return LookupResult(LookupOutcome.UNAVAILABLE, self._unavailable_message(), code)
        if not digits_match(fetched.record.phone_last4, digits):
            failures = self.guard.record_failure(conversation_id, code)
            left = max(self.guard.max_failures - failures, 0)
            if left == 0:
                until = self.guard.locked_until(conversation_id)
                if until is not None:
                    return LookupResult(
                        LookupOutcome.LOCKED, self._locked_message(until), code, attempts_left=0
                    )
            return LookupResult(
                LookupOutcome.WRONG_DIGITS,
                "4 chữ số cuối chưa khớp với số điện thoại đăng ký trong hồ sơ. "
                f"Bạn kiểm tra và nhập lại nhé (còn {left} lần thử).",
                code,
                attempts_left=left,
            )
        self.guard.record_success(conversation_id, code)
        view = DossierView.from_record(fetched.record, self.today())
        return LookupResult(LookupOutcome.FOUND, render_status(view, self.contacts), code, view)

    def subscribe(self, conversation_id: str, channel: str, code_text: str) -> SubscribeResult:
        """Follow a dossier this conversation has verified; changes arrive on ``channel``."""
        code = extract_code(code_text)
        if code is None:
            return SubscribeResult(SubscribeOutcome.INVALID_CODE, self._invalid_code_message())
        try:
            if not self.guard.verified(conversation_id, code, SUBSCRIBE_AFTER_VERIFICATION):
                return SubscribeResult(
                    SubscribeOutcome.NOT_VERIFIED,
                    "Để nhận thông báo, bạn tra cứu hồ sơ và xác minh 4 số cuối điện thoại trước nhé.",
                    code,
                )
            fetched = self.provider.fetch(code)
            if fetched.outcome is ProviderOutcome.NOT_FOUND:
                return SubscribeResult(SubscribeOutcome.NOT_FOUND, self._not_found_message(code), code)
            if fetched.record is None:
                return SubscribeResult(SubscribeOutcome.UNAVAILABLE, self._unavailable_message(), code)
            # With the HTTP provider this puts the dossier in the store, so polls can compare.
            self.store.upsert([fetched.record], source="subscribe")
            created = self.store.subscribe(conversation_id, channel, code, fetched.record.status)
        except Exception:
            logger.exception("dossier subscribe failed (conversation %s)", conversation_tag(conversation_id))
            return SubscribeResult(SubscribeOutcome.UNAVAILABLE, self._unavailable_message(), code)
        if not created:
            return SubscribeResult(
                SubscribeOutcome.ALREADY_SUBSCRIBED,
                f"Bạn đã đăng ký nhận thông báo cho hồ sơ {code} rồi. Tôi sẽ nhắn khi hồ sơ có thay đổi.",
                code,
            )
        return SubscribeResult(
            SubscribeOutcome.SUBSCRIBED,
            f"Đã đăng ký. Khi hồ sơ {code} đổi trạng thái (ví dụ đã có kết quả), "
            "tôi sẽ nhắn cho bạn tại đây.",
            code,
        )
