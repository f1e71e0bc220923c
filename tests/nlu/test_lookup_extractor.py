import unicodedata
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.lookup_extractor import (
    AliasMatcher,
    LookupEntityExtractor,
    alias_key,
    disambiguate,
    focus_on_question,
    marks_agree,
)
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


# --- disambiguation: liên thông absorbs its parts, papers give way to the procedure asked about ---

ROOT = Path(__file__).resolve().parents[2]


def disambiguating_data() -> TrainingData:
    names = {
        "thue": ["đăng ký mã số thuế", "mst"],
        "can-cuoc": ["căn cước", "cccd", "đổi cccd"],
        "thuong-tru": ["hộ khẩu", "nhập hộ khẩu"],
        "bhyt": ["thẻ bảo hiểm y tế", "gia hạn thẻ bhyt"],
        "khai-sinh": ["khai sinh"],
        "lien-thong-khai-sinh": ["liên thông khai sinh"],
    }
    return TrainingData(
        lookup_tables=[{"name": "service", "elements": [a for aliases in names.values() for a in aliases]}],
        entity_synonyms={a: value for value, aliases in names.items() for a in aliases},
    )


@pytest.fixture
def disambiguating(tmp_path: Path) -> LookupEntityExtractor:
    config = {
        "linked_services": {"lien-thong-khai-sinh": ["khai-sinh", "thuong-tru"]},
        "document_names": ["căn cước", "cccd", "hộ khẩu", "thẻ bảo hiểm y tế"],
    }
    component = LookupEntityExtractor.create(
        config,
        LocalModelStorage(tmp_path),
        Resource("lookup"),
        ExecutionContext(None),
    )
    component.train(disambiguating_data())
    return component


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a paper needed by the procedure asked about is not a second service
        ("đăng ký mã số thuế có cần photo căn cước không", ["thue"]),
        ("xin mst can cccd ko", ["thue"]),
        # a liên thông service absorbs what it links, and papers give way to it
        ("liên thông khai sinh, nhập hộ khẩu và thẻ bảo hiểm y tế", ["lien-thong-khai-sinh"]),
        ("lien thong khai sinh co can ho khau khong", ["lien-thong-khai-sinh"]),
        # procedures named as procedures stay, even when one of them is usually a paper
        ("đổi cccd rồi nhập hộ khẩu luôn", ["can-cuoc", "thuong-tru"]),
        ("gia hạn thẻ bhyt và đăng ký mã số thuế", ["bhyt", "thue"]),
        # a paper alone is what the citizen asks about; papers only: all kept
        ("mất căn cước thì sao", ["can-cuoc"]),
        ("hộ khẩu có cần căn cước không", ["thuong-tru", "can-cuoc"]),
        # without the liên thông service, its parts are services of their own
        ("khai sinh xong nhập hộ khẩu", ["khai-sinh", "thuong-tru"]),
    ],
)
def test_disambiguation_keeps_the_service_asked_about(
    disambiguating: LookupEntityExtractor, text: str, expected: list
) -> None:
    assert [value for _, value in entities(disambiguating, text)] == expected


def test_disambiguation_is_off_by_default(extractor: LookupEntityExtractor) -> None:
    assert [v for _, v in entities(extractor, "đăng ký tạm trú có cần cccd không")] == [
        "tam-tru",
        "the-can-cuoc",
    ]


def test_disambiguate_leaves_other_entity_types_alone() -> None:
    found = [
        {"entity": "topic", "value": "all", "alias": "tat ca", "start": 0, "end": 6},
        {"entity": "service", "value": "a", "alias": "cccd", "start": 7, "end": 11},
        {"entity": "service", "value": "b", "alias": "lam b", "start": 12, "end": 17},
    ]
    kept = disambiguate(found, {}, ["cccd", "tất cả"])
    assert [e["value"] for e in kept] == ["all", "b"]


def test_linked_services_in_config_match_the_knowledge_base() -> None:
    import yaml

    from knowledge.catalog import default_catalog

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    settings = next(c for c in config["pipeline"] if c["name"].endswith("LookupEntityExtractor"))
    catalog = default_catalog()
    linked = {s.id: list(s.linked_services) for s in catalog.services if s.id.startswith("lien-thong-")}
    assert linked, "the knowledge base has liên thông services"
    assert settings["linked_services"] == linked
    # every document name is one of the generated service aliases, or it would never match
    generated = yaml.safe_load((ROOT / "data" / "nlu" / "services.generated.yml").read_text(encoding="utf-8"))
    aliases = {
        alias_key(line[2:])
        for block in generated["nlu"]
        if block.get("lookup") == "service"
        for line in block["examples"].splitlines()
    }
    assert {alias_key(n) for n in settings["document_names"]} <= aliases


