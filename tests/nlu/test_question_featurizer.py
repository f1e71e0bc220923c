"""QuestionFeaturizer: service names as a placeholder, the question clause featurised apart."""

from pathlib import Path
from typing import List

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalizer import VietnameseNormalizer
from nlu.question_featurizer import QuestionFeaturizer
from nlu.tokenizer import UndertheseaTokenizer


def prepared(text: str, intent: str = "") -> Message:
    message = Message.build(text=text, intent=intent or None)
    VietnameseNormalizer().process([message])
    UndertheseaTokenizer(UndertheseaTokenizer.get_default_config()).process([message])
    return message


def training_data() -> TrainingData:
    aliases = {"ly-lich": ["lý lịch tư pháp", "lltp"], "tam-tru": ["đăng ký tạm trú", "tạm trú"]}
    examples = [
        prepared("lltp", "ask_overview"),
        prepared("đăng ký tạm trú", "ask_overview"),
        prepared("lý lịch tư pháp bao nhiêu tiền", "ask_fee"),
        prepared("tạm trú bao nhiêu tiền", "ask_fee"),
    ]
    return TrainingData(
        training_examples=examples,
        lookup_tables=[{"name": "service", "elements": [a for names in aliases.values() for a in names]}],
        entity_synonyms={a: value for value, names in aliases.items() for a in names},
    )


@pytest.fixture
def trained(tmp_path: Path) -> QuestionFeaturizer:
    featurizer = QuestionFeaturizer.create(
        {"min_count": 2},
        LocalModelStorage(tmp_path),
        Resource("q"),
        ExecutionContext(None),  # type: ignore[arg-type]
    )
    featurizer.train(training_data())
    return featurizer


def active(featurizer: QuestionFeaturizer, text: str) -> List[str]:
    message = prepared(text)
    featurizer.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    assert sequence is None  # sentence features only
    assert sentence is not None and sentence.features.shape == (1, len(featurizer.vocabulary))
    names = {index: gram for gram, index in featurizer.vocabulary.items()}
    return sorted(names[i] for i in sentence.features.tocoo().col)


def test_service_names_share_one_placeholder(trained: QuestionFeaturizer) -> None:
    # seen twice in training through two different services: in the vocabulary
    assert "w:__service__" in trained.vocabulary
    assert active(trained, "LLTP") == active(trained, "dang ky tam tru")
    assert "q:^ __service__" in active(trained, "đăng ký tạm trú")


def test_the_question_after_a_story_reads_like_the_short_question(trained: QuestionFeaturizer) -> None:
    story = "Tôi sắp đi làm ở Nhật, công ty bảo phải nộp lý lịch tư pháp, vậy bao nhiêu tiền"
    asked = {g for g in active(trained, story) if g.startswith("q:")}
    assert asked == {"q:bao_nhieu", "q:tien", "q:bao_nhieu tien", "q:tien $"}
    assert asked <= set(active(trained, "tạm trú bao nhiêu tiền"))
    assert "q:__service__" not in asked  # the service is in the story, not in the question


def test_persist_and_load_round_trip(trained: QuestionFeaturizer, tmp_path: Path) -> None:
    loaded = QuestionFeaturizer.load(
        {"min_count": 2},
        LocalModelStorage(tmp_path),
        Resource("q"),
        ExecutionContext(None),  # type: ignore[arg-type]
    )
    assert loaded.vocabulary == trained.vocabulary
    text = "lltp bao nhiêu tiền"
    assert active(loaded, text) == active(trained, text)


def test_min_count_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        QuestionFeaturizer.create(
            {"min_count": 0}, LocalModelStorage(tmp_path), Resource("q"), ExecutionContext(None)
        )  # type: ignore[arg-type]


def test_messages_without_tokens_get_no_features(trained: QuestionFeaturizer) -> None:
    # DIET needs every featurizer to skip the same messages (CountVectors skips these too)
    message = prepared("👍")
    trained.process([message])
    assert message.get_sparse_features(TEXT) == (None, None)


def test_shape_features_tell_a_bare_service_name_from_a_question() -> None:
    from nlu.question_featurizer import SERVICE, shape_grams

    assert shape_grams([SERVICE]) == ["shape:service", "shape:len0", "shape:service:len0"]
    assert shape_grams(["doi", SERVICE]) == ["shape:service", "shape:len1", "shape:service:len1"]
    assert "shape:none:len>8" in shape_grams(["w"] * 9)
    assert "shape:none:len4" in shape_grams(["bao", "nhieu", "tien", "vay"])


def test_shape_features_only_when_configured(tmp_path: Path) -> None:
    featurizer = QuestionFeaturizer.create(
        {"min_count": 2, "shape_features": True},
        LocalModelStorage(tmp_path),
        Resource("q"),
        ExecutionContext(None),  # type: ignore[arg-type]
    )
    featurizer.train(training_data())
    assert "shape:service:len0" in active(featurizer, "lltp")
    assert not any(g.startswith("shape:") for g in featurizer_grams_without_shape(tmp_path))


def featurizer_grams_without_shape(tmp_path: Path) -> List[str]:
    (tmp_path / "plain").mkdir()
    featurizer = QuestionFeaturizer.create(
        {"min_count": 2},
        LocalModelStorage(tmp_path / "plain"),
        Resource("p"),
        ExecutionContext(None),  # type: ignore[arg-type]
    )
    featurizer.train(training_data())
    return list(featurizer.vocabulary)
