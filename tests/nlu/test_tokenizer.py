"""Tokenizer tests in the style of Rasa's own tokenizer tests: text → tokens → offsets."""

import unicodedata
from typing import List, Tuple

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.normalizer import VietnameseNormalizer
from nlu.tokenizer import UndertheseaTokenizer, lemma_of


def tokenize(text: str) -> List[Tuple[str, int, int, str]]:
    message = Message.build(text=text)
    VietnameseNormalizer().process([message])
    tokenizer = UndertheseaTokenizer(UndertheseaTokenizer.get_default_config())
    tokenizer.process([message])
    seen = message.get(TEXT)
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    for token in tokens:
        # offsets point into the text the pipeline sees
        assert seen[token.start : token.end] == token.text
    return [(t.text, t.start, t.end, t.lemma) for t in tokens]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tôi muốn đăng ký tạm trú",
            [
                ("Tôi", 0, 3, "toi"),
                ("muốn", 4, 8, "muon"),
                ("đăng ký", 9, 16, "dang_ky"),
                ("tạm trú", 17, 24, "tam_tru"),
            ],
        ),
        ("ko dc", [("ko", 0, 2, "khong"), ("dc", 3, 5, "duoc")]),
        (
            "mã hồ sơ 000.00.17.H26-230101-0001",
            [
                ("mã", 0, 2, "ma"),
                ("hồ sơ", 3, 8, "ho_so"),
                ("000.00.17.H26-230101-0001", 9, 34, "000.00.17.h26-230101-0001"),
            ],
        ),
        ("H26.22-230101-0001.", [("H26.22-230101-0001", 0, 18, "h26.22-230101-0001")]),
        (
            "xem https://dichvucong.gov.vn/p/home. nhé",
            [
                ("xem", 0, 3, "xem"),
                ("https://dichvucong.gov.vn/p/home", 4, 36, "https://dichvucong.gov.vn/p/home"),
                ("nhé", 38, 41, "nhe"),
            ],
        ),
        ("😀 chào 🙏", [("chào", 2, 6, "chao")]),
        ("😀😀😀", []),
        ("", []),
        ("?!...", []),
    ],
)
def test_tokens_and_offsets(text: str, expected: List[Tuple[str, int, int, str]]) -> None:
    assert tokenize(text) == expected


def test_nfd_input_gives_the_same_tokens_as_nfc() -> None:
    text = "Đăng ký khai sinh cho con ở Thanh Hoá"
    assert tokenize(unicodedata.normalize("NFD", text)) == tokenize(text)


def test_text_without_diacritics_shares_lemmas_with_text_with_them() -> None:
    with_marks = {lemma for *_, lemma in tokenize("làm căn cước mất bao lâu")}
    without = {lemma for *_, lemma in tokenize("lam can cuoc mat bao lau")}
    assert {"mat", "bao", "lau"} <= without
    assert any(lemma.replace("_", " ") in " ".join(sorted(with_marks)) for lemma in ("can", "cuoc"))


def test_long_message_is_tokenized_fully() -> None:
    text = ("đăng ký tạm trú cho con " * 300)[:5000]
    tokens = tokenize(text)
    covered = sum(end - start for _, start, end, _ in tokens)
    letters = sum(1 for c in text if c.isalnum())
    assert covered >= letters
    assert tokens[-1][2] <= len(text.strip())


def test_lemma_of_folds_and_expands() -> None:
    assert lemma_of("Đăng ký") == "dang_ky"
    assert lemma_of("ko") == "khong"
    assert lemma_of("bn") == "bao_nhieu"


def syllable_lemmas(text: str) -> List[str]:
    message = Message.build(text=text)
    VietnameseNormalizer().process([message])
    config = {**UndertheseaTokenizer.get_default_config(), "syllable_lemmas": True}
    UndertheseaTokenizer(config).process([message])
    return [token.lemma for token in message.get(TOKENS_NAMES[TEXT]) or []]


def test_syllable_lemmas_give_the_same_syllables_however_the_text_was_segmented() -> None:
    with_marks = syllable_lemmas("Đăng ký thường trú cho con ko mất phí")
    without = syllable_lemmas("dang ky thuong tru cho con ko mat phi")
    assert "dang ky" in with_marks  # one word, its syllables joined by a space
    assert " ".join(with_marks).split() == " ".join(without).split()
    assert "khong" in " ".join(without).split()


def test_words_typed_with_marks_are_not_read_as_chat_abbreviations() -> None:
    assert lemma_of("hồng") == "hong"  # "sổ hồng", not "không"
    assert lemma_of("ạ") == "a"  # the polite particle, not "anh"
    assert lemma_of("hong") == "khong"
    assert lemma_of("hông") == "khong"
    assert lemma_of("đc") == "duoc"
