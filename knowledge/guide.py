"""Decide how to answer a procedure question: known service, search, suggestions or nothing.

Used by the Rasa action ``action_answer_service_question``. Outcomes:

* ``answered`` — one service (named, remembered or found confidently by search);
  when the service is known and the citizen asks one of its frequent questions, the answer shows
  that question and its answer together with the section the intent asked for (see
  :func:`matching_faq`); when the message names another section than the intent's and search
  ranks that one first, it follows (:func:`cued_section`);
* ``choose_service`` — search found candidates but none clearly: offer the top three;
* ``not_found`` — nothing relevant: say so honestly, link the national portal, offer a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from knowledge.analysis import detect_sections
from knowledge.answers import (
    ASPECTS,
    SECTION_ASPECT,
    Answer,
    compose,
    compose_faq,
    compose_law_status,
    compose_with_faq,
    compose_with_section,
    service_buttons,
)
from knowledge.catalog import Catalog
from knowledge.faq_match import matcher_for
from knowledge.hits import Hit
from knowledge.schema import Service

# Search scores: a query that contains one of a service's aliases scores far above one that
# only shares ordinary words (the alias field carries the largest boost).
CONFIDENT_SCORE = 60.0
SUGGEST_SCORE = 12.0
SUGGESTIONS = 3
# Hits asked for when the service is known (then kept for that service only). Within the search's
# re-rank pool, so the order is the one every other search sees.
SERVICE_SEARCH_DEPTH = 30

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
        return GuideResult("answered", _answer_service(catalog, search, text, aspect, service_id, hotline))

    hits = search(text, 20) if text.strip() else []
    if not hits or hits[0].score < SUGGEST_SCORE:
        return GuideResult("not_found")
    best = hits[0]
    if best.score >= CONFIDENT_SCORE:
        return GuideResult("answered", _answer_from_hit(catalog, best, aspect, hotline))
    candidates = _distinct_services(catalog, hits)
    wanted = aspect if aspect and aspect != "law_status" else "overview"
    return GuideResult("choose_service", candidates=candidates, buttons=service_buttons(candidates, wanted))


def _service_hits(search: Searcher, text: str, service_id: str) -> List[Hit]:
    """The search hits of one service, best first (none for an empty text or a button payload,
    "/ask_fee{…}", which is not the citizen's words)."""
    if not text.strip() or text.lstrip().startswith("/"):
        return []
    return [h for h in search(text, SERVICE_SEARCH_DEPTH) if h.service_id == service_id]


def matching_faq(catalog: Catalog, hits: Sequence[Hit], text: str, service_id: str) -> Optional[int]:
    """The frequent question of the service that ``text`` clearly asks, or None.

    Two independent signals must agree: the search restricted to the service ranks this question
    first among the service's frequent questions, and it shares enough content words with the
    message, more than any other of them (``faq_match``). The search alone cannot decide: its
    re-rank deliberately puts the section of the asked aspect before the frequent questions.
    """
    searched = next((_faq_index(h.section) for h in hits if h.section.startswith("faq:")), None)
    if searched is None:
        return None
    best = matcher_for(catalog).best(text, service_id)
    return best.index if best is not None and best.index == searched else None


def faq_outranks_section(hits: Sequence[Hit], faq_index: int, aspect: str) -> bool:
    """Whether the search ranks the frequent question above every section the aspect shows."""
    sections = ASPECTS.get(aspect, ASPECTS["overview"])[1]
    for hit in hits:
        if hit.section == f"faq:{faq_index}":
            return True
        if hit.section in sections:
            return False
    return False


def _answer_service(
    catalog: Catalog, search: Searcher, text: str, aspect: Optional[str], service_id: str, hotline: str
) -> Answer:
    """The answer about a known service; without an aspect, the section search ranks first."""
    hits = _service_hits(search, text, service_id)
    if aspect == "law_status":
        # "Is X still required / abolished?" is what the frequent questions answer.
        questions = [h for h in hits if _faq_index(h.section) is not None] or hits
        if questions:
            return _answer_from_hit(catalog, questions[0], aspect, hotline)
        return compose_law_status(catalog, service_id, None, hotline)
    if aspect is None:
        if hits and _faq_index(hits[0].section) is not None:
            return _answer_from_hit(catalog, hits[0], None, hotline)
        aspect = SECTION_ASPECT.get(hits[0].section, "overview") if hits else "overview"
    return _answer_aspect(catalog, hits, text, aspect, service_id, hotline)


def _answer_aspect(
    catalog: Catalog, hits: Sequence[Hit], text: str, aspect: str, service_id: str, hotline: str
) -> Answer:
    """The section the aspect asks for, with the frequent question the citizen asked, or else the
    section the message names (see :func:`cued_section`), if any."""
    faq_index = matching_faq(catalog, hits, text, service_id)
    if faq_index is not None:
        first = faq_outranks_section(hits, faq_index, aspect)
        return compose_with_faq(catalog, service_id, aspect, faq_index, hotline, faq_first=first)
    section = cued_section(hits, text, aspect)
    if section is not None:
        return compose_with_section(catalog, service_id, aspect, section, hotline)
    return compose(catalog, service_id, aspect, hotline)


def cued_section(hits: Sequence[Hit], text: str, aspect: str) -> Optional[str]:
    """Another section the question may be about: the intent may be wrong when the search ranks a
    section of another aspect first for the service *and* the message names that section with a
    cue phrase ("bao nhiêu tiền", "ở đâu", …) while naming none of the aspect's sections."""
    shown = ASPECTS.get(aspect, ASPECTS["overview"])[1]
    top = next((h.section for h in hits if _faq_index(h.section) is None), None)
    if top is None or top in shown:
        return None
    cues = detect_sections(text)
    return top if top in cues and not set(cues) & set(shown) else None


def _distinct_services(catalog: Catalog, hits: Sequence[Hit]) -> List[Service]:
    seen: List[str] = []
    for hit in hits:
        if hit.score >= SUGGEST_SCORE and hit.service_id not in seen:
            seen.append(hit.service_id)
        if len(seen) == SUGGESTIONS:
            break
    return [catalog.by_id(service_id) for service_id in seen]
