"""Staff dossier look-up: full detail without the citizen's verification, every look-up audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Literal

from bot.console.audit import DOSSIER_LOOKUP, AuditLog

logger = logging.getLogger(__name__)

LookupOutcome = Literal["found", "not_found", "invalid_code", "unavailable"]

MESSAGES: Dict[str, str] = {
    "found": "",
    "not_found": "Không tìm thấy hồ sơ có mã {code} trong dữ liệu đã nhập.",
    "invalid_code": "Mã hồ sơ không đúng dạng. Vui lòng kiểm tra lại (ví dụ: 000.00.17.H26-230101-0001).",
    "unavailable": "Chưa tra cứu được hồ sơ lúc này (hệ thống hồ sơ chưa sẵn sàng). Vui lòng thử lại sau.",
}


@dataclass(frozen=True)
class StaffLookup:
    outcome: LookupOutcome
    code: str | None
    message: str
    detail: Dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> Dict[str, Any]:
        return {"outcome": self.outcome, "code": self.code, "message": self.message, "detail": self.detail}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def record_detail(record: Any, history: List[Any]) -> Dict[str, Any]:
    """Everything the dossier store holds, for staff eyes (the phone exists only as its last 4 digits)."""
    from bot.dossiers.records import vietnam_today
    from bot.dossiers.statuses import is_overdue
    from knowledge.catalog import default_catalog

    service = default_catalog().get(record.service_id) if record.service_id else None
    return {
        "code": record.code,
        "status": record.status.value,
        "status_name": record.status.official_name,
        "service_id": record.service_id,
        "service_name": service.name if service else None,
        "applicant_name": record.applicant_name,
        "phone_last4": record.phone_last4,
        "received_on": _iso(record.received_on),
        "promised_on": _iso(record.promised_on),
        "overdue": is_overdue(record.status, record.promised_on, vietnam_today()),
        "updated_at": _iso(record.updated_at),
        "agency": record.agency,
        "supplement": record.supplement,
        "result_delivery": record.result_delivery,
        "note": record.note,
        "history": [
            {"old_status": old, "new_status": new, "changed_at": _iso(at), "source": source}
            for old, new, at, source in history
        ],
    }


class DossierLookup:
    """``fetch(code) -> ProviderResult`` and ``history(code)`` come from bot.dossiers."""

    def __init__(
        self,
        audit: AuditLog,
        fetch: Callable[[str], Any],
        history: Callable[[str], List[Any]],
    ) -> None:
        self.audit = audit
        self.fetch = fetch
        self.history = history

    def lookup(self, staff_name: str, raw_code: str) -> StaffLookup:
        from bot.dossiers.codes import normalise_code

        code = normalise_code(raw_code or "")
        if code is None:
            result = StaffLookup("invalid_code", None, MESSAGES["invalid_code"])
        else:
            result = self._lookup(code)
        # Audited whatever the outcome: who asked for what, and what they got.
        self.audit.record(staff_name, DOSSIER_LOOKUP, code or "(mã không hợp lệ)", result.outcome)
        return result

    def _lookup(self, code: str) -> StaffLookup:
        fetched = self.fetch(code)
        outcome = getattr(fetched.outcome, "value", fetched.outcome)
        if outcome == "not_found":
            return StaffLookup("not_found", code, MESSAGES["not_found"].format(code=code))
        if outcome != "found" or fetched.record is None:
            logger.warning("Staff dossier look-up unavailable: %s", fetched.detail or outcome)
            return StaffLookup("unavailable", code, MESSAGES["unavailable"])
        try:
            history = self.history(code)
        except Exception as exc:  # the record is shown even if its history cannot be read
            logger.warning("Dossier history unavailable (%s)", type(exc).__name__)
            history = []
        return StaffLookup("found", code, "", record_detail(fetched.record, history))


def default_lookup(audit: AuditLog) -> DossierLookup:
    """Look-ups through the configured dossier provider (local store or HTTP); history from the store."""
    from bot.db import default_engine
    from bot.dossiers.factory import build_provider
    from bot.dossiers.store import DossierStore
    from bot.settings import get_settings

    store = DossierStore(default_engine())
    return DossierLookup(audit, build_provider(get_settings(), store).fetch, store.history)
