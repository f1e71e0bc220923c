"""Splitting long replies on natural boundaries."""

from __future__ import annotations

import pytest

from bot.channels.text_split import split_text, utf16_length


def test_short_text_is_one_chunk_and_blank_text_none() -> None:
    assert split_text("  Xin chào!  ", 4096) == ["Xin chào!"]
    assert split_text(" \n\n ", 4096) == []


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    paragraphs = ["a" * 40, "b" * 40, "c" * 40]
    chunks = split_text("\n\n".join(paragraphs), 90)
    assert chunks == ["a" * 40 + "\n\n" + "b" * 40, "c" * 40]


def test_a_paragraph_too_long_is_cut_between_sentences_then_words() -> None:
    text = "Câu một rất dài. Câu hai cũng dài. Câu ba nữa."
    chunks = split_text(text, 20)
    assert all(len(c) <= 20 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    assert chunks[0] == "Câu một rất dài."


def test_one_huge_word_is_hard_cut() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_utf16_length_counts_emoji_twice() -> None:
    assert utf16_length("hồ sơ") == 5
    assert utf16_length("📄") == 2
    chunks = split_text("📄" * 5, 4, utf16_length)
    assert chunks == ["📄📄", "📄📄", "📄"]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 0)
