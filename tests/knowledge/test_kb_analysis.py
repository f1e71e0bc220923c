"""Vietnamese analysis shared by both backends."""

from __future__ import annotations

import unicodedata
from typing import Optional, Tuple

import pytest

from knowledge.analysis import (
    FIELDS,
    QUERY_SEGMENT_LIMIT,
    Lexicon,
    _is_wished,
    analyze,
    analyze_query,
    asked_services,
    detect_sections,
    expand_abbreviations,
    find_phrases,
    folded_words,
    inspect_query,
    intrinsic_cues,
    match_phrases,
    question_span,
    strip_cues,
)

LEXICON = Lexicon.build(
    [
        (
            "dang-ky-thuong-tru",
            "Đăng ký thường trú",
            ["thường trú", "hộ khẩu", "nhập hộ khẩu", "dk thuong tru"],
        ),
        ("cap-ho-chieu", "Cấp hộ chiếu phổ thông", ["hộ chiếu", "làm hộ chiếu"]),
        ("cap-doi-giay-phep-lai-xe", "Cấp đổi giấy phép lái xe", ["bằng lái", "đổi bằng lái online"]),
    ]
)


def test_segmentation_compounds_plus_syllables_and_folded_forms() -> None:
    tokens = analyze("Đăng ký thường trú")
    for token in (
        "đăng_ký",
        "thường_trú",
        "đăng",
        "ký",
        "thường",
        "trú",
        "dang_ky",
        "thuong_tru",
        "dang",
        "ky",
    ):
        assert token in tokens
    assert "dang__ky" in tokens  # folded syllable bigram


def test_folding_maps_d_stroke() -> None:
    assert "dia" in analyze("Địa chỉ") and "địa" in analyze("Địa chỉ")


def test_lower_case_and_punctuation() -> None:
    assert analyze("CĂN CƯỚC!!!") == analyze("căn cước")
    assert analyze("   ") == [] and analyze("?!") == []


def test_nfd_input_equals_nfc_input() -> None:
    text = "Đổi thẻ căn cước mất bao lâu? Hòa, thủy, khỏe"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert analyze(nfd) == analyze(text)
    assert analyze_query(nfd, LEXICON) == analyze_query(text, LEXICON)


def test_function_words_are_not_tokens() -> None:
    tokens = analyze("Tôi thì có được không ạ")
    assert not [t for t in tokens if "__" not in t]


def test_abbreviations_are_expanded_in_queries() -> None:
    tokens = analyze_query("dk tam tru het bn tien", LEXICON)
    assert "đăng_ký" in tokens and "sec:fee" in tokens


def test_alias_expansion_adds_canonical_name_terms() -> None:
    tokens = analyze_query("làm lại sổ hộ khẩu", LEXICON)
    assert "svc:dang-ky-thuong-tru" in tokens
    assert "thường_trú" in tokens  # from the canonical name, absent from the query
    assert "svc:cap-ho-chieu" not in tokens


def test_alias_matching_is_folded_and_longest_first() -> None:
    assert LEXICON.services_in("LAM HO CHIEU cho con") == ["cap-ho-chieu"]
    # "nhập hộ khẩu" (3 words) wins over "hộ khẩu"; both belong to the same service here
    assert find_phrases(
        ["nhap", "ho", "khau"], {("ho", "khau"): "short", ("nhap", "ho", "khau"): "long"}
    ) == ["long"]


def test_section_cues() -> None:
    assert detect_sections("Làm hộ chiếu hết bao nhiêu tiền?") == ["fee"]
    assert detect_sections("mat may ngay") == ["processing_time"]
    assert detect_sections("Hồ sơ gồm những giấy tờ gì?") == ["documents"]
    assert detect_sections("làm online trên vneid") == ["online_steps"]
    # longest cue wins: "bao nhiêu ngày" is time, not fee
    assert detect_sections("bao nhiêu ngày thì xong") == ["processing_time"]
    # strongest cue only: "căn cứ pháp lý" beats "là gì"
    assert detect_sections("Căn cứ pháp lý là gì") == ["legal_basis"]


def test_alias_words_are_not_section_cues() -> None:
    tokens = analyze_query("làm hộ chiếu mất mấy ngày", LEXICON)
    assert "sec:processing_time" in tokens and "sec:who" not in tokens  # not "làm hộ"
    assert ("online_steps", 1) in intrinsic_cues("đổi bằng lái online")
    assert "sec:online_steps" in analyze_query("đổi bằng lái online", LEXICON)


