"""Schema of one service file (``knowledge/services/NN-slug.yaml``), enforced by ``make test``.

Every fact lives in a section that names its sources and the date it was checked. A section
with no items is a known gap: the answer then tells the citizen where to check instead of
guessing. Text is stored in NFC.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import Enum
from typing import List

from pydantic import BaseModel, Extra, Field, root_validator, validator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROCEDURE_CODE_RE = re.compile(r"^\d\.\d{6}$")
# A source is a link, or a short citation of a legal text when no page is online.
SOURCE_RE = re.compile(r"^(https?://\S+|(?:Luật|Nghị định|Thông tư|Quyết định|Nghị quyết|Chỉ thị)\s.+)$")

# The sections a Hit can point at (besides "faq:<n>").
SECTION_NAMES = (
    "overview",
    "who",
    "channels",
    "documents",
    "fee",
    "processing_time",
    "agency",
    "online_steps",
    "legal_basis",
)


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


def _require_nfc(value: str) -> str:
    if unicodedata.normalize("NFC", value) != value:
        raise ValueError(f"text must be NFC: {value[:40]!r}")
    return value


class Sourced(_Strict):
    """Where a fact comes from and when someone last checked it against that source."""

    sources: List[str] = Field(default_factory=list)
    checked: dt.date
    # Caveat shown with the answer (conflicting sources, not yet verified, changes ahead).
    caveat: str | None = None

    @validator("sources", each_item=True)
    def _source_is_link_or_citation(cls, value: str) -> str:
        if not SOURCE_RE.match(value):
            raise ValueError(f"source must be an http(s) link or a legal citation: {value!r}")
        return value

    @validator("caveat")
    def _caveat_nfc(cls, value: str | None) -> str | None:
        return _require_nfc(value) if value else value


class _Section(Sourced):
    """A section of facts (subclasses define ``items``). Empty ``items`` marks a known gap."""

    @root_validator(skip_on_failure=True)
    def _facts_need_sources(cls, values: dict) -> dict:
        if values.get("items") and not values.get("sources"):
            raise ValueError("a section with facts must name at least one source")
        return values

    @property
    def is_gap(self) -> bool:
        return not getattr(self, "items", None)


class TextSection(_Section):
    """Bullets of plain Vietnamese. Empty ``items`` marks a gap."""

    items: List[str] = Field(default_factory=list)

    @validator("items", each_item=True)
    def _items_nfc(cls, value: str) -> str:
        if not value:
            raise ValueError("empty bullet")
        return _require_nfc(value)


class CopyKind(str, Enum):
    original = "bản chính"
    copy = "bản sao"
    certified_copy = "bản sao chứng thực"
    original_or_copy = "bản chính hoặc bản sao"
    electronic = "bản điện tử"
    declaration = "tờ khai"
    present = "xuất trình"


class Document(_Strict):
    name: str
    kind: CopyKind | None = None
    count: int | None = Field(default=None, ge=1)
    # When the document is needed ("nếu làm thay cho người dưới 14 tuổi").
    condition: str | None = None

    @validator("name", "condition")
    def _nfc(cls, value: str | None) -> str | None:
        return _require_nfc(value) if value else value

    def render(self) -> str:
        parts = [self.name]
        detail = ", ".join(
            p
            for p in (self.kind.value if self.kind else None, f"{self.count} bản" if self.count else None)
            if p
        )
        if detail:
            parts.append(f"({detail})")
        if self.condition:
            parts.append(f"— {self.condition}")
        return " ".join(parts)


class DocumentsSection(_Section):
    items: List[Document] = Field(default_factory=list)


class LegalRef(_Strict):
    number: str  # "68/2020/QH14", "154/2024/NĐ-CP"
    title: str  # "Luật Cư trú"
    date: dt.date | None = None  # date signed or passed
    note: str | None = None

    @validator("number", "title", "note")
    def _nfc(cls, value: str | None) -> str | None:
        return _require_nfc(value) if value else value

    def render(self) -> str:
        text = f"{self.title} số {self.number}"
        if self.date:
            text += f" ngày {self.date.strftime('%d/%m/%Y')}"
        if self.note:
            text += f" ({self.note})"
        return text


class LegalSection(_Section):
    items: List[LegalRef] = Field(default_factory=list)


class Faq(Sourced):
    question: str
    answer: str

    @validator("question", "answer")
    def _nfc(cls, value: str) -> str:
        return _require_nfc(value)

    @root_validator(skip_on_failure=True)
    def _answer_needs_source(cls, values: dict) -> dict:
        if not values.get("sources"):
            raise ValueError("a frequent question's answer must name at least one source")
        return values


class Service(_Strict):
    id: str  # stable slug
    number: int = Field(ge=1, le=25)  # number in the Project 06 list (facts/services.yaml id)
    name: str  # official name
    short_name: str  # for buttons (≤ 40 characters)
    procedure_codes: List[str] = Field(default_factory=list)  # mã TTHC, "1.004222"
    aliases: List[str] = Field(min_items=3)
    # Situations that point at the service without naming it ("mới sinh", "bị mất ví"): searched
    # with a lower weight than aliases, and the same phrase may appear under several services.
    keywords: List[str] = Field(default_factory=list)
    official_url: str  # the page a citizen should open
    linked_services: List[str] = Field(default_factory=list)  # liên thông
    overview: TextSection
    who: TextSection
    channels: TextSection
    documents: DocumentsSection
    fee: TextSection
    processing_time: TextSection
    agency: TextSection
    online_steps: TextSection
    legal_basis: LegalSection
    faq: List[Faq] = Field(min_items=5)

    @validator("id")
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError(f"id must be a lower-case ASCII slug: {value!r}")
        return value

    @validator("short_name")
    def _short(cls, value: str) -> str:
        if len(value) > 40:
            raise ValueError("short_name must fit a button (≤ 40 characters)")
        return _require_nfc(value)

    @validator("name")
    def _name_nfc(cls, value: str) -> str:
        return _require_nfc(value)

    @validator("aliases", "keywords", each_item=True)
    def _alias_nfc(cls, value: str) -> str:
        if not value:
            raise ValueError("empty alias or keyword")
        return _require_nfc(value)

    @validator("procedure_codes", each_item=True)
    def _code(cls, value: str) -> str:
        if not PROCEDURE_CODE_RE.match(value):
            raise ValueError(f"procedure code must look like 1.004222: {value!r}")
        return value

    @validator("official_url")
    def _url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("official_url must be an https link")
        return value

    def sections(self) -> dict:
        return {name: getattr(self, name) for name in SECTION_NAMES}
