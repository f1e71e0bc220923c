"""Vietnamese text helpers shared by the NLU components and the knowledge base.

Everything here is pure Python (no underthesea, no Rasa) so that ``knowledge/`` can use it
without pulling in the NLU stack.

Canonical form: Unicode NFC, tone marks in the traditional ("old") placement used by most
official texts ("hòa", "thủy", "khỏe", "ủy ban"), no zero-width or control characters, single
spaces, no runs of repeated punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Dict, List, Tuple

# Combining tone marks (NFD): grave, acute, tilde, hook above, dot below.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_REPEATABLE_PUNCT = set("!?.,;:-_~*=#")
# Vowel pairs that end a syllable and carry the tone on their first vowel in the
# traditional placement: hòa, khỏe, thủy.
_TONE_PAIRS = ("oa", "oe", "uy")

_WORD_RE = re.compile(r"\w+", re.UNICODE)
# Markup tags are not language: "<b>", "</script>", "<img src=x onerror=…>".
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,300}>")


def to_nfc(text: str) -> str:
    """Compose to NFC (iOS and macOS keyboards often send NFD)."""
    return unicodedata.normalize("NFC", text)


def _fix_syllable_tone(syllable: str) -> str:
    """Move a tone mark from the second to the first vowel of a final oa/oe/uy."""
    decomposed = unicodedata.normalize("NFD", syllable)
    # Separate base letters from their marks so we can reason on the bare syllable.
    bases: List[str] = []
    marks: List[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and bases:
            marks[-1] += char
        else:
            bases.append(char)
            marks.append("")
    bare = "".join(bases).lower()
    if len(bare) < 2 or bare[-2:] not in _TONE_PAIRS:
        return syllable
    if bare[-2:] == "uy" and len(bare) >= 3 and bare[-3] == "q":
        return syllable  # "quý": u belongs to the consonant qu
    last_tones = [m for m in marks[-1] if m in _TONE_MARKS]
    first_tones = [m for m in marks[-2] if m in _TONE_MARKS]
    if not last_tones or first_tones:
        return syllable
    tone = last_tones[0]
    marks[-1] = marks[-1].replace(tone, "")
    marks[-2] = marks[-2] + tone
    return to_nfc("".join(b + m for b, m in zip(bases, marks, strict=True)))


def normalize_tone_placement(text: str) -> str:
    """Rewrite new-style tone placement ("hoà", "thuỷ") to the traditional one ("hòa", "thủy").

    Length-preserving on NFC input: each syllable keeps its number of characters.
    """
    return _WORD_RE.sub(lambda m: _fix_syllable_tone(m.group(0)), text)


def normalize_with_offsets(text: str) -> Tuple[str, List[int]]:
    """Normalise ``text`` and return it with, for every output character, its index in ``text``.

    Steps: NFC per grapheme, zero-width characters removed, markup tags, control characters and
    all kinds of whitespace turned into one space, runs of the same punctuation mark cut to one (three for
    dots, to keep an ellipsis), tone marks in traditional placement, outer spaces stripped.
    The offset map lets components move entity spans from the raw text to the normalised one.
    """
    out: List[str] = []
    origin: List[int] = []
    blank = bytearray(len(text))
    for tag in _TAG_RE.finditer(text):
        blank[tag.start() : tag.end()] = b"\x01" * (tag.end() - tag.start())
    i = 0
    n = len(text)
    while i < n:
        start = i
        i += 1
        while i < n and unicodedata.combining(text[i]):
            i += 1
        cluster = text[start:i]
        base = cluster[0]
        if base in _ZERO_WIDTH:
            continue
        category = unicodedata.category(base)
        if blank[start] or base.isspace() or category in ("Cc", "Cf", "Zl", "Zp"):
            if out and out[-1] != " ":
                out.append(" ")
                origin.append(start)
            continue
        if base in _REPEATABLE_PUNCT and out and out[-1] == base:
            limit = 3 if base == "." else 1
            run = 0
            for ch in reversed(out):
                if ch != base:
                    break
                run += 1
            if run >= limit:
                continue
        composed = to_nfc(cluster)
        for ch in composed:
            out.append(ch)
            origin.append(start)
    # strip
    while out and out[-1] == " ":
        out.pop()
        origin.pop()
    lead = 0
    while lead < len(out) and out[lead] == " ":
        lead += 1
    normalised = normalize_tone_placement("".join(out[lead:]))
    return normalised, origin[lead:]


def normalize_text(text: str) -> str:
    """The canonical form used for storage and comparison (see module docstring)."""
    return normalize_with_offsets(text)[0]


def fold_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics and map đ→d ("Đăng ký" → "Dang ky")."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


def fold(text: str) -> str:
    """Normalised, lower-cased and diacritic-folded: the key for accent-insensitive matching."""
    return fold_diacritics(normalize_text(text).lower())


# Chat abbreviations and teencode, keyed by their folded, lower-case form. In this domain "dk"
# and "đk" almost always mean "đăng ký", while "dc"/"đc" mean "được".
ABBREVIATIONS: Dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kg": "không",
    "khg": "không",
    "hok": "không",
    "hong": "không",
    "hem": "không",
    "dc": "được",
    "dk": "đăng ký",
    "dky": "đăng ký",
    "j": "gì",
    "gi": "gì",
    "bn": "bao nhiêu",
    "bnh": "bao nhiêu",
    "nhiu": "nhiêu",
    "ntn": "như thế nào",
    "r": "rồi",
    "vs": "với",
    "mk": "mình",
    "mik": "mình",
    "t": "tôi",
    "e": "em",
    "a": "anh",
    "ng": "người",
    "nguoi": "người",
    "sdt": "số điện thoại",
    "dt": "điện thoại",
    "tks": "cảm ơn",
    "thanks": "cảm ơn",
    "thank": "cảm ơn",
    "hs": "hồ sơ",
    "tt": "thủ tục",
    "tthc": "thủ tục hành chính",
    "dvc": "dịch vụ công",
    "lm": "làm",
    "oke": "ok",
    "okie": "ok",
    "uh": "ừ",
    "um": "ừ",
    "mún": "muốn",
    "mun": "muốn",
    "hk": "không",
    "cx": "cũng",
    "z": "vậy",
    "v": "vậy",
    "ak": "à",
    "ạh": "ạ",
}


# Chat abbreviations are typed without tone or vowel marks ("ko", "dc", "hong"): a word written with
# them is a real word ("sổ hồng" is not "sổ không", "ạ" is not "anh"), except the marked spellings
# the table lists itself ("mún") and these.
MARKED_ABBREVIATIONS: Dict[str, str] = {"hông": "không"}


def expand_abbreviation(word: str) -> str:
    """Return the full form of a chat abbreviation, or the word itself (lower-cased)."""
    lowered = word.lower()
    known = ABBREVIATIONS.get(lowered) or MARKED_ABBREVIATIONS.get(lowered)
    if known:
        return known
    plain = lowered.replace("đ", "d")  # "đc", "đk" are typed with đ as often as with d
    if fold_diacritics(plain) != plain:
        return lowered
    return ABBREVIATIONS.get(plain, lowered)
