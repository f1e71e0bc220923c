"""Entity extractor for names listed in lookup tables, insensitive to diacritics and punctuation.

The knowledge base generates the ``service`` lookup table and its synonyms
(``data/nlu/services.generated.yml``), so "cccd", "căn cước" and "can cuoc" all become the entity
``service`` with value ``cap-doi-cap-lai-the-can-cuoc``. Matching runs on diacritic-folded words:
the longest alias wins and matches never overlap.

Every alias mention is found, so a question about one service that names another one as a paper it
needs ("đăng ký mã số thuế có cần photo căn cước không") or as a part of it ("liên thông khai sinh,
nhập hộ khẩu và thẻ bảo hiểm y tế") would yield several services. Two configurable rules keep the
service the citizen asks about (:func:`disambiguate`):

* ``linked_services`` — a liên thông service absorbs the services it links (the same lists as
  ``linked_services`` in ``knowledge/services/*.yaml``; a test keeps them equal): when it is
  mentioned, mentions of its linked services are dropped.
* ``document_names`` — names that denote a paper rather than a procedure ("căn cước", "cccd",
  "hộ khẩu", "thẻ bhyt", "hộ chiếu", "bằng lái", "sổ đỏ" …). A mention through one of these exact
  names is dropped when the message also mentions a service through a name that is not a document
  name ("đổi cccd", "nhập hộ khẩu" and "gia hạn thẻ bhyt" name procedures and stay). When every
  mention is a document name, all are kept.

Long questions often tell a story that names other services before asking about one
(``focus_min_words``, :func:`focus_on_question`): when several services are still left, the ones
named in the question itself (the last clause) are kept; when the question names none, the service
the story opened with is kept.

Typed diacritics must agree with the alias: matching is on folded words, but "bảo tự" is not
"báo tử" and "con dâu" is not "con dấu" (:func:`marks_agree`). Words typed without diacritics
match any alias.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from nlu.text import fold_diacritics, normalize_text

_WORD_RE = re.compile(r"\w+", re.UNICODE)
# Clause boundaries of a question: the citizen's question is usually the last clause.
_CLAUSE_RE = re.compile(r"[,.;:!?\n]+")
_MIN_QUESTION_WORDS = 3
FILE_NAME = "lookup_entities.json"


def alias_key(text: str) -> str:
    """Folded, lower-case words joined by one space: the matching key of a name."""
    return " ".join(_WORD_RE.findall(fold_diacritics(text.lower())))


def surface_form(text: str) -> str:
    """Normalised, lower-case words joined by one space, diacritics kept."""
    return " ".join(_WORD_RE.findall(normalize_text(text).lower()))


def _has_marks(word: str) -> bool:
    """Whether ``word`` carries a vowel or tone mark ("đ" alone does not count: "đc", "đang ky")."""
    return fold_diacritics(word.replace("đ", "d")) != word.replace("đ", "d")


def marks_agree(typed: str, alias: str) -> bool:
    """Whether the words of ``typed`` are spelled as those of ``alias`` where diacritics were typed.

    Both are lower-case words joined by one space with the same folded form. A word typed with vowel
    or tone marks must be spelled exactly as in the alias ("bảo tự" is not "báo tử", "con dâu" is
    not "con dấu"); a word typed without them agrees with any spelling.
    """
    typed_words, alias_words = typed.split(), alias.split()
    if len(typed_words) != len(alias_words):
        return False
    return all(
        not _has_marks(t) or t.replace("đ", "d") == a.replace("đ", "d")
        for t, a in zip(typed_words, alias_words, strict=True)
    )


class AliasMatcher:
    """Longest-match lookup of folded word sequences in a text."""

    def __init__(
        self,
        table: Dict[str, Tuple[str, str]],
        surfaces: Optional[Mapping[str, Sequence[str]]] = None,
    ) -> None:
        # folded alias → (entity type, value)
        self.table = table
        # folded alias → its spellings with diacritics (none: any typed diacritics agree)
        self.surfaces = {k: list(v) for k, v in (surfaces or {}).items() if v}
        self.max_words = max((len(k.split()) for k in table), default=0)
        # Positions whose word starts no alias are skipped without building any candidate.
        self.first_words = frozenset(k.split()[0] for k in table if k.split())

    def _spelling_agrees(self, key: str, typed: str) -> bool:
        spellings = self.surfaces.get(key)
        if not spellings or typed.isascii():
            return True
        return any(marks_agree(typed, spelling) for spelling in spellings)

    def find(self, text: str) -> List[Dict[str, Any]]:
        folded = fold_diacritics(text.lower())
        if len(folded) != len(text):  # folding is length-preserving on NFC text; be safe otherwise
            return []
        words = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]
        lowered = text.lower()
        found: List[Dict[str, Any]] = []
        i = 0
        while i < len(words):
            match = None
            if words[i][0] not in self.first_words:
                i += 1
                continue
            for size in range(min(self.max_words, len(words) - i), 0, -1):
                key = " ".join(w for w, _, _ in words[i : i + size])
                if key not in self.table:
                    continue
                typed = " ".join(lowered[s:e] for _, s, e in words[i : i + size])
                if self._spelling_agrees(key, typed):
                    match = (size, key, self.table[key])
                    break
            if match is None:
                i += 1
                continue
            size, key, (entity, value) = match
            start, end = words[i][1], words[i + size - 1][2]
            found.append(
                {
                    "entity": entity,
                    "start": start,
                    "end": end,
                    "value": value,
                    "text": text[start:end],
                    "alias": key,
                }
            )
            i += size
        return found


def disambiguate(
    found: Sequence[Dict[str, Any]],
    linked_services: Mapping[str, Iterable[str]],
    document_names: Iterable[str],
    entity: str = "service",
) -> List[Dict[str, Any]]:
    """Drops the ``entity`` mentions that name a linked part or a needed paper (see module doc).

    ``found`` are :meth:`AliasMatcher.find` results (with their folded ``alias``); other entity
    types pass through untouched, and the order of the mentions is kept.
    """
    documents = {alias_key(name) for name in document_names}
    ours = [e for e in found if e["entity"] == entity]
    procedures = [e for e in ours if e["alias"] not in documents]
    dropped = set()
    if procedures:
        dropped |= {id(e) for e in ours if e["alias"] in documents}
    mentioned = {e["value"] for e in ours if id(e) not in dropped}
    absorbed = {
        part
        for value, parts in linked_services.items()
        if value in mentioned
        for part in parts
        if part != value
    }
    dropped |= {id(e) for e in ours if e["value"] in absorbed}
    return [e for e in found if id(e) not in dropped]


def focus_on_question(
    found: Sequence[Dict[str, Any]], text: str, min_words: int, entity: str = "service"
) -> List[Dict[str, Any]]:
    """In a long message naming several ``entity`` values, keeps the one(s) asked about.

    The question is the last clause of at least three words. Values named there are kept; when it
    names none, the value named first (the one the story is about) is kept. Messages shorter than
    ``min_words`` words (or ``min_words`` 0) and messages naming one value are left alone.
    """
    ours = [e for e in found if e["entity"] == entity]
    if min_words <= 0 or len({e["value"] for e in ours}) < 2:
        return list(found)
    if len(_WORD_RE.findall(text)) < min_words:
        return list(found)
    begin = question_start(text)
    asked = {e["value"] for e in ours if e["start"] >= begin}
    keep = asked or {ours[0]["value"]}
    return [e for e in found if e["entity"] != entity or e["value"] in keep]


def alias_tables(
    training_data: TrainingData, entities: Iterable[str]
) -> Tuple[Dict[str, Tuple[str, str]], Dict[str, List[str]]]:
    """The lookup tables named in ``entities`` as (folded alias → (entity, value), folded alias →
    spellings with diacritics), values mapped through the entity synonyms."""
    wanted = set(entities)
    synonyms = {alias_key(k): v for k, v in training_data.entity_synonyms.items()}
    table: Dict[str, Tuple[str, str]] = {}
    surfaces: Dict[str, List[str]] = {}
    for lookup in training_data.lookup_tables:
        if lookup["name"] not in wanted:
            continue
        for element in lookup["elements"]:
            key = alias_key(element)
            if not key:
                continue
            table.setdefault(key, (lookup["name"], synonyms.get(key, element)))
            spelling = surface_form(element)
            if spelling != key and spelling not in surfaces.setdefault(key, []):
                surfaces[key].append(spelling)
    return table, surfaces


AliasTable = Tuple[Dict[str, Tuple[str, str]], Dict[str, List[str]]]


def alias_table_to_json(
    table: Mapping[str, Tuple[str, str]], surfaces: Mapping[str, Sequence[str]]
) -> Dict[str, list]:
    """The alias tables as stored in a model: folded alias → [entity, value, spellings]."""
    return {k: [*v, list(surfaces.get(k, []))] for k, v in table.items()}


def alias_table_from_json(raw: Mapping[str, Sequence[Any]]) -> AliasTable:
    """(table, surfaces) back from :func:`alias_table_to_json`."""
    table = {k: (str(v[0]), str(v[1])) for k, v in raw.items()}
    surfaces = {k: list(v[2]) for k, v in raw.items() if len(v) > 2}
    return table, surfaces


def question_start(text: str) -> int:
    """Offset where the question begins: the last clause of at least three words (0: all)."""
    start = 0
    for boundary in _CLAUSE_RE.finditer(text):
        if len(_WORD_RE.findall(text[boundary.end() :])) >= _MIN_QUESTION_WORDS:
            start = boundary.end()
    return start


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LookupEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds lookup-table names (with or without diacritics) and maps them through synonyms."""

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        return ["vi"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Lookup tables to use; each table's name is the entity type it yields.
            "entities": ["service"],
            # Service value → the services it links (liên thông), absorbed when it is mentioned.
            "linked_services": {},
            # Names of papers: dropped when a service is also named as a procedure.
            "document_names": [],
            # From this many words on, a message naming several services keeps the one asked
            # about (see focus_on_question); 0 turns this off.
            "focus_min_words": 0,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        table: Optional[Dict[str, Tuple[str, str]]] = None,
        surfaces: Optional[Mapping[str, Sequence[str]]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.matcher = AliasMatcher(table or {}, surfaces)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LookupEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        table, surfaces = alias_tables(training_data, self._config["entities"])
        self.matcher = AliasMatcher(table, surfaces)
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / FILE_NAME, alias_table_to_json(table, surfaces))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LookupEntityExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                raw = read_json_file(directory / FILE_NAME)
        except ValueError:
            raw = {}
        return cls(config, model_storage, resource, *alias_table_from_json(raw))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = disambiguate(
                self.matcher.find(text),
                self._config["linked_services"] or {},
                self._config["document_names"] or [],
            )
            found = focus_on_question(found, text, int(self._config["focus_min_words"] or 0))
            found = self.add_extractor_name(found)
            for entity in found:
                entity.pop("text", None)
                entity.pop("alias", None)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
