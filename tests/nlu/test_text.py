import unicodedata

import pytest

from nlu.text import (
    expand_abbreviation,
    fold,
    fold_diacritics,
    normalize_text,
    normalize_tone_placement,
    normalize_with_offsets,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("xin chào", "xin chào"),
        (nfd("xin chào"), "xin chào"),
        ("  xin   chào  ", "xin chào"),
        ("xin\u200bchào", "xinchào"),
        ("xin\u200b chào\ufeff", "xin chào"),
        ("xin\tchào\nbạn", "xin chào bạn"),
        ("xin\x07chào", "xin chào"),
        ("thật không???!!!", "thật không?!"),
        ("ờ.......", "ờ..."),
        ("hoà thuận", "hòa thuận"),
        ("Thanh Hoá", "Thanh Hóa"),
        (nfd("Khánh Hoà"), "Khánh Hòa"),
        ("thuỷ lợi", "thủy lợi"),
        ("uỷ ban", "ủy ban"),
        ("khoẻ không", "khỏe không"),
        ("quý khách", "quý khách"),
        ("hoàng", "hoàng"),
        ("<b>đậm</b>", "đậm"),
        ("<script>alert(1)</script>", "alert(1)"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_normalized_text_is_nfc() -> None:
    text = normalize_text(nfd("Đăng ký thường trú ở Thừa Thiên Huế"))
    assert unicodedata.is_normalized("NFC", text)


def test_tone_placement_keeps_length() -> None:
    text = "hoà thuỷ khoẻ uỷ oà"
    assert len(normalize_tone_placement(text)) == len(text)


def test_offsets_point_back_into_the_raw_text() -> None:
    raw = "  " + nfd("chào") + "   <i>bạn</i>!!!"
    normalised, origin = normalize_with_offsets(raw)
    assert normalised == "chào bạn !"
    assert len(origin) == len(normalised)
    assert origin == sorted(origin)
    start = normalised.index("bạn")
    assert raw[origin[start] :].startswith("bạn")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Đăng ký tạm trú", "Dang ky tam tru"),
        ("đường Điện Biên Phủ", "duong Dien Bien Phu"),
        (nfd("Hồ sơ"), "Ho so"),
        ("abc 123", "abc 123"),
    ],
)
def test_fold_diacritics(raw: str, expected: str) -> None:
    assert fold_diacritics(raw) == expected


def test_fold_matches_text_with_and_without_diacritics() -> None:
    assert fold("Đăng Ký  TẠM TRÚ") == fold("dang ky tam tru") == "dang ky tam tru"
    assert fold(nfd("thuỷ")) == fold("thủy") == "thuy"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ko", "không"),
        ("K", "không"),
        ("dc", "được"),
        ("đc", "được"),
        ("j", "gì"),
        ("bn", "bao nhiêu"),
        ("nhiu", "nhiêu"),
        ("cccd", "cccd"),
        ("Hộ", "hộ"),
    ],
)
def test_expand_abbreviation(word: str, expected: str) -> None:
    assert expand_abbreviation(word) == expected
