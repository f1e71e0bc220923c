"""The plain data the dossier package passes around (no SQL, no HTTP)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any, Dict, Tuple

from bot.dossiers.statuses import DossierStatus

UTC_PLUS_7 = dt.timezone(dt.timedelta(hours=7), "ICT")


def utc_now() -> dt.datetime:
    """Naive UTC, as stored in the database."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def vietnam_today() -> dt.date:
    """Today's date in Vietnam (UTC+7, no daylight saving): dossier dates are local dates."""
    return dt.datetime.now(UTC_PLUS_7).date()


@dataclass(frozen=True)
class DossierRecord:
    """One dossier as a provider knows it. The phone is only ever held hashed plus last 4 digits."""

    code: str
    status: DossierStatus
    service_id: str | None = None
    applicant_name: str | None = None
    phone_hash: str | None = None
    phone_last4: str | None = None
    received_on: dt.date | None = None
    promised_on: dt.date | None = None
    updated_at: dt.datetime | None = None
    agency: str | None = None
    supplement: str | None = None
    result_delivery: str | None = None
    note: str | None = None

    def to_row(self) -> Dict[str, Any]:
        row = {name: getattr(self, name) for name in RECORD_FIELDS}
        row["status"] = self.status.value
        return row

    @classmethod
    def from_row(cls, row: Any) -> DossierRecord:
        mapping = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
        values: Dict[str, Any] = {name: mapping.get(name) for name in RECORD_FIELDS}
        values["status"] = DossierStatus(values["status"])
        return cls(**values)


RECORD_FIELDS: Tuple[str, ...] = tuple(field.name for field in fields(DossierRecord))


@dataclass(frozen=True)
class StatusChange:
    code: str
    old_status: DossierStatus | None
    new_status: DossierStatus
