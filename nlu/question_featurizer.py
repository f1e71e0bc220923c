"""Sentence features that let a long story-like question look like the short question it ends with.

Two bags of word 1–2-grams over the tokens' lemmas (folded, teencode-expanded):

* the whole message, with every service name replaced by one placeholder, so "lltp", "đăng ký
  thường trú" and "đổi bằng lái" all read ``__service__`` and "đổi cccd mất bao lâu" reads
  ``__service__ mat bao_lau`` — what is asked, whatever the service;
* the question alone (the last clause of at least three words, :func:`nlu.lookup_extractor.question_start`),
  marked apart, so that "…, nghe nói phải có hộ chiếu, vậy lệ phí là bao nhiêu" shares its features
  with "lệ phí là bao nhiêu" however long the story before it.

Service names come from the same lookup tables as :class:`nlu.lookup_extractor.LookupEntityExtractor`.
The vocabulary is the n-grams of the training examples seen at least ``min_count`` times.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional, Sequence, Type

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from nlu.lookup_extractor import (
    AliasMatcher,
    alias_table_from_json,
    alias_table_to_json,
    alias_tables,
    question_start,
)

SERVICE = "__service__"
FILE_NAME = "question_features.json"


def placeholder_lemmas(tokens: Sequence[Token], spans: Sequence[tuple]) -> List[tuple]:
    """(lemma, start) of the tokens, each service-name span collapsed into one placeholder."""
    out: List[tuple] = []
    for token in tokens:
        span = next((s for s in spans if token.start < s[1] and token.end > s[0]), None)
        if span is None:
            # A lemma may hold several syllables ("dang ky"): each is a word here.
            out.extend((part, token.start) for part in (token.lemma or token.text.lower()).split())
        elif not out or out[-1] != (SERVICE, span[0]):
            out.append((SERVICE, span[0]))
    return out


def ngrams(words: Sequence[str], prefix: str) -> List[str]:
    """``prefix``-marked unigrams and bigrams, the bigrams with sentence edges (^ and $)."""
    padded = ["^", *words, "$"]
    grams = [f"{prefix}{w}" for w in words]
    grams += [f"{prefix}{a} {b}" for a, b in itertools.pairwise(padded)]
    return grams


# Upper bounds of the length buckets, in words other than service names.
LENGTH_BUCKETS = (0, 1, 2, 4, 8)


def shape_grams(words: Sequence[str]) -> List[str]:
    """The message's shape: whether it names a service, and how many other words it has.

    A service name with little around it ("đổi căn cước gắn chip") asks about the service in
    general; short messages without one are greetings, thanks or menu choices.
    """
    others = sum(1 for word in words if word != SERVICE)
    bucket = next((f"{b}" for b in LENGTH_BUCKETS if others <= b), f">{LENGTH_BUCKETS[-1]}")
    named = "service" if SERVICE in words else "none"
    return [f"shape:{named}", f"shape:len{bucket}", f"shape:{named}:len{bucket}"]


def question_grams(
    text: str, tokens: Sequence[Token], matcher: AliasMatcher, shape: bool = False
) -> List[str]:
    """The n-grams of the whole message (``w:``) and of its question clause (``q:``)."""
    spans = [(e["start"], e["end"]) for e in matcher.find(text)]
    lemmas = placeholder_lemmas(tokens, spans)
    begin = question_start(text)
    asked = [lemma for lemma, start in lemmas if start >= begin]
    words = [lemma for lemma, _ in lemmas]
    grams = ngrams(words, "w:") + ngrams(asked, "q:")
    return grams + shape_grams(words) if shape else grams


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class QuestionFeaturizer(SparseFeaturizer, GraphComponent):
    """Sparse sentence features: service names as a placeholder, the question clause apart."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        return ["vi"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            # Lookup tables whose names become the placeholder.
            "entities": ["service"],
            # An n-gram enters the vocabulary when this many training examples have it.
            "min_count": 2,
            # Message shape features (service named or not, length bucket): see shape_grams.
            "shape_features": False,
        }

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if int(config.get("min_count", 1)) < 1:
            raise ValueError("QuestionFeaturizer: min_count must be at least 1")

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Optional[Dict[str, int]] = None,
        matcher: Optional[AliasMatcher] = None,
    ) -> None:
        super().__init__(self.__class__.__name__, {**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary: Dict[str, int] = vocabulary or {}
        self.matcher = matcher or AliasMatcher({})

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> QuestionFeaturizer:
        return cls(config, model_storage, resource)

    def _grams(self, message: Message) -> Optional[List[str]]:
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not isinstance(text, str) or not tokens:
            return None  # like the other featurizers: no tokens (e.g. "👍"), no features
        return question_grams(text, tokens, self.matcher, bool(self._config.get("shape_features")))

    def train(self, training_data: TrainingData) -> Resource:
        table, surfaces = alias_tables(training_data, self._config["entities"])
        self.matcher = AliasMatcher(table, surfaces)
        counts: Dict[str, int] = {}
        for example in training_data.intent_examples:
            for gram in set(self._grams(example) or []):
                counts[gram] = counts.get(gram, 0) + 1
        kept = sorted(g for g, n in counts.items() if n >= int(self._config["min_count"]))
        self.vocabulary = {gram: index for index, gram in enumerate(kept)}
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(
                directory / FILE_NAME,
                {"vocabulary": kept, "table": alias_table_to_json(table, surfaces)},
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> QuestionFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                raw = read_json_file(directory / FILE_NAME)
        except ValueError:
            return cls(config, model_storage, resource)
        vocabulary = {gram: index for index, gram in enumerate(raw["vocabulary"])}
        return cls(
            config, model_storage, resource, vocabulary, AliasMatcher(*alias_table_from_json(raw["table"]))
        )

    def _featurize(self, message: Message) -> None:
        grams = self._grams(message)
        if grams is None or not self.vocabulary:
            return
        columns = sorted({self.vocabulary[g] for g in grams if g in self.vocabulary})
        data = np.ones(len(columns), dtype=np.float32)
        rows = np.zeros(len(columns), dtype=np.int32)
        sentence = scipy.sparse.coo_matrix((data, (rows, columns)), shape=(1, len(self.vocabulary)))
        self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages
