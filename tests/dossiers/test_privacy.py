"""Names masked, phones normalised and hashed (salted by code, peppered), last 4 digits compared."""

from __future__ import annotations

import pytest

from bot.dossiers.privacy import clean_last4, digits_match, hash_phone, mask_name, normalise_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V*** A**"),
        ("Nguyễn Văn Anh", "Nguyễn V*** A**"),  # lengths are not revealed
        ("Lê Thị Thu Hà", "Lê T*** T*** H**"),
        ("  Phạm   Minh  ", "Phạm M**"),
        ("Nguye\u0302\u0303n Va\u0306n An", "Nguyễn V*** A**"),  # NFD in, NFC out
        ("Madonna", "M**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(028) 3829 1234", "02838291234"),
        ("12345", None),
        ("091234567a", None),
        ("", None),
        ("1912345678", None),
    ],
)
def test_normalise_phone(raw: str, digits: str | None) -> None:
    assert normalise_phone(raw) == digits


def test_hash_is_deterministic_salted_and_peppered() -> None:
    base = hash_phone("0912345678", "H26.22-230101-0001", "pepper-a")
    assert base == hash_phone("0912345678", "H26.22-230101-0001", "pepper-a")
    assert base != hash_phone("0912345678", "H26.22-230101-0002", "pepper-a")
    assert base != hash_phone("0912345678", "H26.22-230101-0001", "pepper-b")
    assert "0912345678" not in base and len(base) == 64


@pytest.mark.parametrize(
    ("raw", "clean"), [("5678", "5678"), (" 56 78 ", "5678"), ("567", None), ("abcd", None)]
)
def test_clean_last4(raw: str, clean: str | None) -> None:
    assert clean_last4(raw) == clean


def test_digits_match() -> None:
    assert digits_match("5678", "5678")
    assert not digits_match("5678", "5679")
    assert not digits_match(None, "5678")
