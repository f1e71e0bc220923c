import unicodedata
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.lookup_extractor import AliasMatcher, LookupEntityExtractor, alias_key
from nlu.normalizer import VietnameseNormalizer


def training_data() -> TrainingData:
    return TrainingData(
        lookup_tables=[
            {
                "name": "service",
                "elements": ["căn cước", "cccd", "thẻ căn cước", "tạm trú", "đăng ký tạm trú"],
            },
            {"name": "other", "elements": ["không dùng"]},
        ],
        entity_synonyms={
            "căn cước": "the-can-cuoc",
            "cccd": "the-can-cuoc",
            "thẻ căn cước": "the-can-cuoc",
            "tạm trú": "tam-tru",
            "đăng ký tạm trú": "tam-tru",
        },
    )


@pytest.fixture
def extractor(tmp_path: Path) -> LookupEntityExtractor:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("lookup")
    component = LookupEntityExtractor.create({}, storage, resource, ExecutionContext(None))  # type: ignore[arg-type]
    component.train(training_data())
    return component


def entities(component: LookupEntityExtractor, text: str) -> list:
    message = Message.build(text=text)
    VietnameseNormalizer().process([message])
    component.process([message])
    seen = message.get(TEXT)
    return [(seen[e["start"] : e["end"]], e["value"]) for e in message.get(ENTITIES, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("làm lại thẻ căn cước mất bao lâu", [("thẻ căn cước", "the-can-cuoc")]),
        ("lam lai the can cuoc", [("the can cuoc", "the-can-cuoc")]),
        ("đổi CCCD ở đâu", [("CCCD", "the-can-cuoc")]),
        (unicodedata.normalize("NFD", "Đăng ký tạm trú online"), [("Đăng ký tạm trú", "tam-tru")]),
        ("dk tam tru va cccd", [("tam tru", "tam-tru"), ("cccd", "the-can-cuoc")]),
        ("tạm trú, tạm vắng", [("tạm trú", "tam-tru")]),
        ("cccdx không khớp", []),
        ("không dùng bảng khác", []),
        ("", []),
    ],
)
def test_finds_names_with_or_without_diacritics(
    extractor: LookupEntityExtractor, text: str, expected: list
) -> None:
    assert entities(extractor, text) == expected


def test_persist_and_load_round_trip(extractor: LookupEntityExtractor, tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    loaded = LookupEntityExtractor.load({}, storage, Resource("lookup"), ExecutionContext(None))  # type: ignore[arg-type]
    text = "cho hỏi thẻ căn cước"
    assert entities(loaded, text) == entities(extractor, text) == [("thẻ căn cước", "the-can-cuoc")]


def test_alias_key_ignores_case_diacritics_and_punctuation() -> None:
    assert alias_key("Cấp đổi, cấp lại  THẺ căn cước") == "cap doi cap lai the can cuoc"


def test_longest_alias_wins() -> None:
    matcher = AliasMatcher({"can cuoc": ("service", "a"), "the can cuoc gan chip": ("service", "b")})
    assert [e["value"] for e in matcher.find("làm thẻ căn cước gắn chip")] == ["b"]
