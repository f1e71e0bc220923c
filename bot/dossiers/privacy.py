"""Personal data of applicants: phone numbers (normalised, hashed, last 4 digits) and masked names."""

from __future__ import annotations

import hashlib
import hmac
import re

from nlu.text import normalize_text

_NON_DIGIT = re.compile(r"\D")


def normalise_phone(raw: str) -> str | None:
    """A Vietnamese phone number as national digits (``0912345678``), or ``None`` if it is not one.

    Accepts spaces, dots, dashes, brackets and the +84 / 84 prefix.
    """
    if not raw:
        return None
    text = raw.strip()
    if re.search(r"[^\d\s.\-()+]", text):
        return None
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("+84") or (digits.startswith("84") and len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    if not digits.startswith("0") or not 10 <= len(digits) <= 11:
        return None
    return digits


def hash_phone(phone_digits: str, dossier_code: str, pepper: str) -> str:
    """HMAC-SHA256 keyed by the pepper and salted by the dossier code (hex, 64 characters)."""
    message = f"{dossier_code}\x1f{phone_digits}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()


def digits_match(expected_last4: str | None, given: str) -> bool:
    """Constant-time comparison of the last 4 digits."""
    if not expected_last4:
        return False
    return hmac.compare_digest(expected_last4.encode(), given.encode())


def clean_last4(raw: str) -> str | None:
    """The 4 digits a citizen typed ("12 34", "1234."), or ``None`` if it is not 4 digits."""
    digits = _NON_DIGIT.sub("", raw or "")
    if len(digits) != 4 or re.search(r"[^\d\s.\-]", (raw or "").strip()):
        return None
    return digits


def mask_name(name: str | None) -> str:
    """ "Nguyễn Văn An" → "Nguyễn V*** A**": the family name, then initials only.

    Star counts are fixed so that the mask does not reveal the length of the given names.
    """
    words = normalize_text(name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + "**"
    middle = [word[0] + "***" for word in words[1:-1]]
    return " ".join([words[0], *middle, words[-1][0] + "**"])


def conversation_tag(conversation_id: str) -> str:
    """A short, stable tag for logs instead of the raw conversation id."""
    return hashlib.sha256(conversation_id.encode()).hexdigest()[:10]
