import pytest

from actions.dossier import last_four_digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("6789", "6789"),
        ("4 số cuối là 6789", "6789"),
        ("6 7 8 9", "6789"),
        ("số 0912 346 789", "6789"),
        ("0912346789", "6789"),
        ("1234 và 5678", "5678"),
        ("abc", ""),
        ("12345", "12345"),
    ],
)
def test_last_four_digits(text: str, digits: str) -> None:
    assert last_four_digits(text) == digits
