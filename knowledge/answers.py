"""Short, sourced answers for a (service, aspect) pair, rendered for citizens.

The conversation asks about an *aspect* (documents, fee, …); each aspect shows one or more
sections of the service file. An empty section is a known gap: the answer says so and where to
check, never a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from knowledge.catalog import Catalog
from knowledge.schema import DocumentsSection, Faq, LegalSection, Service, Sourced, TextSection

# Aspect → (title, sections shown). Aspect names match the intents ask_<aspect>.
ASPECTS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "overview": ("tổng quan", ("overview",)),
    "documents": ("giấy tờ cần chuẩn bị", ("documents",)),
    "fee": ("lệ phí", ("fee",)),
    "processing_time": ("thời gian giải quyết", ("processing_time",)),
    "how_to_file": ("nộp ở đâu, nộp thế nào", ("agency", "channels", "online_steps")),
    "eligibility": ("ai được làm, điều kiện", ("who",)),
    "legal_basis": ("căn cứ pháp lý", ("legal_basis",)),
}
# Section → aspect, for answers found by search.
SECTION_ASPECT = {section: aspect for aspect, (_, sections) in ASPECTS.items() for section in sections}

ASPECT_BUTTONS: Tuple[Tuple[str, str], ...] = (
    ("Giấy tờ", "documents"),
    ("Lệ phí", "fee"),
    ("Thời gian", "processing_time"),
    ("Nộp ở đâu, thế nào", "how_to_file"),
    ("Ai được làm", "eligibility"),
    ("Căn cứ pháp lý", "legal_basis"),
)
SECTION_LABELS = {
    "agency": "Cơ quan giải quyết",
    "channels": "Cách nộp",
    "online_steps": "Các bước nộp trực tuyến",
}
MAX_BULLETS = 8


@dataclass(frozen=True)
class Answer:
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    service_id: Optional[str] = None
    aspect: Optional[str] = None
    is_gap: bool = False


def _date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _bullets(section: Sourced, numbered: bool = False) -> List[str]:
    if isinstance(section, DocumentsSection):
        items = [d.render() for d in section.items]
    elif isinstance(section, LegalSection):
        items = [ref.render() for ref in section.items]
    elif isinstance(section, TextSection):
        items = list(section.items)
    else:  # pragma: no cover - every section type is listed above
        items = []
    shown = items[:MAX_BULLETS]
    lines = [f"{i}. {item}" if numbered else f"• {item}" for i, item in enumerate(shown, start=1)]
    if len(items) > len(shown):
        lines.append(f"• … và {len(items) - len(shown)} mục khác (xem trang chính thức).")
    return lines


def aspect_buttons(service: Service, exclude: Optional[str] = None) -> List[Dict[str, str]]:
    return [
        {"title": title, "payload": f'/ask_{aspect}{{"service":"{service.id}"}}'}
        for title, aspect in ASPECT_BUTTONS
        if aspect != exclude
    ]


def service_buttons(services: Sequence[Service], aspect: str = "overview") -> List[Dict[str, str]]:
    return [{"title": s.short_name, "payload": f'/ask_{aspect}{{"service":"{s.id}"}}'} for s in services]


def compose(
    catalog: Catalog,
    service_id: str,
    aspect: str,
    hotline: str,
    section_names: Optional[Sequence[str]] = None,
) -> Answer:
    """The answer about ``aspect`` of a service: bullets, caveat, source, date checked."""
    service = catalog.by_id(service_id)
    title, default_sections = ASPECTS.get(aspect, ASPECTS["overview"])
    sections = [getattr(service, name) for name in (section_names or default_sections)]
    names = list(section_names or default_sections)
    lines = [f"{service.name} — {title}"]
    filled = [(n, s) for n, s in zip(names, sections, strict=True) if not s.is_gap]
    for name, section in filled:
        if len(filled) > 1:
            lines.append(f"{SECTION_LABELS.get(name, name)}:")
        lines.extend(_bullets(section, numbered=name == "online_steps"))
    caveats = [s.caveat for s in sections if s.caveat]
    if not filled:
        lines.append("Hiện tôi chưa có thông tin đã kiểm chứng về mục này.")
    for caveat in caveats[:2]:
        lines.append(f"Lưu ý: {caveat}")
    if not filled:
        lines.append(f"Bạn xem trang chính thức: {service.official_url} hoặc gọi tổng đài {hotline}.")
    lines.extend(_source_lines(service, [s for _, s in filled] or sections))
    buttons = aspect_buttons(service, exclude=aspect) if aspect == "overview" else feedback_buttons()
    return Answer("\n".join(lines), buttons, service.id, aspect, is_gap=not filled)


def compose_faq(catalog: Catalog, service_id: str, index: int, hotline: str) -> Answer:
    """The answer of one frequent question of a service."""
    service = catalog.by_id(service_id)
    lines = [service.name, *_faq_lines(service, service.faq[index])]
    return Answer("\n".join(lines), feedback_buttons(), service.id, "faq")


def compose_with_faq(
    catalog: Catalog, service_id: str, aspect: str, faq_index: int, hotline: str, faq_first: bool
) -> Answer:
    """The answer about ``aspect`` together with the frequent question the citizen asked, the
    better match first; each part keeps its own source."""
    service = catalog.by_id(service_id)
    section = compose(catalog, service_id, aspect, hotline)
    faq = _faq_lines(service, service.faq[faq_index])
    if faq_first:
        parts = [service.name, *faq, "", section.text]
    else:
        if faq[-1] == section.text.splitlines()[-1]:
            faq = faq[:-1]  # the same source, already named under the section
        parts = [section.text, "", *faq]
    return Answer("\n".join(parts), section.buttons, service.id, aspect, is_gap=section.is_gap)


def compose_with_section(
    catalog: Catalog, service_id: str, aspect: str, section: str, hotline: str
) -> Answer:
    """The answer about ``aspect`` followed by one more section that the question may be about."""
    main = compose(catalog, service_id, aspect, hotline)
    extra = compose(
        catalog, service_id, SECTION_ASPECT.get(section, "overview"), hotline, section_names=[section]
    )
    if extra.is_gap:
        return main
    label = SECTION_LABELS.get(section) or ASPECTS[SECTION_ASPECT.get(section, "overview")][0]
    lines = [main.text, "", f"{label[:1].upper()}{label[1:]}:", *extra.text.splitlines()[1:]]
    return Answer("\n".join(lines), main.buttons, main.service_id, aspect, is_gap=main.is_gap)


def _faq_lines(service: Service, faq: Faq) -> List[str]:
    """Hỏi / Đáp / Lưu ý / Nguồn of one frequent question."""
    lines = [f"Hỏi: {faq.question}", f"Đáp: {faq.answer}"]
    if faq.caveat:
        lines.append(f"Lưu ý: {faq.caveat}")
    lines.extend(_source_lines(service, [faq]))
    return lines


def compose_law_status(catalog: Catalog, service_id: str, faq_index: Optional[int], hotline: str) -> Answer:
    """ "Is X still required / abolished?": what changed and from when (the overview), plus the
    frequent question closest to the citizen's, when there is one."""
    service = catalog.by_id(service_id)
    overview = service.overview
    lines = [f"{service.name} — quy định hiện hành"]
    sourced: List[Sourced] = []
    if not overview.is_gap:
        lines.extend(_bullets(overview))
        sourced.append(overview)
    if faq_index is not None:
        faq = service.faq[faq_index]
        lines.extend([f"Hỏi: {faq.question}", f"Đáp: {faq.answer}"])
        sourced.append(faq)
    caveats = [s.caveat for s in sourced if s.caveat]
    for caveat in caveats[:2]:
        lines.append(f"Lưu ý: {caveat}")
    if not sourced:
        lines.append(f"Bạn xem trang chính thức: {service.official_url} hoặc gọi tổng đài {hotline}.")
    lines.extend(_source_lines(service, sourced or [overview]))
    return Answer("\n".join(lines), feedback_buttons(), service.id, "law_status", is_gap=not sourced)


def _source_lines(service: Service, sections: Sequence[Sourced]) -> List[str]:
    sources: List[str] = []
    for section in sections:
        for source in section.sources:
            if source.startswith("http") and source not in sources:
                sources.append(source)
    checked = max((s.checked for s in sections), default=None)
    source = sources[0] if sources else service.official_url
    line = f"Nguồn: {source}"
    if checked:
        line += f" (kiểm tra ngày {_date(checked)})"
    return [line]


def feedback_buttons() -> List[Dict[str, str]]:
    return [
        {"title": "👍 Hữu ích", "payload": "/feedback_helpful"},
        {"title": "👎 Chưa đúng", "payload": "/feedback_wrong"},
    ]