def test_strip_cues_keeps_specific_words() -> None:
    stripped = strip_cues("Ở nhà thuê đăng ký thường trú mất bao lâu?")
    assert "bao lâu" not in stripped and "nhà thuê" in stripped


def test_field_boosts_order() -> None:
    assert FIELDS["name"].boost > FIELDS["faq"].boost > FIELDS["body"].boost


def test_long_queries_are_split_on_spaces_not_segmented() -> None:
    short = "đăng ký thường trú cần giấy tờ gì"
    assert "giấy_tờ" in analyze_query(short, LEXICON)
    story = " ".join(["hôm qua nhà tôi có việc"] * QUERY_SEGMENT_LIMIT) + " đăng ký thường trú cần giấy tờ gì"
    tokens = analyze_query(story, LEXICON)
    assert "giấy_tờ" not in tokens  # no segmentation …
    assert {"giay__to", "giấy", "giay", "sec:documents", "svc:dang-ky-thuong-tru"} <= set(
        tokens
    )  # … same evidence


def test_inspect_query_explains_its_tokens() -> None:
    analysis = inspect_query("Làm hộ chiếu, mất mấy ngày vậy", LEXICON)
    assert analysis.tokens == analyze_query("Làm hộ chiếu, mất mấy ngày vậy", LEXICON)
    assert analysis.words == ["lam", "ho", "chieu", "mat", "may", "ngay", "vay"]
    assert analysis.alias_spans == [(0, 3, "cap-ho-chieu")]
    assert analysis.cues == ["processing_time"]
    assert analysis.tail_start == 0  # the last clause alone is too short to stand for the question


def test_the_question_of_a_story_is_its_last_clause_before_closing_courtesies() -> None:
    story = "Nhà tôi ở quê, giấy tờ nhà đất mất hết, làm hộ chiếu mất mấy ngày vậy, em cảm ơn ạ"
    analysis = inspect_query(story, LEXICON)
    tail = analysis.words[analysis.tail_start :]
    assert tail[:7] == ["lam", "ho", "chieu", "mat", "may", "ngay", "vay"] and "cam" in tail
    # Cue phrases of the story before the question do not count ("giấy tờ" is not asked about).
    assert analysis.cues == ["processing_time"]
    assert "sec:documents" not in analysis.tokens and "sec:processing_time" in analysis.tokens


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("làm hộ chiếu mất mấy ngày", (0, None)),  # one clause: the whole text
        ("Nhà tôi ở xa, làm hộ chiếu mất mấy ngày", (4, None)),
        ("Nhà tôi ở xa, làm hộ chiếu, mất mấy ngày", (4, None)),  # clauses join up to 5 words
        ("làm hộ chiếu mất mấy ngày, em cảm ơn ạ", (0, 6)),  # the courtesy is not the question
        ("Nhà tôi ở xa, hộ chiếu mất mấy ngày, anh chị chỉ giúp em với. Cảm ơn ad!", (4, 9)),
        ("mấy ngày, cảm ơn", (0, 2)),
        ("cảm ơn ad nhiều", (0, None)),
    ],
)
def test_question_span_skips_the_story_before_and_the_courtesies_after(
    text: str, span: Tuple[int, Optional[int]]
) -> None:
    assert question_span(text, len(folded_words(text))) == span


def test_match_phrases_longest_first_then_leftmost() -> None:
    table = {("a", "b"): "ab", ("b", "c", "d"): "bcd", ("d",): "d", ("a",): "a"}
    assert match_phrases(["a", "b", "c", "d", "a", "b"], table) == [(0, 1, "a"), (1, 4, "bcd"), (4, 6, "ab")]
    taken = [False, False, True, False, False, False]
    assert match_phrases(["a", "b", "c", "d", "a", "b"], table, taken) == [
        (0, 2, "ab"),
        (3, 4, "d"),
        (4, 6, "ab"),
    ]


def _named(analysis_tokens: list, service_id: str) -> int:
    return analysis_tokens.count(f"svc:{service_id}")


