"""Rasa graph component that puts Vietnamese text into canonical form before tokenisation."""

from __future__ import annotations

import bisect
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.text import normalize_with_offsets

# Raw text is kept on the message under this key, for logging and debugging.
RAW_TEXT = "raw_text"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class VietnameseNormalizer(GraphComponent):
    """NFC, traditional tone-mark placement, no zero-width/control characters, tidy spaces.

    Entity spans of training examples are moved onto the normalised text so that entity
    extractors learn from the same text they will see at inference time.
    """

    @staticmethod
    def supported_languages() -> List[str] | None:
        return ["vi"]

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
    ) -> VietnameseNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
        return messages

    @staticmethod
    def _normalise(message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        normalised, origin = normalize_with_offsets(text)
        if normalised == text:
            return
        message.set(RAW_TEXT, text)
        message.set(TEXT, normalised)
        entities = message.get(ENTITIES)
        if entities:
            message.set(ENTITIES, [_move_entity(e, origin, text, normalised) for e in entities])


def _move_entity(entity: Dict[str, Any], origin: List[int], raw: str, normalised: str) -> Dict[str, Any]:
    """Map an entity span on ``raw`` to the same words in ``normalised``."""
    start = bisect.bisect_left(origin, entity["start"])
    end = bisect.bisect_left(origin, entity["end"])
    moved = dict(entity)
    moved["start"], moved["end"] = start, end
    if entity.get("value") == raw[entity["start"] : entity["end"]]:
        moved["value"] = normalised[start:end]
    return moved
