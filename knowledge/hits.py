"""The result type every search backend returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Protocol


@dataclass(frozen=True)
class Hit:
    """One search result.

    ``section`` is one of ``schema.SECTION_NAMES`` or ``"faq:<n>"`` (index in the service's faq
    list). ``text`` is the section rendered as plain text, bullets joined by newlines; an empty
    ``text`` means the section is a known gap (tell the citizen where to check).
    """

    service_id: str
    service_no: int
    section: str
    text: str
    score: float


class SearchBackend(Protocol):
    name: str

    def search(self, query: str, k: int = 5) -> List[Hit]: ...
