"""Service cards for the console's knowledge search: every section with its sources and date."""

from __future__ import annotations

from typing import Any, Dict, List

from knowledge.schema import DocumentsSection, LegalSection, Service, TextSection

GAP_TEXT = "Chưa có thông tin — xem Cổng DVC"

# Order and labels of the sections a card shows.
SECTION_LABELS: Dict[str, str] = {
    "documents": "Giấy tờ cần có",
    "fee": "Lệ phí",
    "processing_time": "Thời gian giải quyết",
    "agency": "Cơ quan giải quyết",
    "who": "Đối tượng",
    "channels": "Nơi nộp, cách nộp",
    "online_steps": "Các bước nộp trực tuyến",
    "legal_basis": "Căn cứ pháp lý",
}


def _items(section: TextSection | DocumentsSection | LegalSection) -> List[str]:
    if isinstance(section, (DocumentsSection, LegalSection)):
        return [item.render() for item in section.items]
    return list(section.items)


def section_card(key: str, section: TextSection | DocumentsSection | LegalSection) -> Dict[str, Any]:
    items = _items(section)
    return {
        "key": key,
        "label": SECTION_LABELS[key],
        "items": items,
        "gap": not items,
        "sources": list(section.sources),
        "checked": section.checked.strftime("%d/%m/%Y"),
        "caveat": section.caveat,
    }


def copy_text(service: Service, sections: List[Dict[str, Any]]) -> str:
    """The card as plain text, ready to paste into a chat or an e-mail to the citizen."""
    lines = [f"{service.name} (thủ tục số {service.number})"]
    for section in sections:
        lines.append("")
        lines.append(f"{section['label']}:")
        if section["gap"]:
            lines.append(f"- {GAP_TEXT}: {service.official_url}")
        else:
            lines.extend(f"- {item}" for item in section["items"])
        if section["caveat"]:
            lines.append(f"Lưu ý: {section['caveat']}")
    lines.append("")
    lines.append(f"Trang chính thức: {service.official_url}")
    return "\n".join(lines)


def service_card(service: Service, matched: List[str] | None = None) -> Dict[str, Any]:
    sections = [section_card(key, getattr(service, key)) for key in SECTION_LABELS]
    return {
        "id": service.id,
        "number": service.number,
        "name": service.name,
        "official_url": service.official_url,
        "procedure_codes": list(service.procedure_codes),
        "matched": [SECTION_LABELS.get(key, key) for key in (matched or []) if key in SECTION_LABELS],
        "gap_text": GAP_TEXT,
        "sections": sections,
        "copy_text": copy_text(service, sections),
    }


def search_cards(query: str, limit: int = 5) -> List[Dict[str, Any]]:
    """Cards of the services the knowledge search ranks best for ``query`` (best first)."""
    from bot.search import search
    from knowledge.catalog import default_catalog

    catalog = default_catalog()
    order: List[str] = []
    matched: Dict[str, List[str]] = {}
    for hit in search(query, k=limit * 4):
        if hit.service_id not in matched:
            order.append(hit.service_id)
            matched[hit.service_id] = []
        if hit.section not in matched[hit.service_id]:
            matched[hit.service_id].append(hit.section)
    cards = []
    for service_id in order[:limit]:
        service = catalog.get(service_id)
        if service is not None:
            cards.append(service_card(service, matched[service_id]))
    return cards
