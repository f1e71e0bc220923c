"""Province and commune entities, resolved to the units in force since 1/7/2025.

Citizens still write the names they know: "Hà Giang", "huyện Đan Phượng", "quận 1". underthesea's
address converter (its mapping ships inside the package) turns old provinces, districts and
communes into the current two-level units, so ``province`` and ``commune`` entities always carry
today's names ("Tỉnh Tuyên Quang", "Xã Hoài Đức").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.lookup_extractor import AliasMatcher
from nlu.text import fold_diacritics

# Everyday names the mapping does not list.
PROVINCE_NICKNAMES = {
    "sai gon": "thanhphohochiminh",
    "hcm": "thanhphohochiminh",
    "tp hcm": "thanhphohochiminh",
    "tphcm": "thanhphohochiminh",
    "ho chi minh": "thanhphohochiminh",
    "hn": "thanhphohanoi",
}
_UNIT_RE = re.compile(
    r"\b(?P<kind>xa|phuong|thi tran|dac khu|huyen|quan|thi xa)\s+"
    r"(?P<name>\d{1,2}\b|[a-z]+(?:\s+[a-z]+){0,3}?)(?=\s*(?:,|\.|;|$|\s(?:o|tai|thuoc|huyen|quan|thi xa|tinh|"
    r"thanh pho|tp|xa|phuong)\b))",
)


@lru_cache(maxsize=1)
def _province_matcher() -> Tuple[AliasMatcher, Dict[str, str]]:
    """Matcher over old and current province names; also key → display name of the old unit."""
    import json
    from pathlib import Path

    import underthesea.address as address

    data = json.loads((Path(address.__file__).parent / "data" / "mapping.json").read_text(encoding="utf-8"))
    table: Dict[str, Tuple[str, str]] = {}
    names: Dict[str, str] = {}
    for key, info in {**data["old_province_names"], **data["province_names"]}.items():
        names[key] = info["name"]
        for name in (info["name"], info["short"]):
            folded = " ".join(fold_diacritics(name.lower()).split())
            table[folded] = ("province", key)
    for nickname, key in PROVINCE_NICKNAMES.items():
        table.setdefault(nickname, ("province", key))
    return AliasMatcher(table), names


def find_locations(text: str) -> List[Dict[str, Any]]:
    """Province and commune mentions in ``text`` with current names as values."""
    from underthesea.address import ConversionStatus, convert_address

    matcher, names = _province_matcher()
    provinces = matcher.find(text)
    if not provinces:
        return []
    province = provinces[-1]
    old_name = names[province["value"]]
    folded = fold_diacritics(text.lower())
    units = [(m.group("kind"), m.start(), m.end()) for m in _UNIT_RE.finditer(folded)]
    ward: Optional[Tuple[int, int]] = None
    district: Optional[Tuple[int, int]] = None
    for kind, start, end in units:
        if kind in ("xa", "phuong", "thi tran", "dac khu") and ward is None:
            ward = (start, end)
        elif kind in ("huyen", "quan", "thi xa") and district is None:
            district = (start, end)
    parts = [text[span[0] : span[1]] for span in (ward, district) if span is not None]
    result = convert_address(", ".join([*parts, old_name]))
    entities: List[Dict[str, Any]] = []
    if result.new and result.new.province:
        entities.append({**_span(province), "entity": "province", "value": result.new.province})
    if ward and result.status == ConversionStatus.SUCCESS and result.new and result.new.ward:
        entities.append({"entity": "commune", "start": ward[0], "end": ward[1], "value": result.new.ward})
    return entities


def _span(entity: Dict[str, Any]) -> Dict[str, Any]:
    return {"start": entity["start"], "end": entity["end"]}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LocationEntityExtractor(GraphComponent, EntityExtractorMixin):
    """``province`` and ``commune`` entities with their post-1/7/2025 names (underthesea.address)."""

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        return ["vi"]

    @staticmethod
    def required_packages() -> List[str]:
        return ["underthesea"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LocationEntityExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = self.add_extractor_name(find_locations(text))
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
