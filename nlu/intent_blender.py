"""A linear intent model blended with DIET's ranking.

DIET (no transformer) and a multinomial logistic regression over the same sparse sentence features
make different mistakes: DIET learns a dense embedding of the features, the logistic regression
weighs each n-gram directly. Placed after ``DIETClassifier``, this component trains the logistic
regression on the sentence features of the training examples and, for each message, replaces the
intent ranking with ``(1 − weight) · P_DIET + weight · P_linear``; the FallbackClassifier after it
sees the blended confidence.

The model is stored as plain arrays (coefficients, intercepts, labels), never pickled.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import scipy.sparse
import scipy.special
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

FILE_NAME = "intent_blender.npz"


def sentence_columns(
    message: Message, normalize: bool = False
) -> Optional[Tuple[np.ndarray, np.ndarray, int]]:
    """(columns, values, width) of the message's sparse sentence features of every featurizer.

    With ``normalize``, each featurizer's part is scaled to unit length, so that a long message's
    many character n-grams do not outweigh its words.

    The same concatenation as ``Message.get_sparse_features`` (features in pipeline order), without
    building its sparse matrices (and the unused sequence features): a message has a few dozen
    non-zero columns, so scoring gathers just those columns of the weights.
    """
    parts = [
        f
        for f in message.features
        if f.attribute == TEXT and f.is_sparse() and f.type == FEATURE_TYPE_SENTENCE
    ]
    if not parts:
        return None
    columns, values, width = [], [], 0
    for part in parts:
        matrix = part.features.tocoo()
        data = matrix.data.astype(np.float32)
        if normalize and data.size:
            data = data / np.float32(np.sqrt(np.dot(data, data)) or 1.0)
        columns.append(matrix.col.astype(np.int64) + width)
        values.append(data)
        width += int(matrix.shape[1])
    return np.concatenate(columns), np.concatenate(values), width


def sentence_row(message: Message, normalize: bool = False) -> Optional[scipy.sparse.csr_matrix]:
    """The sparse sentence features as one 1×width row (for training)."""
    found = sentence_columns(message, normalize)
    if found is None:
        return None
    columns, values, width = found
    rows = np.zeros(len(columns), dtype=np.int64)
    return scipy.sparse.csr_matrix((values, (rows, columns)), shape=(1, width))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentBlender(GraphComponent, IntentClassifier):
    """Logistic regression on the sparse sentence features, blended into DIET's intent ranking."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Share of the linear model in the blended probability (0: DIET alone).
            "weight": 0.5,
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # Scale each featurizer's sentence features to unit length before the regression.
            "normalize": False,
            # Intents kept in the ranking.
            "ranking_length": 10,
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["sklearn"]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        labels: Optional[List[str]] = None,
        coef: Optional[np.ndarray] = None,
        intercept: Optional[np.ndarray] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.labels = labels or []
        self.coef = coef
        self.intercept = intercept

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentBlender:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for example in training_data.intent_examples:
            row = sentence_row(example, bool(self._config["normalize"]))
            if row is not None and example.get(INTENT):
                rows.append(row)
                labels.append(str(example.get(INTENT)))
        if len(set(labels)) < 2:
            return self._resource
        model = LogisticRegression(C=float(self._config["C"]), max_iter=3000)
        model.fit(scipy.sparse.vstack(rows).tocsr(), labels)
        self.labels = [str(label) for label in model.classes_]
        self.coef = np.asarray(model.coef_, dtype=np.float32)
        self.intercept = np.asarray(model.intercept_, dtype=np.float32)
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / FILE_NAME,
                labels=np.array(self.labels),
                coef=self.coef,
                intercept=self.intercept,
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
    ) -> IntentBlender:
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / FILE_NAME, allow_pickle=False) as stored:
                    return cls(
                        config,
                        model_storage,
                        resource,
                        [str(label) for label in stored["labels"]],
                        stored["coef"],
                        stored["intercept"],
                    )
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)

    def linear_probabilities(self, message: Message) -> Optional[Dict[str, float]]:
        found = sentence_columns(message, bool(self._config["normalize"]))
        if found is None or self.coef is None or self.intercept is None:
            return None
        columns, values, width = found
        if width != self.coef.shape[1]:
            return None
        scores = self.coef[:, columns] @ values + self.intercept
        if len(self.labels) == 2 and scores.size == 1:
            scores = np.array([0.0, scores[0]])  # two classes: one logit, for the second label
        return dict(zip(self.labels, scipy.special.softmax(scores).tolist(), strict=True))

    def process(self, messages: List[Message]) -> List[Message]:
        weight = float(self._config["weight"])
        for message in messages:
            linear = self.linear_probabilities(message)
            ranking = message.get(INTENT_RANKING_KEY) or []
            if linear is None or not ranking:
                continue
            diet = {str(r[INTENT_NAME_KEY]): float(r[PREDICTED_CONFIDENCE_KEY]) for r in ranking}
            blended = {
                label: (1 - weight) * diet.get(label, 0.0) + weight * linear.get(label, 0.0)
                for label in set(diet) | set(linear)
            }
            ordered = sorted(blended.items(), key=lambda item: -item[1])
            ordered = ordered[: int(self._config["ranking_length"])]
            new_ranking = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: p} for name, p in ordered]
            message.set(INTENT, new_ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
        return messages
