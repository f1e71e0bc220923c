"""Turn the catalog into search documents: one per (service, section) and one per frequent question.

Each document has the fields of ``analysis.FIELDS`` as lists of pre-analysed tokens, plus the
text a Hit shows. A section that is a known gap is still indexed (with empty text) so that a
question about it lands there and the answer can say where to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from knowledge.analysis import Lexicon, analyze, cue_tokens, service_token, strip_cues
from knowledge.catalog import Catalog
from knowledge.schema import SECTION_NAMES, DocumentsSection, LegalSection, Service, TextSection
from nlu.text import fold

FAQ_PREFIX = "faq:"


@dataclass(frozen=True)
class SectionDoc:
    service_id: str
    service_no: int
    section: str
    text: str
    fields: Dict[str, List[str]]
    raw: str  # the raw text (names, aliases, section text) — used only by the naive baseline

    @property
    def doc_id(self) -> str:
        return f"{self.service_id}:{self.section}"


def render_section(service: Service, section: str) -> str:
    """The section as a short plain string: bullets joined by newlines ("" for a gap)."""
    if section.startswith(FAQ_PREFIX):
        faq = service.faq[int(section[len(FAQ_PREFIX) :])]
        return f"{faq.question}\n{faq.answer}"
    value = getattr(service, section)
    if isinstance(value, DocumentsSection):
        return "\n".join(doc.render() for doc in value.items)
    if isinstance(value, LegalSection):
        return "\n".join(ref.render() for ref in value.items)
    if isinstance(value, TextSection):
        return "\n".join(value.items)
    raise ValueError(f"unknown section {section!r}")


def section_ids(service: Service) -> List[str]:
    return [*SECTION_NAMES, *(f"{FAQ_PREFIX}{i}" for i in range(len(service.faq)))]


def service_names(service: Service) -> List[str]:
    """Official name, short name and aliases, one per folded form (the accented spelling wins)."""
    chosen: Dict[str, str] = {}
    for name in (service.name, service.short_name, *service.aliases):
        key = fold(name)
        current = chosen.get(key)
        if current is None or (fold(current) == current.lower() and fold(name) != name.lower()):
            chosen[key] = name
    return list(chosen.values())


def lexicon_entries(catalog: Catalog) -> Iterator[Tuple[str, str, Sequence[str]]]:
    for service in catalog.services:
        yield service.id, service.name, [service.short_name, *service.aliases]


def build_lexicon(catalog: Catalog) -> Lexicon:
    bundles = [service.id for service in catalog.services if service.linked_services]
    return Lexicon.build(lexicon_entries(catalog), bundles)


def _name_field(service: Service) -> List[str]:
    tokens = list(service.procedure_codes)
    for name in service_names(service):
        tokens.extend(analyze(name))
    return tokens


def _without(tokens: List[str], names: Set[str]) -> List[str]:
    return [t for t in tokens if t not in names]


def build_documents(catalog: Catalog, progress: Optional[Callable[[int], Any]] = None) -> List[SectionDoc]:
    """Every searchable document of the catalog, in a stable order.

    The body and faq fields leave out the tokens of the service's own names and aliases: the name
    field already scores service identity, equally for every section of the service, and counting
    it again would favour whichever section happens to repeat the service name (the overview).
    """
    docs: List[SectionDoc] = []
    section_cues = {section: cue_tokens(section) for section in SECTION_NAMES}
    lexicon = build_lexicon(catalog)
    for service in catalog.services:
        name_field = _name_field(service)
        names = set(name_field)
        service_field = [service_token(service.id)]
        keywords_field = _without(analyze(" ; ".join(service.keywords)), names) if service.keywords else []
        raw_names = " ".join(service_names(service))
        for section in SECTION_NAMES:
            text = render_section(service, section)
            value = getattr(service, section)
            body = "\n".join(filter(None, (text, value.caveat)))
            docs.append(
                SectionDoc(
                    service_id=service.id,
                    service_no=service.number,
                    section=section,
                    text=text,
                    fields={
                        "service": service_field,
                        "name": name_field,
                        "keywords": keywords_field,
                        "faq": [],
                        "cue": section_cues[section],
                        "body": _without(analyze(body), names),
                    },
                    raw=f"{raw_names}\n{body}",
                )
            )
        for i, faq in enumerate(service.faq):
            docs.append(
                SectionDoc(
                    service_id=service.id,
                    service_no=service.number,
                    section=f"{FAQ_PREFIX}{i}",
                    text=f"{faq.question}\n{faq.answer}",
                    fields={
                        "service": service_field,
                        "name": name_field,
                        "keywords": keywords_field,
                        "faq": _without(analyze(strip_cues(faq.question, lexicon.aliases)), names),
                        "cue": [],  # a frequent question wins on its wording, not on cue words
                        "body": [],  # the answer restates sections; a faq wins on its question
                    },
                    raw=f"{raw_names}\n{faq.question}\n{faq.answer}",
                )
            )
        if progress is not None:
            progress(1)
    return docs
