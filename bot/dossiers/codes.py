"""Dossier codes (mã số hồ sơ): find them in free text and bring them to one canonical form.

National format (Điều 19 Thông tư 01/2018/TT-VPCP): ``V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX``, e.g.
``000.00.17.H26-230101-0001`` — the receiving unit's code, the receipt date and the day's sequence.
Provinces also print a shorter unit code, e.g. ``H26.22-230101-0001``.

Citizens type these with spaces, in lower case or with a dot missing; all of that is accepted
and the canonical form (upper case, dots and dashes, no spaces) is returned. The date part must be
a real date, which keeps phone numbers, dates and procedure codes (``1.004222``) out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import List

_DOT = r"(?:\s*\.\s*|\s+)?"  # a dot, spaces, or nothing (a missing dot)
_DASH = r"(?:\s*[-‐‑–—_]\s*|\s+)"  # a dash (any kind) or spaces: the parts must be separated

_NATIONAL_UNIT = rf"(?P<v>\d{{3}}){_DOT}(?P<z>\d{{2}}){_DOT}(?P<y>\d{{2}}){_DOT}(?P<m>[A-Z]\d{{2}})"
_PROVINCIAL_UNIT = rf"(?P<p>[A-Z]\d{{2}})(?P<psub>(?:{_DOT}\d{{2,3}}){{0,3}})"
_TAIL = rf"{_DASH}(?P<date>\d{{6}}){_DASH}(?P<seq>\d{{4}})"

_CODE_RE = re.compile(
    rf"(?<![0-9A-Za-z.])(?:{_NATIONAL_UNIT}|{_PROVINCIAL_UNIT}){_TAIL}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_SUBPART_RE = re.compile(r"\d{2,3}")


def _valid_date(yymmdd: str) -> bool:
    try:
        dt.date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


def _canonical(match: re.Match[str]) -> str | None:
    if not _valid_date(match["date"]):
        return None
    if match["v"] is not None:
        unit = f"{match['v']}.{match['z']}.{match['y']}.{match['m'].upper()}"
    else:
        unit = ".".join([match["p"].upper(), *_SUBPART_RE.findall(match["psub"] or "")])
    return f"{unit}-{match['date']}-{match['seq']}"


def find_dossier_codes(text: str) -> List[str]:
    """Every dossier code in ``text``, canonical, without duplicates, in order of appearance."""
    found: List[str] = []
    for match in _CODE_RE.finditer(text or ""):
        code = _canonical(match)
        if code is not None and code not in found:
            found.append(code)
    return found


def normalise_code(raw: str) -> str | None:
    """The canonical form of ``raw`` when it is (only) a dossier code, else ``None``."""
    stripped = (raw or "").strip().strip(".,;:!?\"'()[]")
    match = _CODE_RE.fullmatch(stripped)
    return _canonical(match) if match else None