def test_a_story_weighs_up_the_service_its_question_names() -> None:
    story = "Nhà tôi ở xa, bằng lái của bố vẫn còn hạn, vậy làm hộ chiếu mất mấy ngày"
    tokens = inspect_query(story, LEXICON).tokens
    assert _named(tokens, "cap-ho-chieu") == 2  # its name expanded, plus one more service token
    assert _named(tokens, "cap-doi-giay-phep-lai-xe") == 1  # named in the story: its token only
    # … and the long official name of the story's service is not searched with.
    assert "giấy_phép" not in tokens
    # A single service, or several in the question itself: all expanded, none weighed up.
    alone = inspect_query("làm hộ chiếu mất mấy ngày", LEXICON).tokens
    assert _named(alone, "cap-ho-chieu") == 1
    both = inspect_query("đổi bằng lái và làm hộ chiếu mất mấy ngày", LEXICON).tokens
    assert _named(both, "cap-ho-chieu") == 1 and "giấy_phép" in both


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # A wish names what the citizen wants; a paper asked about in the question is not it.
        ("Tôi muốn nhập hộ khẩu cho con, vậy có cần mang theo hộ chiếu không", ["dang-ky-thuong-tru"]),
        ("Em đang tính làm hộ chiếu, bằng lái của em bị mất, vậy mất bao lâu", ["cap-ho-chieu"]),
        # "có cần", "hỏi có": a question, not a wish.
        ("Bố tôi hỏi có cần bằng lái không, ông ấy đang làm hộ chiếu", ["cap-ho-chieu"]),
        # No wish: the service the question names …
        ("Tôi đã làm hộ chiếu rồi, giờ đổi bằng lái ở đâu", ["cap-doi-giay-phep-lai-xe"]),
        # … but not a paper another service it names before needs.
        ("làm hộ chiếu cần bằng lái không", ["cap-ho-chieu"]),
        ("nhập hộ khẩu có phải mang hộ chiếu theo không", ["dang-ky-thuong-tru"]),
        # Something to do ("làm hộ chiếu") is not a paper; a paper needs its service in the question.
        ("mất bằng lái có làm hộ chiếu được không", ["cap-doi-giay-phep-lai-xe", "cap-ho-chieu"]),
        ("Nhà tôi ở xa, bằng lái của bố còn hạn, vậy có cần mang hộ chiếu không", ["cap-ho-chieu"]),
        # … or being done before ("đi làm hộ chiếu phải nộp …"), even from the story.
        (
            "Hồi trước đi làm hộ chiếu phải nộp bằng lái, vậy giờ còn phải nộp bằng lái không",
            ["cap-ho-chieu"],
        ),
        # Services joined to a wished one are asked about with it.
        (
            "Tôi muốn nhập hộ khẩu và đổi bằng lái, vậy cần những giấy tờ gì",
            ["dang-ky-thuong-tru", "cap-doi-giay-phep-lai-xe"],
        ),
        # Nothing tells them apart: both.
        ("hộ chiếu và bằng lái", ["cap-ho-chieu", "cap-doi-giay-phep-lai-xe"]),
        # Papers in a list after the service being done are papers too.
        ("làm hộ chiếu cần giấy khám sức khỏe và bằng lái đúng không", ["cap-ho-chieu"]),
    ],
)
def test_asked_services_prefers_a_wish_then_the_question(text: str, asked: list) -> None:
    analysis = inspect_query(text, LEXICON)
    services = list(dict.fromkeys(service for *_, service in analysis.alias_spans))
    found = asked_services(
        analysis.words, analysis.alias_spans, services, analysis.tail_start, analysis.tail_end
    )
    assert found == asked


def test_folded_hoi_is_a_wish_only_when_someone_asks() -> None:
    assert _is_wished("cho em hoi ho chieu".split(), 3)
    assert _is_wished("hoi ve ho chieu".split(), 2)
    assert not _is_wished("so bao hiem xa hoi ho chieu".split(), 4)  # "xã hội"


def test_chat_abbreviations_are_not_read_into_words_written_with_marks() -> None:
    assert expand_abbreviations("sổ hồng được hông ạ") == "sổ hồng được không ạ"
    assert expand_abbreviations("dc ko a") == "được không anh"
    assert expand_abbreviations("đk tạm trú mún làm") == "đăng ký tạm trú muốn làm"


def test_what_is_yields_to_the_section_it_asks_about() -> None:
    assert inspect_query("điều kiện nhập hộ khẩu là gì", LEXICON).cues == ["who"]
    assert inspect_query("nhập hộ khẩu là gì", LEXICON).cues == ["overview"]
    assert inspect_query("khi nào cần làm hộ chiếu", LEXICON).cues == ["overview"]


def test_a_named_lien_thong_service_is_what_the_query_asks_about() -> None:
    words = "lien thong khai sinh nhap ho khau va the bao hiem y te cho be lam sao".split()
    spans = [(0, 4, "lien-thong"), (4, 7, "thuong-tru"), (8, 13, "bhyt")]
    services = ["lien-thong", "thuong-tru", "bhyt"]
    assert asked_services(words, spans, services, 4, None, frozenset({"lien-thong"})) == ["lien-thong"]
    assert "lien-thong" not in asked_services(words, spans, services, 4, None)
