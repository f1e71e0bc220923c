"""Which frequent question of a known service a message asks, from the content words they share.

The service is already known, so its names are no evidence: the aliases of the service found in a
text are removed from it, the words of the aliases found in the message are removed from the
frequent questions too, and the words of a question's aliases count only when the message uses
them as ordinary words ("Khi nào phải gia hạn tạm trú?" and "tạm trú sắp hết hạn thì gia hạn lúc
nào" share "gia hạn").
Function words (``analysis.STOPWORDS`` and the modal markers below) carry no content either. Every
remaining folded syllable is weighted by its inverse document frequency over the search documents
of the knowledge base (sections and frequent questions), so a word that many of them use ("hồ sơ",
"nộp", "giấy") counts little.

A frequent question *matches* the message when

* at least :data:`MIN_SHARED_WORDS` of its content words are in the message — one shared word is
  chance —, one of them in the message's question (the last clause of a long story, as search
  reads it: ``analysis.question_span``), not only in the story around it;
* the shared words carry at least half of its content weight — the message asks most of what the
  question asks —; and
* no other frequent question of the service shares as much — a tie is no clear answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple

from knowledge.analysis import (
    STOPWORDS,
    canonical,
    expand_abbreviations,
    folded_words,
    question_span,
    syllables,
)
from knowledge.catalog import Catalog
from knowledge.documents import render_section, section_ids
from nlu.text import fold_diacritics

MIN_SHARED_WORDS = 2
MIN_COVERAGE = 0.5
# Modal and aspect markers that questions add to any verb ("có phải … không", "đi làm", "… xong").
MARKERS = frozenset({"phải", "đi", "xong"})

_FUNCTION_WORDS = STOPWORDS | MARKERS
_FOLDED_FUNCTION_WORDS = frozenset(fold_diacritics(word) for word in _FUNCTION_WORDS)

AliasKey = Tuple[str, ...]


@dataclass(frozen=True)
class Words:
    """The content of one text: folded content words, those of its question, its alias words."""

    content: FrozenSet[str]
    question: FrozenSet[str]
    alias_words: FrozenSet[str]


@dataclass(frozen=True)
class FaqScore:
    index: int  # position in the service's faq list
    coverage: float  # share of the frequent question's content weight found in the message
    shared: Tuple[str, ...]  # the folded content words both texts have
    in_question: bool  # one of them is in the message's question


def _is_function_word(typed: str, folded: str) -> bool:
    # Typed without diacritics, a syllable may be a function word ("co" for "có").
    return typed in _FUNCTION_WORDS or (typed == folded and folded in _FOLDED_FUNCTION_WORDS)


def alias_keys(names: Iterable[str]) -> FrozenSet[AliasKey]:
    """Folded syllable sequences of a service's names and aliases."""
    keys = {tuple(folded_words(name)) for name in names}
    return frozenset(key for key in keys if key)


def _alias_length(folded: List[str], start: int, aliases: FrozenSet[AliasKey], longest: int) -> int:
    """Words of the longest alias starting at ``start`` (0: none)."""
    for length in range(min(longest, len(folded) - start), 0, -1):
        if tuple(folded[start : start + length]) in aliases:
            return length
    return 0


def content_words(text: str, aliases: FrozenSet[AliasKey]) -> Words:
    """The content of ``text`` once the aliases (longest first) and function words are removed."""
    lowered = expand_abbreviations(canonical(text))
    typed = syllables(lowered)
    folded = [fold_diacritics(syllable) for syllable in typed]
    question_start, question_end = question_span(lowered, len(typed))
    question_end = len(typed) if question_end is None else question_end
    longest = max((len(key) for key in aliases), default=0)
    content: Set[str] = set()
    question: Set[str] = set()
    alias_words: Set[str] = set()
    i = 0
    while i < len(typed):
        length = _alias_length(folded, i, aliases, longest)
        if length:
            alias_words.update(folded[i : i + length])
            i += length
            continue
        if not _is_function_word(typed[i], folded[i]):
            content.add(folded[i])
            if question_start <= i < question_end:
                question.add(folded[i])
        i += 1
    return Words(frozenset(content), frozenset(question), frozenset(alias_words))


def _documents(catalog: Catalog) -> Iterator[Tuple[str, str]]:
    """(service id, text) of every search document of the catalog: sections and frequent questions."""
    for service in catalog.services:
        for section in section_ids(service):
            yield service.id, render_section(service, section)


class FaqMatcher:
    """Scores a message against the frequent questions of one service (see the module docstring)."""

    def __init__(self, catalog: Catalog) -> None:
        self._aliases: Dict[str, FrozenSet[AliasKey]] = {
            s.id: alias_keys((s.name, s.short_name, *s.aliases)) for s in catalog.services
        }
        self._questions: Dict[str, List[Words]] = {
            s.id: [content_words(f.question, self._aliases[s.id]) for f in s.faq] for s in catalog.services
        }
        frequency: Dict[str, int] = {}
        total = 0
        for service_id, text in _documents(catalog):
            total += 1
            words = content_words(text, self._aliases[service_id])
            for word in words.content | words.alias_words:
                frequency[word] = frequency.get(word, 0) + 1
        self._idf = {word: math.log((total + 1) / (count + 1)) + 1.0 for word, count in frequency.items()}

    def weight(self, word: str) -> float:
        return self._idf.get(word, 0.0)

    def scores(self, text: str, service_id: str) -> List[FaqScore]:
        """Every frequent question of the service, best first."""
        message = content_words(text, self._aliases.get(service_id, frozenset()))
        scored: List[FaqScore] = []
        for index, question in enumerate(self._questions.get(service_id, [])):
            asked = (question.content - message.alias_words) | (question.alias_words & message.content)
            total = sum(self.weight(w) for w in asked)
            shared = message.content & asked
            coverage = sum(self.weight(w) for w in shared) / total if total else 0.0
            scored.append(FaqScore(index, coverage, tuple(sorted(shared)), bool(shared & message.question)))
        return sorted(scored, key=lambda s: (-s.coverage, -len(s.shared), s.index))

    def best(self, text: str, service_id: str) -> Optional[FaqScore]:
        """The frequent question the message clearly asks, or None."""
        ranked = self.scores(text, service_id)
        if not ranked:
            return None
        first = ranked[0]
        if len(first.shared) < MIN_SHARED_WORDS or not first.in_question or first.coverage < MIN_COVERAGE:
            return None
        if len(ranked) > 1 and ranked[1].coverage >= first.coverage:
            return None
        return first


_last: List[Tuple[Catalog, FaqMatcher]] = []


def matcher_for(catalog: Catalog) -> FaqMatcher:
    """The matcher of ``catalog``, built on first use and kept while the same catalog is used."""
    if not _last or _last[0][0] is not catalog:
        _last[:] = [(catalog, FaqMatcher(catalog))]
    return _last[0][1]
