"""Answers composed from the real knowledge base; search from the real embedded index."""

from typing import List

import pytest

from knowledge import search
from knowledge.answers import compose
from knowledge.catalog import Catalog, default_catalog
from knowledge.guide import answer_question
from knowledge.hits import Hit

HOTLINE = "18001096"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def real_search(query: str, k: int) -> List[Hit]:
    return search(query, k=k)


def test_fee_answer_is_exact_and_sourced(catalog: Catalog) -> None:
    answer = compose(catalog, "dang-ky-thuong-tru", "fee", HOTLINE)
    assert answer.text.startswith("Đăng ký thường trú — lệ phí")
    assert "10.000 đồng/lần" in answer.text
    assert "Nguồn: https://" in answer.text
    assert "kiểm tra ngày 28/11/2026" in answer.text
    assert [b["payload"] for b in answer.buttons] == ["/feedback_helpful", "/feedback_wrong"]


def test_gap_says_where_to_check_and_never_guesses(catalog: Catalog) -> None:
    service = next(s for s in catalog.services if s.fee.is_gap)
    answer = compose(catalog, service.id, "fee", HOTLINE)
    assert answer.is_gap
    assert "chưa có thông tin đã kiểm chứng" in answer.text
    assert service.official_url in answer.text and HOTLINE in answer.text
    assert "đồng" not in answer.text.split("Lưu ý:")[0]


def test_overview_offers_aspect_buttons(catalog: Catalog) -> None:
    answer = compose(catalog, "cap-ho-chieu", "overview", HOTLINE)
    payloads = [b["payload"] for b in answer.buttons]
    assert '/ask_fee{"service":"cap-ho-chieu"}' in payloads
    assert len(payloads) == 6


def test_how_to_file_lists_numbered_online_steps(catalog: Catalog) -> None:
    answer = compose(catalog, "dang-ky-thuong-tru", "how_to_file", HOTLINE)
    assert "Các bước nộp trực tuyến:" in answer.text
    assert "\n1. " in answer.text and "\n2. " in answer.text


def test_known_service_is_answered_directly(catalog: Catalog) -> None:
    result = answer_question(catalog, real_search, "còn lệ phí thì sao", "fee", "cap-ho-chieu", HOTLINE)
    assert result.outcome == "answered"
    assert result.answer is not None and result.answer.service_id == "cap-ho-chieu"


def test_unknown_service_falls_back_to_search(catalog: Catalog) -> None:
    result = answer_question(catalog, real_search, "lệ phí làm hộ chiếu bao nhiêu", "fee", None, HOTLINE)
    assert result.outcome == "answered"
    assert result.answer is not None and result.answer.service_id == "cap-ho-chieu"


def test_nothing_found_is_said_honestly(catalog: Catalog) -> None:
    assert answer_question(catalog, real_search, "xyzzy qwerty", "fee", None, HOTLINE).outcome == "not_found"
    assert answer_question(catalog, real_search, "", None, None, HOTLINE).outcome == "not_found"


def test_vague_question_offers_up_to_three_services(catalog: Catalog) -> None:
    def vague(query: str, k: int) -> List[Hit]:
        return [
            Hit("dang-ky-khai-sinh", 9, "documents", "", 30.0),
            Hit("lien-thong-khai-sinh", 15, "documents", "", 28.0),
            Hit("dang-ky-khai-sinh", 9, "fee", "", 25.0),
            Hit("dang-ky-thuong-tru", 3, "who", "", 20.0),
            Hit("cap-ho-chieu", 12, "who", "", 19.0),
        ]

    result = answer_question(catalog, vague, "con mới sinh làm gì", "documents", None, HOTLINE)
    assert result.outcome == "choose_service"
    assert [s.id for s in result.candidates] == [
        "dang-ky-khai-sinh",
        "lien-thong-khai-sinh",
        "dang-ky-thuong-tru",
    ]
    assert result.buttons[0]["payload"] == '/ask_documents{"service":"dang-ky-khai-sinh"}'


def test_law_status_prefers_a_frequent_question(catalog: Catalog) -> None:
    result = answer_question(
        catalog,
        real_search,
        "sổ hộ khẩu giấy còn dùng được không",
        "law_status",
        "dang-ky-thuong-tru",
        HOTLINE,
    )
    assert result.answer is not None
    text = result.answer.text
    assert text.startswith("Đăng ký thường trú — quy định hiện hành")
    assert "Hỏi:" in text and "31/12/2022" in text
    # the overview (what changed and from when) comes first, then the closest frequent question
    assert text.index("01/10/2025") < text.index("Hỏi:")


def test_unknown_service_id_is_ignored(catalog: Catalog) -> None:
    result = answer_question(catalog, real_search, "lệ phí hộ chiếu", "fee", "no-such-service", HOTLINE)
    assert result.answer is not None and result.answer.service_id == "cap-ho-chieu"
