"""Decide how to answer a procedure question: known service, search, suggestions or nothing.

Used by the Rasa action ``action_answer_service_question``. Outcomes:

* ``answered`` — one service (named, remembered or found confidently by search);
* ``choose_service`` — search found candidates but none clearly: offer the top three;
* ``not_found`` — nothing relevant: say so honestly, link the national portal, offer a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from knowledge.answers import (
    SECTION_ASPECT,
    Answer,
    compose,
    compose_faq,
    compose_law_status,
    service_buttons,
)
from knowledge.catalog import Catalog
from knowledge.hits import Hit
from knowledge.schema import Service

# Search scores: a query that contains one of a service's aliases scores far above one that
# only shares ordinary words (the alias field carries the largest boost).
CONFIDENT_SCORE = 60.0
SUGGEST_SCORE = 12.0
SUGGESTIONS = 3

Searcher = Callable[[str, int], List[Hit]]


@dataclass(frozen=True)
class GuideResult:
    outcome: str  # answered | choose_service | not_found
    answer: Optional[Answer] = None
    candidates: List[Service] = field(default_factory=list)
    buttons: List[Dict[str, str]] = field(default_factory=list)


def _faq_index(section: str) -> Optional[int]:
    if section.startswith("faq:"):
        return int(section.split(":", 1)[1])
    return None


def _answer_from_hit(catalog: Catalog, hit: Hit, aspect: Optional[str], hotline: str) -> Answer:
    index = _faq_index(hit.section)
    if aspect == "law_status":
        return compose_law_status(catalog, hit.service_id, index, hotline)
    if aspect is None and index is not None:
        return compose_faq(catalog, hit.service_id, index, hotline)
    if aspect and aspect != "law_status":
        return compose(catalog, hit.service_id, aspect, hotline)
    return compose(catalog, hit.service_id, SECTION_ASPECT.get(hit.section, "overview"), hotline)


def answer_question(
    catalog: Catalog,
    search: Searcher,
    text: str,
    aspect: Optional[str],
    service_id: Optional[str],
    hotline: str,
) -> GuideResult:
    """Answer ``text`` asking about ``aspect`` (None when unknown) of ``service_id`` (None when unknown)."""
    if service_id and catalog.get(service_id) is None:
        service_id = None
    if service_id:
        if aspect is None or aspect == "law_status":
            hits = [h for h in search(text, 30) if h.service_id == service_id]
            if aspect == "law_status":
                # "Is X still required / abolished?" is what the frequent questions answer.
                hits = [h for h in hits if _faq_index(h.section) is not None] or hits
            if hits:
                return GuideResult("answered", _answer_from_hit(catalog, hits[0], aspect, hotline))
            if aspect == "law_status":
                return GuideResult("answered", compose_law_status(catalog, service_id, None, hotline))
            return GuideResult("answered", compose(catalog, service_id, "overview", hotline))
        return GuideResult("answered", compose(catalog, service_id, aspect, hotline))

    hits = search(text, 20) if text.strip() else []
    if not hits or hits[0].score < SUGGEST_SCORE:
        return GuideResult("not_found")
    best = hits[0]
    if best.score >= CONFIDENT_SCORE:
        return GuideResult("answered", _answer_from_hit(catalog, best, aspect, hotline))
    candidates = _distinct_services(catalog, hits)
    wanted = aspect if aspect and aspect != "law_status" else "overview"
    return GuideResult("choose_service", candidates=candidates, buttons=service_buttons(candidates, wanted))


def _distinct_services(catalog: Catalog, hits: Sequence[Hit]) -> List[Service]:
    seen: List[str] = []
    for hit in hits:
        if hit.score >= SUGGEST_SCORE and hit.service_id not in seen:
            seen.append(hit.service_id)
        if len(seen) == SUGGESTIONS:
            break
    return [catalog.by_id(service_id) for service_id in seen]
