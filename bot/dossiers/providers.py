"""Where dossier data comes from: the protocol, its outcomes and the local SQL store provider."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol, runtime_checkable

from bot.dossiers.records import DossierRecord
from bot.dossiers.store import DossierStore


class ProviderOutcome(str, Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ProviderResult:
    outcome: ProviderOutcome
    record: DossierRecord | None = None
    # For operators' logs only; never shown to citizens.
    detail: str = ""


@runtime_checkable
class DossierProvider(Protocol):
    def fetch(self, code: str) -> ProviderResult:
        """The dossier with this canonical code. Never raises for backend failures: they come
        back as ``unavailable``."""
        ...


class LocalStoreProvider:
    """Dossiers imported into our SQL store."""

    def __init__(self, store: DossierStore) -> None:
        self.store = store

    def fetch(self, code: str) -> ProviderResult:
        try:
            record = self.store.get(code)
        except Exception as exc:  # database down or schema missing: an outcome, not a crash
            return ProviderResult(ProviderOutcome.UNAVAILABLE, detail=f"store error: {type(exc).__name__}")
        if record is None:
            return ProviderResult(ProviderOutcome.NOT_FOUND)
        return ProviderResult(ProviderOutcome.FOUND, record)
