"""Dossier codes in the national (TT 01/2018) and provincial formats, and what must not match."""

from __future__ import annotations

import pytest

from bot.dossiers.codes import find_dossier_codes, normalise_code

NATIONAL = "000.00.17.H26-230101-0001"
PROVINCIAL = "H26.22-230101-0001"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (NATIONAL, NATIONAL),
        ("000.00.01.H29-240115-0001", "000.00.01.H29-240115-0001"),
        ("000.00.17.h26-230101-0001", NATIONAL),  # lower case
        ("  000.00.17.H26-230101-0001  ", NATIONAL),
        ("000.00.17.H26 - 230101 - 0001", NATIONAL),  # spaces around dashes
        ("000.00.17.H26 230101 0001", NATIONAL),  # spaces instead of dashes
        ("000 00 17 H26 230101 0001", NATIONAL),  # spaces everywhere
        ("000.00.17H26-230101-0001", NATIONAL),  # a missing dot
        ("00000.17.H26-230101-0001", NATIONAL),
        ("0000017H26-230101-0001", NATIONAL),  # every dot missing
        ("000 . 00 . 17 . H26-230101-0001", NATIONAL),
        ("000.00.17.H26–230101–0001", NATIONAL),  # en dashes from a word processor
        ("000.00.17.H26-230101-0001.", NATIONAL),  # end of a sentence
        (PROVINCIAL, PROVINCIAL),
        ("h26.22-230101-0001", PROVINCIAL),
        ("H2622-230101-0001", PROVINCIAL),  # missing dot
        ("H26.22 230101 0001", PROVINCIAL),
        ("H26-230101-0001", "H26-230101-0001"),
        ("G01.123.45-241231-9999", "G01.123.45-241231-9999"),
        ("000.00.17.H26-240229-0001", "000.00.17.H26-240229-0001"),  # leap day
    ],
)
def test_normalise_accepts_common_ways_of_typing(raw: str, expected: str) -> None:
    assert normalise_code(raw) == expected
    assert find_dossier_codes(f"mã hồ sơ của tôi là {raw} ạ") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "0912345678",  # phone numbers
        "+84 912 345 678",
        "0912 345 678",
        "091-234-5678",
        "01/01/2023",  # dates
        "2023-01-01",
        "230101",
        "1.004222",  # procedure codes
        "1.005142.000.00.00.H07",
        "1.013833.H14",
        "000.00.17.H26",  # a unit code alone
        "000.00.17.H26-230101",  # no sequence
        "000.00.17.H26-230101-001",  # short sequence
        "000.00.17.H26-230101-00012",  # long sequence
        "000.00.17.H26-231301-0001",  # month 13
        "000.00.17.H26-230230-0001",  # 30 February
        "000.00.17.H26-230100-0001",  # day 0
        "000.00.17.H26-230229-0001",  # 2023 is not a leap year
        "0000.00.17.H26-230101-0001",  # four-digit first segment
        "000.00.17.HH26-230101-0001",
        "x000.00.17.H26-230101-0001",  # glued to a word
        "000.00.17.H26-230101-0001x",
        "H26.22230101-0001",  # unit glued to the date
        "187805",  # a dichvucong page id
        "",
        "tra cứu hồ sơ",
    ],
)
def test_near_misses_are_not_codes(text: str) -> None:
    assert find_dossier_codes(text) == []
    assert normalise_code(text) is None


def test_finds_several_codes_once_each_in_order() -> None:
    text = f"hồ sơ {PROVINCIAL} và {NATIONAL}, à nhầm, {PROVINCIAL.lower()} thôi"
    assert find_dossier_codes(text) == [PROVINCIAL, NATIONAL]


def test_normalise_rejects_text_around_a_code() -> None:
    assert normalise_code(f"mã {NATIONAL}") is None
