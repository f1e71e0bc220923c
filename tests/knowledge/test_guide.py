"""Answers composed from the real knowledge base; search from the real embedded index."""

from typing import List

import pytest

from knowledge import search
from knowledge.answers import compose
from knowledge.catalog import Catalog, default_catalog
from knowledge.guide import Searcher, answer_question, cued_section, faq_outranks_section, matching_faq
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


# --- frequent questions shown with the section the intent asked for ---------------------------

KHAI_TU = "dang-ky-khai-tu"
ASKS_FAQ_6 = "khai tử rồi có phải xóa hộ khẩu nữa không"  # "Khai tử xong có phải đi xóa hộ khẩu riêng không?"


def fixed_hits(service_id: str, *sections: str) -> Searcher:
    """A search that ranks the given sections of one service, best first, whatever the query."""

    def search(query: str, k: int) -> List[Hit]:
        return [Hit(service_id, 0, s, "", 100.0 - i) for i, s in enumerate(sections)][:k]

    return search


def test_frequent_question_asked_is_shown_with_the_section(catalog: Catalog) -> None:
    text = "khai tử rồi thì có phải lên công an xóa hộ khẩu của người mất nữa không"
    result = answer_question(catalog, real_search, text, "how_to_file", KHAI_TU, HOTLINE)
    assert result.answer is not None
    answer = result.answer.text
    assert "Hỏi: Khai tử xong có phải đi xóa hộ khẩu riêng không?" in answer
    assert "liên thông 2 thủ tục" in answer  # the frequent question's answer
    assert "Đăng ký khai tử — nộp ở đâu, nộp thế nào" in answer and "Cơ quan giải quyết:" in answer
    assert "Nguồn: https://yenbai.gov.vn/" in answer  # the frequent question's own source
    assert result.answer.aspect == "how_to_file"


def test_plain_aspect_question_gets_the_section_alone(catalog: Catalog) -> None:
    result = answer_question(
        catalog,
        real_search,
        "đăng ký thường trú nộp online hết bao nhiêu tiền",
        "fee",
        "dang-ky-thuong-tru",
        HOTLINE,
    )
    assert result.answer is not None
    assert result.answer.text == compose(catalog, "dang-ky-thuong-tru", "fee", HOTLINE).text


def test_search_and_shared_words_must_agree_on_the_question(catalog: Catalog) -> None:
    agree = fixed_hits(KHAI_TU, "agency", "channels", "faq:6", "faq:0")
    assert matching_faq(catalog, agree("", 30), ASKS_FAQ_6, KHAI_TU) == 6
    # search ranks another frequent question first: no clear answer
    disagree = fixed_hits(KHAI_TU, "agency", "faq:0", "faq:6")
    assert matching_faq(catalog, disagree("", 30), ASKS_FAQ_6, KHAI_TU) is None
    answer = answer_question(catalog, disagree, ASKS_FAQ_6, "how_to_file", KHAI_TU, HOTLINE).answer
    assert answer is not None and "Hỏi:" not in answer.text
    # search ranks frequent question 6 first but the message shares no content words with it
    assert matching_faq(catalog, agree("", 30), "khai tử ở đâu", KHAI_TU) is None
    # no frequent question among the hits
    assert matching_faq(catalog, fixed_hits(KHAI_TU, "agency")("", 30), ASKS_FAQ_6, KHAI_TU) is None


def test_the_better_match_comes_first(catalog: Catalog) -> None:
    faq_first = fixed_hits(KHAI_TU, "faq:6", "agency", "channels")
    answer = answer_question(catalog, faq_first, ASKS_FAQ_6, "how_to_file", KHAI_TU, HOTLINE).answer
    assert answer is not None
    assert answer.text.startswith("Đăng ký khai tử\nHỏi: Khai tử xong có phải đi xóa hộ khẩu riêng không?")
    assert answer.text.index("Hỏi:") < answer.text.index("Cơ quan giải quyết:")

    section_first = fixed_hits(KHAI_TU, "agency", "faq:6", "channels")
    answer = answer_question(catalog, section_first, ASKS_FAQ_6, "how_to_file", KHAI_TU, HOTLINE).answer
    assert answer is not None
    assert answer.text.startswith("Đăng ký khai tử — nộp ở đâu, nộp thế nào")
    assert answer.text.index("Cơ quan giải quyết:") < answer.text.index("Hỏi:")
    assert faq_outranks_section(faq_first("", 30), 6, "how_to_file")
    assert not faq_outranks_section(section_first("", 30), 6, "how_to_file")


