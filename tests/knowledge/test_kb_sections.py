"""Section classifier (trained on the guidance NLU examples) and the re-ranking it drives."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from knowledge import sections
from knowledge.analysis import inspect_query
from knowledge.catalog import Catalog, load_catalog
from knowledge.documents import build_lexicon
from knowledge.embedded import EmbeddedIndex
from knowledge.sections import (
    INTENT_SECTIONS,
    SectionClassifier,
    features,
    load_classifier,
    read_examples,
    rerank_scores,
)
from tests.knowledge.factories import SMALL_SERVICES, service_dict

NLU = """version: "3.1"
nlu:
  - intent: ask_fee
    examples: |
      - lệ phí [hộ chiếu](service) bao nhiêu
      - het bao nhieu tien
  - intent: greet
    examples: |
      - xin chào
  - intent: ask_processing_time
    examples: |
      - mất mấy ngày
"""


@pytest.fixture(scope="module")
def real_classifier() -> SectionClassifier:
    from tests.knowledge.factories import real_services

    classifier = load_classifier(build_lexicon(real_services()), cache_dir=None)
    assert classifier is not None
    return classifier


@pytest.fixture(scope="module")
def real_lexicon():  # type: ignore[no-untyped-def]
    from tests.knowledge.factories import real_services

    return build_lexicon(real_services())


def test_read_examples_keeps_aspect_intents_and_strips_annotations(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    assert read_examples(path) == [
        ("lệ phí hộ chiếu bao nhiêu", "ask_fee"),
        ("het bao nhieu tien", "ask_fee"),
        ("mất mấy ngày", "ask_processing_time"),
    ]


def test_the_real_training_file_covers_every_intent() -> None:
    intents = {intent for _, intent in read_examples()}
    assert intents == set(INTENT_SECTIONS)


def test_features_mask_service_names_and_ignore_diacritics(small_catalog: Catalog) -> None:
    lexicon = build_lexicon(small_catalog)
    with_marks = features(inspect_query("Làm hộ chiếu hết bao nhiêu tiền?", lexicon))
    without = features(inspect_query("lam ho chieu het bao nhieu tien", lexicon))
    assert with_marks == without
    assert "w:svc" in with_marks and "w:chieu" not in with_marks
    assert "cue:fee" in with_marks


def test_last_clause_of_a_story_gets_its_own_features(small_catalog: Catalog) -> None:
    lexicon = build_lexicon(small_catalog)
    story = "Tháng sau tôi đi Nhật thăm con gái, nghe nói làm online rẻ hơn, vậy làm hộ chiếu mất mấy ngày"
    analysis = inspect_query(story, lexicon)
    assert analysis.words[analysis.tail_start :][:2] == ["vay", "lam"]
    tail = {f for f in features(analysis) if f.startswith("tw:")}
    assert {"tw:vay", "tw:svc", "tw:ngay"} <= tail and "tw:nhat" not in tail
    assert inspect_query("mất mấy ngày", lexicon).tail_start == 0


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("làm căn cước tốn bao nhiêu tiền", "ask_fee"),
        ("dang ky ket hon mat may ngay moi xong", "ask_processing_time"),
        ("cần chuẩn bị những giấy tờ gì để làm hộ chiếu", "ask_documents"),
        ("thủ tục khai tử theo nghị định nào", "ask_legal_basis"),
        ("sổ hộ khẩu giấy bây giờ còn giá trị không", "ask_law_status"),
        ("cơ quan nào có thẩm quyền cấp đổi bằng lái", "ask_how_to_file"),
    ],
)
def test_real_classifier_recognises_plain_questions(
    real_classifier: SectionClassifier, real_lexicon, question: str, intent: str
) -> None:  # type: ignore[no-untyped-def]
    probabilities = real_classifier.probabilities(inspect_query(question, real_lexicon))
    assert max(probabilities, key=probabilities.__getitem__) == intent
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_priors_are_zero_for_the_best_intent_and_negative_otherwise(
    real_classifier: SectionClassifier, real_lexicon
) -> None:  # type: ignore[no-untyped-def]
    priors = real_classifier.section_log_priors(inspect_query("lệ phí bao nhiêu", real_lexicon))
    assert priors["fee"] == 0.0
    assert set(priors) == {s for ss in INTENT_SECTIONS.values() for s in ss}
    assert all(value < 0 for section, value in priors.items() if section != "fee")
    # The three sections of "how to file" share one intent, hence one prior.
    assert priors["channels"] == priors["online_steps"] == priors["agency"]


def test_rerank_puts_the_asked_section_before_a_matching_faq(
    real_classifier: SectionClassifier, real_lexicon
) -> None:  # type: ignore[no-untyped-def]
    sections_ = ["faq:1", "fee", "overview"]
    scores = [80.0, 75.0, 74.0]
    fee_question = inspect_query("làm hộ chiếu có mất tiền không", real_lexicon)
    order = rerank_scores(fee_question, sections_, scores, real_classifier)
    assert sections_[order[0][0]] == "fee" and order[0][1] == pytest.approx(75.0)
    status_question = inspect_query("hộ chiếu mẫu cũ còn dùng được không", real_lexicon)
    order = rerank_scores(status_question, sections_, scores, real_classifier)
    assert sections_[order[0][0]] == "faq:1"
    assert rerank_scores(fee_question, sections_, scores, None) == list(enumerate(scores))


def test_classifier_is_cached_and_reloaded_identically(small_catalog: Catalog, tmp_path: Path) -> None:
    lexicon = build_lexicon(small_catalog)
    trained = load_classifier(lexicon, tmp_path)
    assert trained is not None
    files = list(tmp_path.glob("sections-*.npz"))
    assert len(files) == 1
    loaded = SectionClassifier.load(files[0])
    query = inspect_query("tam tru nop o dau vay", lexicon)
    assert loaded.classes == trained.classes
    assert loaded.probabilities(query) == pytest.approx(trained.probabilities(query))


def test_missing_training_file_means_no_prior(small_catalog: Catalog, tmp_path: Path) -> None:
    assert load_classifier(build_lexicon(small_catalog), tmp_path, tmp_path / "missing.yml") is None
    index = EmbeddedIndex.build(small_catalog)
    index.sections = None  # cue phrases alone still rank the asked section first
    top = index.search("làm hộ chiếu mất mấy ngày", 1)[0]
    assert (top.service_id, top.section) == ("cap-ho-chieu", "processing_time")


def test_situational_keywords_find_a_service_without_its_name(catalog_dir: Callable[..., Path]) -> None:
    # (BM25 weighs a field by its documents, as Elasticsearch does: the real catalog gives every
    # service keywords.)
    services = [
        {**SMALL_SERVICES[0], "keywords": ["thuê trọ", "ở trọ"]},
        {**SMALL_SERVICES[1], "keywords": ["đi nước ngoài", "du lịch"]},
        {**SMALL_SERVICES[2], "keywords": ["lái ô tô", "sắp hết hạn"]},
        service_dict(
            10,
            "dang-ky-khai-tu",
            "Đăng ký khai tử",
            ["khai tử", "khai tu", "giấy chứng tử"],
            keywords=["qua đời", "mới mất"],
        ),
    ]
    index = EmbeddedIndex.build(load_catalog(catalog_dir(services)))
    top = index.search("Bố tôi vừa qua đời hôm qua, gia đình cần chuẩn bị những giấy tờ gì", 1)[0]
    assert (top.service_id, top.section) == ("dang-ky-khai-tu", "documents")
    assert "keywords" in index.docs[0].fields


def test_sections_module_needs_no_sklearn_to_search() -> None:
    assert "sklearn" not in sections.__dict__
