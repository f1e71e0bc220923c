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

from nlu.text import fold_diacritics

_WORD_RE = re.compile(r"\w+", re.UNICODE)
FILE_NAME = "lookup_entities.json"


def alias_key(text: str) -> str:
    """Folded, lower-case words joined by one space: the matching key of a name."""
    return " ".join(_WORD_RE.findall(fold_diacritics(text.lower())))


class AliasMatcher:
    """Longest-match lookup of folded word sequences in a text."""

    def __init__(self, table: Dict[str, Tuple[str, str]]) -> None:
        # folded alias → (entity type, value)
        self.table = table
        self.max_words = max((len(k.split()) for k in table), default=0)

    def find(self, text: str) -> List[Dict[str, Any]]:
        folded = fold_diacritics(text.lower())
        if len(folded) != len(text):  # folding is length-preserving on NFC text; be safe otherwise
            return []
        words = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]
        found: List[Dict[str, Any]] = []
        i = 0
        while i < len(words):
            match = None
            for size in range(min(self.max_words, len(words) - i), 0, -1):
                key = " ".join(w for w, _, _ in words[i : i + size])
                if key in self.table:
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
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        table: Optional[Dict[str, Tuple[str, str]]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.matcher = AliasMatcher(table or {})

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
        wanted = set(self._config["entities"])
        synonyms = {alias_key(k): v for k, v in training_data.entity_synonyms.items()}
        table: Dict[str, Tuple[str, str]] = {}
        for lookup in training_data.lookup_tables:
            if lookup["name"] not in wanted:
                continue
            for element in lookup["elements"]:
                key = alias_key(element)
                if key:
                    table.setdefault(key, (lookup["name"], synonyms.get(key, element)))
        self.matcher = AliasMatcher(table)
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / FILE_NAME, {k: list(v) for k, v in table.items()})
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
        table = {k: (v[0], v[1]) for k, v in raw.items()}
        return cls(config, model_storage, resource, table)

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
            found = self.add_extractor_name(found)
            for entity in found:
                entity.pop("text", None)
                entity.pop("alias", None)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