def test_a_source_already_named_is_not_repeated(catalog: Catalog) -> None:
    text = "em nhờ anh ruột đi khai tử hộ thì giấy ủy quyền có cần chứng thực không"
    answer = answer_question(
        catalog, fixed_hits(KHAI_TU, "documents", "faq:5"), text, "documents", KHAI_TU, HOTLINE
    )
    assert answer.answer is not None
    assert "Hỏi: Nhờ người khác đi làm khai tử thay" in answer.answer.text
    assert answer.answer.text.count("Nguồn:") == 1  # the question's source is the section's


def test_without_an_intent_the_frequent_question_asked_is_still_shown(catalog: Catalog) -> None:
    text = "mẹ tôi lên chơi nhiều lần thì lần nào cũng phải báo lưu trú à"
    result = answer_question(catalog, real_search, text, None, "thong-bao-luu-tru", HOTLINE)
    assert result.answer is not None
    assert "chỉ cần thông báo một lần" in result.answer.text


# --- a section the message names, when the intent asked for another ------------------------


def test_section_named_by_the_message_follows_the_intended_one(catalog: Catalog) -> None:
    text = "lắp công tơ điện thì khách hàng phải trả những chi phí nào"
    answer = answer_question(
        catalog, fixed_hits("cap-dien-moi", "fee", "documents"), text, "documents", "cap-dien-moi", HOTLINE
    ).answer
    assert answer is not None
    assert answer.text.startswith("Cấp điện mới từ lưới điện hạ áp (220/380V) — giấy tờ cần chuẩn bị")
    assert "\nLệ phí:\n" in answer.text and "điểm đấu nối" in answer.text
    assert answer.text.index("Giấy đề nghị mua điện") < answer.text.index("điểm đấu nối")


def test_a_named_section_needs_search_to_rank_it_first(catalog: Catalog) -> None:
    text = "lắp công tơ điện thì khách hàng phải trả những chi phí nào"
    searched = fixed_hits("cap-dien-moi", "documents", "fee")
    assert cued_section(searched("", 30), text, "documents") is None
    # and the intent's own section is not added twice
    assert cued_section(fixed_hits("cap-dien-moi", "fee")("", 30), text, "fee") is None
    # a message without a cue phrase for the section search prefers adds nothing
    assert cued_section(fixed_hits("cap-dien-moi", "fee")("", 30), "lắp công tơ điện", "documents") is None


def test_a_named_section_that_is_a_gap_is_not_added(catalog: Catalog) -> None:
    service = catalog.by_id("cap-dien-moi")
    assert service.legal_basis.is_gap
    search = fixed_hits("cap-dien-moi", "legal_basis", "documents")
    text = "lắp công tơ điện theo luật nào"
    assert cued_section(search("", 30), text, "documents") == "legal_basis"
    answer = answer_question(catalog, search, text, "documents", "cap-dien-moi", HOTLINE).answer
    assert answer is not None and answer.text == compose(catalog, "cap-dien-moi", "documents", HOTLINE).text


def test_a_button_payload_is_not_searched(catalog: Catalog) -> None:
    def no_search(query: str, k: int) -> List[Hit]:
        raise AssertionError(f"searched {query!r}")

    payload = '/ask_how_to_file{"service":"dang-ky-khai-tu"}'
    answer = answer_question(catalog, no_search, payload, "how_to_file", KHAI_TU, HOTLINE).answer
    assert answer is not None and answer.text == compose(catalog, KHAI_TU, "how_to_file", HOTLINE).text