# --- typed diacritics must agree; long questions keep the service asked about ---


def test_typed_diacritics_must_agree_with_the_alias() -> None:
    assert marks_agree("báo tử", "báo tử")
    assert marks_agree("bao tu", "báo tử")  # typed bare: any spelling
    assert marks_agree("bao tử", "báo tử")  # only the marked word is checked
    assert marks_agree("đang ky", "đăng ký")  # "đ" alone is no vowel or tone mark
    assert not marks_agree("bảo tự", "báo tử")
    assert not marks_agree("con dâu", "con dấu")
    assert not marks_agree("sổ đó", "sổ đỏ")


def colliding_data() -> TrainingData:
    names = {"khai-tu": ["báo tử", "bao tu"], "con-dau": ["con dấu"], "tam-tru": ["tạm trú"]}
    return TrainingData(
        lookup_tables=[{"name": "service", "elements": [a for aliases in names.values() for a in aliases]}],
        entity_synonyms={a: value for value, aliases in names.items() for a in aliases},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("làm giấy báo tử ở đâu", ["khai-tu"]),
        ("lam giay bao tu o dau", ["khai-tu"]),
        ("chủ nhà bảo tự đăng ký tạm trú", ["tam-tru"]),
        ("con dâu tôi mới sinh", []),
        ("làm con dấu công ty", ["con-dau"]),
        ("lam con dau cong ty", ["con-dau"]),
    ],
)
def test_words_that_only_fold_like_an_alias_are_not_services(
    tmp_path: Path, text: str, expected: list
) -> None:
    component = LookupEntityExtractor.create(
        {}, LocalModelStorage(tmp_path), Resource("l"), ExecutionContext(None)
    )  # type: ignore[arg-type]
    component.train(colliding_data())
    assert [value for _, value in entities(component, text)] == expected
    loaded = LookupEntityExtractor.load(
        {}, LocalModelStorage(tmp_path), Resource("l"), ExecutionContext(None)
    )  # type: ignore[arg-type]
    assert [value for _, value in entities(loaded, text)] == expected


@pytest.fixture
def focusing(tmp_path: Path) -> LookupEntityExtractor:
    config = {
        "linked_services": {"lien-thong-khai-sinh": ["khai-sinh", "thuong-tru"]},
        "document_names": ["căn cước", "cccd", "hộ khẩu", "thẻ bảo hiểm y tế"],
        "focus_min_words": 12,
    }
    component = LookupEntityExtractor.create(
        config, LocalModelStorage(tmp_path), Resource("lookup"), ExecutionContext(None)
    )
    component.train(disambiguating_data())
    return component


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the question (last clause) names the service asked about
        (
            "Bố mẹ em chưa làm khai sinh cho em hồi nhỏ, giờ em đi làm muốn đăng ký mã số thuế thì cần gì",
            ["thue"],
        ),
        (
            "mat vi co ca cccd lan the bao hiem y te, gio muon doi cccd thi mat bao lau vay ad",
            ["can-cuoc"],
        ),
        # the question names none: the service the story opened with
        (
            "Tôi đăng ký mã số thuế từ năm ngoái, giờ mới khai sinh cho con, vậy mã đó còn dùng được không",
            ["thue"],
        ),
        # short messages keep every service they name
        ("khai sinh xong nhập hộ khẩu", ["khai-sinh", "thuong-tru"]),
    ],
)
def test_long_questions_keep_the_service_asked_about(
    focusing: LookupEntityExtractor, text: str, expected: list
) -> None:
    assert sorted({value for _, value in entities(focusing, text)}) == expected


def test_focus_leaves_other_entity_types_and_single_services_alone() -> None:
    text = "một hai ba bốn năm sáu bảy tám chín mười mười một, mười hai mười ba b"
    found = [
        {"entity": "topic", "value": "all", "start": 0, "end": 3},
        {"entity": "service", "value": "a", "start": 4, "end": 7},
        {"entity": "service", "value": "b", "start": len(text) - 1, "end": len(text)},
    ]
    assert focus_on_question(found, text, 0) == found
    assert focus_on_question(found[:2], text, 5) == found[:2]
    # "b" is in the question (last clause of three words or more)
    assert [e["value"] for e in focus_on_question(found, text, 5)] == ["all", "b"]
