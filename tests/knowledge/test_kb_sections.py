"""Section classifier (trained on the guidance NLU examples) and the re-ranking it drives."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from knowledge import sections
from knowledge.analysis import Lexicon, inspect_query
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
    assert read_examples([path]) == [
        ("lệ phí hộ chiếu bao nhiêu", "ask_fee"),
        ("het bao nhieu tien", "ask_fee"),
        ("mất mấy ngày", "ask_processing_time"),
    ]


def test_the_named_guidance_files_are_read_short_and_story_questions() -> None:
    from knowledge.sections import training_files

    names = [path.name for path in training_files()]
    assert names == ["guidance.yml", "guidance_long.yml", "guidance_where.yml"]
    assert len(read_examples()) == sum(len(read_examples([path])) for path in training_files())
    long_file = next(path for path in training_files() if path.name == "guidance_long.yml")
    assert any(len(text.split()) >= 25 for text, _ in read_examples([long_file]))


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


def test_a_story_is_classified_on_its_question(small_catalog: Catalog) -> None:
    lexicon = build_lexicon(small_catalog)
    story = "Tháng sau tôi đi Nhật thăm con gái, nghe nói làm online rẻ hơn, vậy làm hộ chiếu mất mấy ngày"
    analysis = inspect_query(story, lexicon)
    assert analysis.words[analysis.tail_start :][:2] == ["vay", "lam"]
    assert features(analysis) == features(inspect_query("vậy làm hộ chiếu mất mấy ngày", lexicon))
    assert "w:nhat" not in features(analysis) and "w:online" not in features(analysis)
    assert inspect_query("mất mấy ngày", lexicon).tail_start == 0


def test_a_reference_back_to_the_service_is_masked_like_its_name(small_catalog: Catalog) -> None:
    lexicon = build_lexicon(small_catalog)
    reference = features(inspect_query("đổi thủ tục này mất mấy ngày", lexicon))
    assert features(inspect_query("doi giay do mat may ngay", lexicon)) == reference
    assert "w:svc" in reference and "w:tuc" not in reference
    assert "w:tuc" in features(inspect_query("đổi thủ tục mất mấy ngày", lexicon))


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("đăng ký tạm trú nộp ở đâu", "channels"),
        ("lam tam tru tren vneid dc ko", "channels"),
        ("nộp qua bưu điện được không", "channels"),
        ("làm hộ chiếu online các bước thế nào", "online_steps"),
        ("cac buoc nop truc tuyen ntn", "online_steps"),
        ("nộp ở cơ quan nào", "agency"),
        ("làm ở xã hay phải lên tỉnh", "agency"),
        ("nop o van phong dang ky dat dai hay xa", "agency"),
        ("đổi căn cước thì ai cấp", "agency"),
        ("ma so thue do chi cuc thue nao quan ly", "agency"),
        ("đổi bằng lái giờ là công an hay sở giao thông làm", "agency"),
        ("thi tốt nghiệp thì sở giáo dục hay trường nhận hồ sơ", "agency"),
        # "công an … cách nào": not an authority asked about by name.
        ("không lên công an được thì có cách nào nộp trên mạng không", "channels"),
        ("gia hạn bhyt ở bưu điện hay trên app vssid", "channels"),
        ("xác nhận số cmnd trên vneid bấm mục nào", "online_steps"),
        ("thong bao luu tru tren app vneid thao tac the nao", "online_steps"),
    ],
)
def test_how_to_file_examples_are_labelled_by_their_question_words(
    small_catalog: Catalog, question: str, section: str
) -> None:
    query = inspect_query(question, build_lexicon(small_catalog))
    assert sections.how_to_file_section(query.words) == section
    assert sections.section_label(query, "ask_how_to_file") == section
    assert sections.section_label(query, "ask_fee") == "fee"
    assert sections.section_label(query, "ask_law_status") == sections.FAQ_CLASS


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("làm căn cước tốn bao nhiêu tiền", "fee"),
        ("dang ky ket hon mat may ngay moi xong", "processing_time"),
        ("cần chuẩn bị những giấy tờ gì để làm hộ chiếu", "documents"),
        ("thủ tục khai tử theo nghị định nào", "legal_basis"),
        ("sổ hộ khẩu giấy bây giờ còn giá trị không", "faq"),
        ("cơ quan nào có thẩm quyền cấp đổi bằng lái", "agency"),
        ("đổi bằng lái nộp ở đâu", "channels"),
        ("đổi bằng lái trên vneid các bước thế nào", "online_steps"),
        (
            "Nhà tôi ở xa, con cái đi làm hết, tôi thì không rành điện thoại, vậy đổi bằng lái "
            "cần những giấy tờ gì, anh chị chỉ giúp với ạ",
            "documents",
        ),
    ],
)
def test_real_classifier_recognises_plain_questions(
    real_classifier: SectionClassifier, real_lexicon, question: str, section: str
) -> None:  # type: ignore[no-untyped-def]
    probabilities = real_classifier.probabilities(inspect_query(question, real_lexicon))
    assert max(probabilities, key=probabilities.__getitem__) == section
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_priors_are_zero_for_the_best_intent_and_negative_otherwise(
    real_classifier: SectionClassifier, real_lexicon
) -> None:  # type: ignore[no-untyped-def]
    priors = real_classifier.section_log_priors(inspect_query("lệ phí bao nhiêu", real_lexicon))
    assert priors["fee"] == 0.0
    assert set(priors) == {s for ss in INTENT_SECTIONS.values() for s in ss}
    assert all(value < 0 for section, value in priors.items() if section != "fee")


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
    assert load_classifier(build_lexicon(small_catalog), tmp_path, [tmp_path / "missing.yml"]) is None
    assert load_classifier(build_lexicon(small_catalog), tmp_path, []) is None
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


def test_a_story_is_labelled_by_the_words_of_its_question(small_catalog: Catalog) -> None:
    story = "Tôi không biết làm ở ủy ban xã hay công an xã, nên chỉ muốn hỏi có nộp qua mạng được không"
    query = inspect_query(story, build_lexicon(small_catalog))
    assert sections.how_to_file_section(query.words) == "agency"  # the story names two authorities …
    assert sections.section_label(query, "ask_how_to_file") == "channels"  # … the question a channel


@pytest.mark.parametrize(
    ("words", "length"),
    [
        ("cho em hoi la lam ho chieu", 4),
        ("vay anh chi cho hoi lam ho chieu", 5),
        ("nen muon hoi la doi bang lai", 4),
        ("em muon lam ho chieu", 0),  # a wish, not a lead-in
        ("hoi", 0),  # nothing after it
        ("lam ho chieu thi hoi o dau", 0),
    ],
)
def test_lead_in_length(words: str, length: int) -> None:
    assert sections.lead_in_length(words.split()) == length


def test_how_a_question_is_introduced_is_not_a_feature(small_catalog: Catalog) -> None:
    lexicon = build_lexicon(small_catalog)
    plain = features(inspect_query("làm hộ chiếu mất mấy ngày", lexicon))
    assert features(inspect_query("cho em hỏi làm hộ chiếu mất mấy ngày", lexicon)) == plain
    assert features(inspect_query("Anh chị cho hỏi là làm hộ chiếu mất mấy ngày", lexicon)) == plain


def test_where_to_file_examples_ask_about_the_agency_channels_and_steps(real_lexicon: Lexicon) -> None:
    import yaml

    path = sections.NLU_DIR / "guidance_where.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["version"] == "3.1"
    assert [block["intent"] for block in raw["nlu"]] == ["ask_how_to_file"]
    examples = read_examples([path])
    assert 40 <= len(examples) <= 70
    others = {text for p in sections.training_files() if p != path for text, _ in read_examples([p])}
    assert not others & {text for text, _ in examples}
    labels = [sections.section_label(inspect_query(text, real_lexicon), intent) for text, intent in examples]
    assert labels.count("agency") >= 20
    assert labels.count("channels") >= 10 and labels.count("online_steps") >= 10
