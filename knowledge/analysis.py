"""Vietnamese analysis shared by every search backend.

Both the embedded index and Elasticsearch see the *same* tokens: we analyse here and Elasticsearch
only splits our output on whitespace. A text becomes:

* its words as segmented by underthesea, compounds joined with ``_`` ("đăng_ký"),
* every syllable on its own ("đăng", "ký") — underthesea segments text typed without
  diacritics badly, so syllables keep such queries matching,
* the diacritic-folded form of each of those when it differs ("dang_ky", "dang", "ky"),
* folded syllable bigrams ("dang_ky", "ky_thuong") so that a query typed without diacritics
  still earns the phrase-level evidence a segmented query with diacritics gets.

A *query* additionally gets chat abbreviations expanded (``nlu.text.expand_abbreviation``), the
canonical name terms of every service whose alias it contains (``svc:<id>`` plus the analysed
official name; aliases are matched on folded words, longest first, without overlaps), and a
``sec:<section>`` token for every section cue it contains ("bao nhiêu tiền" → ``sec:fee``).
Documents carry those tokens in boosted fields (see ``FIELDS``), so ranking combines service
relevance (name field) with section relevance (cue field) and the text itself (body, faq).

underthesea is imported on first use, never at import time.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from nlu.text import expand_abbreviation, fold_diacritics, normalize_text

# Bump when the tokens produced here change: it invalidates cached indexes.
ANALYSIS_VERSION = 3

_SYLLABLE_RE = re.compile(r"[^\W_]+", re.UNICODE)

SERVICE_TOKEN_PREFIX = "svc:"  # noqa: S105 (a token prefix, not a secret)
SECTION_TOKEN_PREFIX = "sec:"  # noqa: S105


@dataclass(frozen=True)
class FieldSpec:
    """One indexed field: its query boost and its BM25 parameters (Lucene's formula)."""

    boost: float
    k1: float = 1.2
    b: float = 0.75


# A service named by one of its aliases weighs most (``service`` holds the ``svc:`` token, added to
# a query only on an alias match), then name and alias words, then the section cue (``sec:`` token,
# from cue phrases in the query), frequent questions, and the body. Single-token fields have b=0.
FIELDS: Mapping[str, FieldSpec] = {
    "service": FieldSpec(boost=20.0, k1=1.2, b=0.0),
    "name": FieldSpec(boost=3.0, k1=1.2, b=0.75),
    "faq": FieldSpec(boost=1.2, k1=1.2, b=0.75),
    "cue": FieldSpec(boost=8.0, k1=1.2, b=0.0),
    "body": FieldSpec(boost=1.0, k1=1.2, b=0.75),
}

# Section cue phrases, folded and lower-case. A query containing one is about that section.
# Phrases are matched longest first, so "bao nhieu ngay" (time) wins over "bao nhieu" (fee).
SECTION_CUES: Mapping[str, Tuple[str, ...]] = {
    "overview": (
        "la gi",
        "la sao",
        "gioi thieu",
        "tong quan",
        "khai niem",
        "thong tin chung",
        "co con dung",
        "con dung duoc",
        "con gia tri",
        "co bat buoc",
        "co can lam",
        "de lam gi",
        "dung de",
    ),
    "who": (
        "ai duoc",
        "ai co the",
        "ai phai",
        "ai can",
        "doi tuong",
        "dieu kien",
        "truong hop nao",
        "co duoc lam",
        "duoc khong",
        "co duoc khong",
        "nguoi nuoc ngoai",
        "bao nhieu tuoi",
        "du tuoi",
        "lam thay",
        "uy quyen",
        "lam ho",
    ),
    "channels": (
        "nop o dau",
        "lam o dau",
        "o dau",
        "noi nop",
        "nop truc tiep",
        "truc tiep",
        "buu dien",
        "buu chinh",
        "hinh thuc nop",
        "cach nop",
        "kenh",
        "mot cua",
        "nop giay",
        "ho so giay",
    ),
    "documents": (
        "giay to",
        "giay to gi",
        "ho so gom",
        "ho so can",
        "thanh phan ho so",
        "can gi",
        "can nhung gi",
        "mang gi",
        "mang theo",
        "chuan bi",
        "to khai",
        "mau to khai",
        "ban sao",
        "cong chung",
        "chung thuc",
        "nop nhung gi",
        "can mang",
        "ho so gi",
        "ho so nhung gi",
    ),
    "fee": (
        "bao nhieu tien",
        "bao nhieu",
        "het bao nhieu",
        "mat bao nhieu",
        "ton bao nhieu",
        "le phi",
        "phi",
        "chi phi",
        "mat phi",
        "mien phi",
        "tien",
        "muc thu",
        "gia tien",
        "tra tien",
        "thanh toan",
        "dong tien",
    ),
    "processing_time": (
        "bao lau",
        "mat bao lau",
        "bao lau thi",
        "may ngay",
        "bao nhieu ngay",
        "may hom",
        "may tuan",
        "bao nhieu lau",
        "thoi gian",
        "thoi han",
        "bao gio",
        "khi nao co",
        "khi nao xong",
        "lau khong",
        "nhanh khong",
        "ngay lam viec",
        "bao nhieu ngay lam viec",
        "tra ket qua",
        "co ket qua",
    ),
    "agency": (
        "co quan nao",
        "co quan",
        "ai giai quyet",
        "ai cap",
        "noi cap",
        "don vi nao",
        "tham quyen",
        "cong an",
        "uy ban",
        "ubnd",
        "phuong nao",
        "xa nao",
        "ai xu ly",
        "o co quan",
    ),
    "online_steps": (
        "lam online",
        "online",
        "truc tuyen",
        "tren vneid",
        "vneid",
        "dich vu cong",
        "cong dich vu cong",
        "cac buoc",
        "tung buoc",
        "huong dan",
        "lam the nao",
        "nhu the nao",
        "cach lam",
        "thao tac",
        "dang nhap",
        "ung dung",
        "app",
        "qua mang",
        "tai nha",
        "tren mang",
        "dien thoai",
        "lam sao",
    ),
    "legal_basis": (
        "can cu",
        "can cu phap ly",
        "luat",
        "nghi dinh",
        "thong tu",
        "van ban",
        "quy dinh",
        "theo luat",
        "phap luat",
        "quyet dinh",
        "nghi quyet",
        "co so phap ly",
    ),
}


# Function words of chat Vietnamese (pronouns, particles, copulas, question words): not indexed
# and not searched as words (a compound or bigram made only of them is dropped too). Frequent
# questions are written the way people ask ("Tôi … thì có … được không?"), so without this list
# they would win on "tôi", "thì", "có" alone. Cue phrases are matched before this filter.
STOPWORDS = frozenset(
    """
    tôi mình em anh chị bạn ông bà cô chú bác cháu con họ ta tụi chúng mn ad admin
    ạ à ơi nhé nha nhỉ hả hở vậy thế đấy đó này kia ấy thôi luôn nữa rồi mà thì là
    có không chưa được bị đã đang sẽ vẫn cũng còn rất quá lắm
    của cho với và hay hoặc hoac nhưng nếu khi thì để vì nên do tại trong ngoài trên dưới về ra vào lên xuống
    gì nào sao đâu ai bao nhiêu mấy
    cái các những một hai mọi từng mỗi
    hỏi muốn cần xin giúp vui lòng làm sao cảm ơn
    """.split()
)


def _is_stop(syllables: Sequence[str]) -> bool:
    """A word made only of function words, as written (folded "dang" may be "đăng": kept)."""
    return all(s in STOPWORDS for s in syllables)


def _word_keys(phrase: str) -> Tuple[str, ...]:
    return tuple(_SYLLABLE_RE.findall(fold_diacritics(normalize_text(phrase).lower())))


def match_phrases(
    words: Sequence[str], table: Mapping[Tuple[str, ...], str], taken: Optional[List[bool]] = None
) -> List[Tuple[int, int, str]]:
    """(start, end, value) of the table phrases found in ``words``: longest first, no overlaps.

    ``words`` and the keys are folded syllables. ``taken`` marks words already claimed by an
    earlier match (it is updated in place), so a later table cannot reuse them.
    """
    if taken is None:
        taken = [False] * len(words)
    if not table or not words:
        return []
    longest = max(len(key) for key in table)
    found: List[Tuple[int, int, str]] = []
    for size in range(min(longest, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            if any(taken[start : start + size]):
                continue
            value = table.get(tuple(words[start : start + size]))
            if value is not None:
                found.append((start, start + size, value))
                for i in range(start, start + size):
                    taken[i] = True
    return sorted(found)


def find_phrases(
    words: Sequence[str], table: Mapping[Tuple[str, ...], str], taken: Optional[List[bool]] = None
) -> List[str]:
    """Values of :func:`match_phrases`, in text order."""
    return [value for _, _, value in match_phrases(words, table, taken)]


@lru_cache(maxsize=8192)
def segment(text: str) -> Tuple[str, ...]:
    """underthesea word segmentation; compounds joined with ``_``. Imported lazily."""
    from underthesea import word_tokenize  # heavy: first call loads the model

    return tuple(token.replace(" ", "_") for token in word_tokenize(text))


def canonical(text: str) -> str:
    """NFC, traditional tone placement, single spaces, lower case."""
    return normalize_text(text).lower()


def expand_abbreviations(text: str) -> str:
    """Replace chat abbreviations word by word ("dk tt mat bn" → "đăng ký thủ tục mất bao nhiêu")."""
    return _SYLLABLE_RE.sub(lambda m: expand_abbreviation(m.group(0)), text)


def analyze(text: str, *, bigrams: bool = True) -> List[str]:
    """Index tokens of ``text``: segmented words, syllables, folded forms, folded bigrams."""
    lowered = canonical(text)
    if not lowered:
        return []
    tokens: List[str] = []
    stream: List[Tuple[str, bool]] = []  # (folded syllable, is a function word); "" breaks phrases
    for word in segment(lowered):
        syllables = _SYLLABLE_RE.findall(word)
        if not syllables:
            stream.append(("", True))  # punctuation breaks phrases
            continue
        if len(syllables) > 1 and not _is_stop(syllables):
            compound = "_".join(syllables)
            tokens.append(compound)
            folded = fold_diacritics(compound)
            if folded != compound:
                tokens.append(folded)
        for syllable in syllables:
            folded = fold_diacritics(syllable)
            stop = syllable in STOPWORDS
            stream.append((folded, stop))
            if stop:
                continue
            tokens.append(syllable)
            if folded != syllable:
                tokens.append(folded)
    if bigrams:
        for (left, left_stop), (right, right_stop) in itertools.pairwise(stream):
            if left and right and not (left_stop and right_stop):
                tokens.append(f"{left}__{right}")
    return tokens


def folded_words(text: str) -> List[str]:
    """Folded syllables of ``text`` (the keys for alias and cue matching)."""
    return _SYLLABLE_RE.findall(fold_diacritics(canonical(text)))


def section_token(section: str) -> str:
    return f"{SECTION_TOKEN_PREFIX}{section}"


def service_token(service_id: str) -> str:
    return f"{SERVICE_TOKEN_PREFIX}{service_id}"


@lru_cache(maxsize=1)
def cue_table() -> Dict[Tuple[str, ...], str]:
    """Folded cue phrase → section name (a phrase listed twice keeps its first section)."""
    table: Dict[Tuple[str, ...], str] = {}
    for section, phrases in SECTION_CUES.items():
        for phrase in phrases:
            table.setdefault(_word_keys(phrase), section)
    return table


Cue = Tuple[str, int]  # (section, number of words of the cue phrase)


def strongest(cues: Iterable[Cue]) -> List[str]:
    """Sections of the longest cues: "căn cứ pháp lý … là gì" is about legal_basis, not overview."""
    cues = list(cues)
    if not cues:
        return []
    best = max(length for _, length in cues)
    return list(dict.fromkeys(section for section, length in cues if length == best))


def detect_cues(text: str, taken: Optional[List[bool]] = None) -> List[Cue]:
    """Cue phrases in ``text`` (after abbreviation expansion) as (section, length).

    ``taken`` masks words of the expanded text already claimed (by service aliases).
    """
    words = folded_words(expand_abbreviations(canonical(text)))
    return [(section, end - start) for start, end, section in match_phrases(words, cue_table(), taken)]


def detect_sections(text: str) -> List[str]:
    """The sections ``text`` asks about, from its strongest cue phrases."""
    return strongest(detect_cues(text))


def cue_tokens(section: str) -> List[str]:
    """Cue field of a section document: its ``sec:`` token, the canonical form of its cue words.

    The cue words themselves are not indexed: matched as phrases in the query they are precise,
    matched syllable by syllable ("bao" of "bao lâu" and of "bao nhiêu") they are noise.
    """
    return [section_token(section)]


def strip_cues(text: str, aliases: Optional[Mapping[Tuple[str, ...], str]] = None) -> str:
    """``text`` without its section cue phrases (words of aliases are kept, as in queries).

    A frequent question should win on what it asks beyond "how much" or "how long": the cue
    itself already points the query at the section.
    """
    lowered = canonical(text)
    spans = [m.span() for m in _SYLLABLE_RE.finditer(lowered)]
    words = [fold_diacritics(lowered[a:b]) for a, b in spans]
    taken = [False] * len(words)
    if aliases:
        match_phrases(words, aliases, taken)
    cut = [(spans[start][0], spans[end - 1][1]) for start, end, _ in match_phrases(words, cue_table(), taken)]
    for start, end in sorted(cut, reverse=True):
        lowered = f"{lowered[:start]} , {lowered[end:]}"
    return lowered


def intrinsic_cues(phrase: str) -> List[Cue]:
    """Section cues inside an alias, counted only when they are whole words of the alias.

    "đổi bằng lái online" carries ``online_steps`` ("online" is a word of it); "làm hộ chiếu"
    carries nothing: "làm hộ" would cut the word "hộ_chiếu" in two.
    """
    boundaries = {0}
    words: List[str] = []
    for word in segment(canonical(phrase)):
        syllables = _SYLLABLE_RE.findall(fold_diacritics(word))
        if syllables:
            words.extend(syllables)
            boundaries.add(len(words))
    return [
        (value, end - start)
        for start, end, value in match_phrases(words, cue_table())
        if start in boundaries and end in boundaries
    ]


@dataclass
class Lexicon:
    """What query analysis needs to know about the catalog: aliases and canonical names."""

    aliases: Dict[Tuple[str, ...], str] = field(default_factory=dict)  # folded words → service id
    alias_cues: Dict[Tuple[str, ...], List[Cue]] = field(default_factory=dict)  # cues inside aliases
    name_tokens: Dict[str, List[str]] = field(default_factory=dict)  # service id → expansion tokens

    @classmethod
    def build(cls, services: Iterable[Tuple[str, str, Sequence[str]]]) -> Lexicon:
        """``services``: (service id, official name, names and aliases)."""
        lexicon = cls()
        for service_id, name, aliases in services:
            for alias in (name, *aliases):
                key = _word_keys(alias)
                if not key or lexicon.aliases.setdefault(key, service_id) != service_id:
                    continue
                # Spellings with and without diacritics share a key; segmentation differs.
                cues = intrinsic_cues(alias)
                if cues:
                    known = lexicon.alias_cues.setdefault(key, [])
                    known.extend(c for c in cues if c not in known)
            lexicon.name_tokens[service_id] = [service_token(service_id), *analyze(name)]
        return lexicon

    def match(self, text: str, taken: Optional[List[bool]] = None) -> Tuple[List[str], List[Cue]]:
        """(services, section cues) named by the aliases in ``text`` (raw or abbreviation-expanded).

        ``taken`` (one flag per folded word of the expanded text) gets the words of the aliases
        found there, so that section cues cannot reuse them ("làm hộ chiếu" is not "làm hộ");
        cues that are whole words of an alias come back with it.
        """
        lowered = canonical(text)
        found = find_phrases(folded_words(lowered), self.aliases)
        words = folded_words(expand_abbreviations(lowered))
        cues: List[Cue] = []
        for start, end, service_id in match_phrases(words, self.aliases, taken):
            found.append(service_id)
            cues.extend(self.alias_cues.get(tuple(words[start:end]), ()))
        return list(dict.fromkeys(found)), cues

    def services_in(self, text: str) -> List[str]:
        return self.match(text)[0]


def analyze_query(query: str, lexicon: Lexicon) -> List[str]:
    """Query tokens: analysed expanded text + alias expansion + section cue tokens."""
    expanded = expand_abbreviations(canonical(query))
    tokens = analyze(expanded)
    taken = [False] * len(folded_words(expanded))
    services, cues = lexicon.match(query, taken)
    for service_id in services:
        tokens.extend(lexicon.name_tokens.get(service_id, ()))
    tokens.extend(section_token(section) for section in strongest(cues + detect_cues(query, taken)))
    return tokens
