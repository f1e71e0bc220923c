import datetime as dt

import pytest

from actions.outreach import birth_year_in


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("nhắc tôi, sinh năm 1990", 1990),
        ("toi sinh 2001 nhe", 2001),
        ("không có năm", None),
        ("năm 2999", None),
        ("sinh 1899", None),
    ],
)
def test_birth_year_in(text: str, year: int | None) -> None:
    assert birth_year_in(text, today=dt.date(2026, 11, 28)) == year
