"""IntentBlender: a logistic regression on the sentence features, blended into DIET's ranking."""

from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.intent_blender import IntentBlender

# Two features: column 0 means "fee", column 1 means "documents".
FEE, DOCUMENTS = [3.0, 0.0], [0.0, 3.0]


def message(values: Optional[List[float]], intent: str = "", ranking: Optional[dict] = None) -> Message:
    msg = Message.build(text="x", intent=intent or None)
    if values is not None:
        row = scipy.sparse.coo_matrix(np.array([values], dtype=np.float32))
        msg.add_features(Features(row, "sentence", TEXT, "test"))
    if ranking:
        ordered = sorted(ranking.items(), key=lambda item: -item[1])
        msg.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ordered])
        msg.set(INTENT, {"name": ordered[0][0], "confidence": ordered[0][1]})
    return msg


def blender(tmp_path: Path, **config: float) -> IntentBlender:
    component = IntentBlender.create(
        config,
        LocalModelStorage(tmp_path),
        Resource("blend"),
        ExecutionContext(None),  # type: ignore[arg-type]
    )
    examples = [message(FEE, "ask_fee") for _ in range(5)] + [
        message(DOCUMENTS, "ask_documents") for _ in range(5)
    ]
    component.train(TrainingData(training_examples=examples))
    return component


def test_linear_model_learns_the_features(tmp_path: Path) -> None:
    probabilities = blender(tmp_path).linear_probabilities(message(FEE))
    assert probabilities is not None
    assert probabilities["ask_fee"] > 0.9 > probabilities["ask_documents"]


def test_blend_averages_diet_and_linear_and_can_change_the_intent(tmp_path: Path) -> None:
    component = blender(tmp_path, weight=0.5)
    msg = message(FEE, ranking={"ask_documents": 0.6, "ask_fee": 0.4})
    linear = component.linear_probabilities(msg)
    assert linear is not None
    component.process([msg])
    ranking = {r["name"]: r["confidence"] for r in msg.get(INTENT_RANKING_KEY)}
    assert ranking["ask_fee"] == pytest.approx(0.5 * 0.4 + 0.5 * linear["ask_fee"])
    assert msg.get(INTENT)["name"] == "ask_fee"


def test_weight_zero_keeps_diet(tmp_path: Path) -> None:
    component = blender(tmp_path, weight=0.0)
    msg = message(FEE, ranking={"ask_documents": 0.6, "ask_fee": 0.4})
    component.process([msg])
    assert msg.get(INTENT)["name"] == "ask_documents"
    assert msg.get(INTENT)["confidence"] == pytest.approx(0.6)


def test_message_without_features_is_left_alone(tmp_path: Path) -> None:
    component = blender(tmp_path)
    msg = message(None, ranking={"ask_documents": 0.6, "ask_fee": 0.4})
    component.process([msg])
    assert msg.get(INTENT)["name"] == "ask_documents"


def test_persist_and_load_round_trip(tmp_path: Path) -> None:
    trained = blender(tmp_path)
    loaded = IntentBlender.load(
        {},
        LocalModelStorage(tmp_path),
        Resource("blend"),
        ExecutionContext(None),  # type: ignore[arg-type]
    )
    assert loaded.labels == trained.labels
    assert loaded.linear_probabilities(message(DOCUMENTS)) == pytest.approx(
        trained.linear_probabilities(message(DOCUMENTS))
    )


def test_sentence_row_is_rasas_concatenation_of_the_featurizers() -> None:
    from nlu.intent_blender import sentence_row

    msg = Message.build(text="x")
    first = scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0]], dtype=np.float32))
    second = scipy.sparse.coo_matrix(np.array([[1.0, 0.0]], dtype=np.float32))
    msg.add_features(Features(first, "sentence", TEXT, "first"))
    msg.add_features(Features(second, "sentence", TEXT, "second"))
    _, combined = msg.get_sparse_features(TEXT)
    row = sentence_row(msg)
    assert combined is not None and row is not None
    assert row.toarray().tolist() == combined.features.toarray().tolist() == [[0.0, 2.0, 0.0, 1.0, 0.0]]


def test_normalize_scales_each_featurizer_to_unit_length() -> None:
    from nlu.intent_blender import sentence_row

    msg = Message.build(text="x")
    words = scipy.sparse.coo_matrix(np.array([[3.0, 4.0]], dtype=np.float32))
    chars = scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0]], dtype=np.float32))
    msg.add_features(Features(words, "sentence", TEXT, "words"))
    msg.add_features(Features(chars, "sentence", TEXT, "chars"))
    row = sentence_row(msg, normalize=True)
    assert row is not None
    assert row.toarray()[0].tolist() == pytest.approx([0.6, 0.8, 0.0, 1.0, 0.0])


def test_normalized_model_scores_a_long_message_like_its_short_form(tmp_path: Path) -> None:
    # The same words counted ten times (a long story) score as the short question once normalized.
    component = blender(tmp_path, normalize=True, C=100.0)
    short = component.linear_probabilities(message(FEE))
    long = component.linear_probabilities(message([30.0, 0.0]))
    assert short is not None and long is not None
    assert short["ask_fee"] > 0.9
    assert long["ask_fee"] == pytest.approx(short["ask_fee"])
