"""Which frequent question a message asks: content words shared, service names left out."""

from pathlib import Path
from typing import Callable, List

import pytest

from knowledge.catalog import Catalog, load_catalog
from knowledge.faq_match import FaqMatcher, matcher_for
from tests.knowledge.factories import CHECKED, SMALL_SERVICES, SOURCE, service_dict

QUESTIONS = [
    "Thuê trọ thì hợp đồng thuê có phải công chứng không?",
    "Khi nào phải gia hạn tạm trú?",
    "Cả nhà cùng chuyển đến thì mỗi người phải làm một hồ sơ à?",
    "Đăng ký tạm trú mất bao lâu?",
    "Con mới sinh mà bố mẹ chỉ có tạm trú thì sao?",
]
RESIDENCE = service_dict(
    4,
    "dang-ky-tam-tru",
    "Đăng ký tạm trú",
    ["tạm trú", "tam tru", "kt3", "gia hạn tạm trú"],
    faq=[
        {"question": q, "answer": f"Trả lời {i}.", "sources": [SOURCE], "checked": CHECKED}
        for i, q in enumerate(QUESTIONS)
    ],
)


@pytest.fixture
def catalog(catalog_dir: Callable[..., Path]) -> Catalog:
    return load_catalog(catalog_dir([RESIDENCE, *SMALL_SERVICES[1:]]))


@pytest.fixture
def matcher(catalog: Catalog) -> FaqMatcher:
    return FaqMatcher(catalog)


def best_index(matcher: FaqMatcher, text: str) -> int | None:
    best = matcher.best(text, "dang-ky-tam-tru")
    return None if best is None else best.index


def test_a_reworded_frequent_question_is_found(matcher: FaqMatcher) -> None:
    assert best_index(matcher, "đăng ký tạm trú thì hợp đồng thuê phòng trọ có cần công chứng không") == 0
    assert best_index(matcher, "dang ky tam tru thi hop dong thue phong tro co can cong chung khong") == 0


def test_question_words_that_name_the_service_count_when_the_message_uses_them(matcher: FaqMatcher) -> None:
    # "gia hạn tạm trú" is an alias, yet "gia hạn" is what question 1 asks about
    assert best_index(matcher, "tạm trú của tôi sắp hết hạn thì gia hạn lúc nào") == 1


def test_naming_the_service_alone_matches_nothing(matcher: FaqMatcher) -> None:
    assert best_index(matcher, "đăng ký tạm trú") is None
    assert best_index(matcher, "gia hạn tạm trú thế nào") is None


def test_one_shared_word_is_chance(matcher: FaqMatcher) -> None:
    # "bao lâu" is half of what "Đăng ký tạm trú mất bao lâu?" asks, but one word is not enough
    scores = matcher.scores("kt3 bao lâu", "dang-ky-tam-tru")
    assert scores[0].index == 3 and scores[0].shared == ("lau",) and scores[0].coverage >= 0.5
    assert best_index(matcher, "kt3 bao lâu") is None
    assert best_index(matcher, "kt3 mất bao lâu") == 3


def test_sharing_less_than_half_of_what_a_question_asks_is_not_asking_it(matcher: FaqMatcher) -> None:
    scores = matcher.scores("hợp đồng tạm trú", "dang-ky-tam-tru")
    assert scores[0].index == 0 and scores[0].shared == ("dong", "hop") and scores[0].coverage < 0.5
    assert best_index(matcher, "hợp đồng tạm trú") is None


def test_words_shared_only_by_the_story_do_not_count(matcher: FaqMatcher) -> None:
    # the story shares "thuê", "trọ", "công chứng" with question 0, but it asks something else
    story = (
        "tôi thuê trọ ở Thủ Đức hai năm nay, hợp đồng thuê có công chứng đàng hoàng, "
        "giờ tôi muốn biết đăng ký tạm trú thì nộp tiền ở đâu"
    )
    scores = matcher.scores(story, "dang-ky-tam-tru")
    assert scores[0].index == 0 and scores[0].coverage >= 0.5 and not scores[0].in_question
    assert best_index(matcher, story) is None
    assert best_index(matcher, story.replace("nộp tiền ở đâu", "hợp đồng có phải công chứng")) == 0


def test_a_tie_is_no_clear_answer(catalog_dir: Callable[..., Path]) -> None:
    twins = {**RESIDENCE, "faq": [dict(RESIDENCE["faq"][0]) for _ in range(5)]}
    matcher = FaqMatcher(load_catalog(catalog_dir([twins, *SMALL_SERVICES[1:]])))
    assert matcher.scores("hợp đồng thuê trọ có phải công chứng", "dang-ky-tam-tru")[0].coverage == 1.0
    assert best_index(matcher, "hợp đồng thuê trọ có phải công chứng") is None


def test_rare_words_weigh_more_than_common_ones(matcher: FaqMatcher) -> None:
    # "công chứng" appears in one document of the small catalog, "hồ sơ" in many
    assert matcher.weight("chung") > matcher.weight("so")


def test_the_matcher_is_built_once_per_catalog(catalog: Catalog, catalog_dir: Callable[..., Path]) -> None:
    first = matcher_for(catalog)
    assert matcher_for(catalog) is first
    other: List[dict] = list(SMALL_SERVICES)
    assert matcher_for(load_catalog(catalog_dir(other))) is not first
