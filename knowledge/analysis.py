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
official name; aliases are matched on folded words, longest first, without overlaps; when it names
several, only the ones it asks about get their official name and one more ``svc:`` token, see
:func:`asked_services`), and a
``sec:<section>`` token for every section cue it contains ("bao nhiêu tiền" → ``sec:fee``).
Documents carry those tokens in boosted fields (see ``FIELDS``), so ranking combines service
relevance (name field) with section relevance (cue field) and the text itself (body, faq).

underthesea is imported on first use, never at import time.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from nlu.text import expand_abbreviation, fold_diacritics, normalize_text

# Bump when the tokens produced here change: it invalidates cached indexes.
ANALYSIS_VERSION = 8

log = logging.getLogger(__name__)

_SYLLABLE_RE = re.compile(r"[^\W_]+", re.UNICODE)

# Queries of this many words or more are not segmented: underthesea's cost grows with the text
# (it dominated the latency of long story-like questions), and on such texts the syllables and
# folded bigrams already carry the evidence. Documents are always segmented.
QUERY_SEGMENT_LIMIT = 30

SERVICE_TOKEN_PREFIX = "svc:"  # noqa: S105 (a token prefix, not a secret)
SECTION_TOKEN_PREFIX = "sec:"  # noqa: S105


@dataclass(frozen=True)
class FieldSpec:
    """One indexed field: its query boost and its BM25 parameters (Lucene's formula)."""

    boost: float
    k1: float = 1.2
    b: float = 0.75


# A service named by one of its aliases weighs most (``service`` holds the ``svc:`` token, added to
# a query only on an alias match), then name and alias words, the situations that point at a
# service without naming it (``keywords`` of the service file: "mới sinh", "bị mất ví"), the section
# cue (``sec:`` token, from cue phrases in the query), frequent questions, and the body.
# Single-token fields have b=0. The section a question asks about is mostly decided after the
# backend, by ``knowledge.sections`` (a classifier re-ranking the candidates).
FIELDS: Mapping[str, FieldSpec] = {
    "service": FieldSpec(boost=20.0, k1=1.2, b=0.0),
    "name": FieldSpec(boost=3.0, k1=1.2, b=0.75),
    "keywords": FieldSpec(boost=2.0, k1=1.2, b=0.75),
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
        "khi nao can",
        "khi nao phai",
        "khi nao thi can",
        "khi nao thi phai",
        "luc nao can",
        "luc nao phai",
        "tim hieu",
        "thu tuc gi",
        "bat dau tu dau",
        "nghia la gi",
        "co tac dung gi",
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
        "trach nhiem",
        "ai co trach nhiem",
        "co phai lam",
        "nguoi nao",
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
        "hinh thuc nao",
        "cach thuc nop",
        "nop qua",
        "nop tai dau",
        "cho nao",
        "o cho nao",
        "trang nao",
        "tren trang nao",
        "nop bang cach nao",
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
        "han chot",
        "trong ngay",
        "lay ngay",
        "lam gap",
        "khi nao thi co",
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
        "co quan giai quyet",
        "cap nao",
        "noi giai quyet",
        "don vi giai quyet",
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
        "buoc nao",
        "bam vao dau",
        "tung buoc mot",
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


_PHRASE_STARTS: Dict[int, Tuple[Mapping[Tuple[str, ...], str], int, Dict[str, Tuple[int, ...]]]] = {}
_PHRASE_STARTS_LOCK = threading.Lock()


def _phrase_starts(table: Mapping[Tuple[str, ...], str]) -> Dict[str, Tuple[int, ...]]:
    """First word → lengths of the table's phrases starting with it (longest first), memoised per table.

    The memo keeps a reference to the table (so its id is not reused) and its size (a table that
    grew is indexed again); tables are built once and then only read.
    """
    entry = _PHRASE_STARTS.get(id(table))
    if entry is not None and entry[0] is table and entry[1] == len(table):
        return entry[2]
    lengths: Dict[str, set] = {}
    for key in table:
        if key:
            lengths.setdefault(key[0], set()).add(len(key))
    starts = {word: tuple(sorted(sizes, reverse=True)) for word, sizes in lengths.items()}
    with _PHRASE_STARTS_LOCK:
        if len(_PHRASE_STARTS) > 64:
            _PHRASE_STARTS.clear()
        _PHRASE_STARTS[id(table)] = (table, len(table), starts)
    return starts


def match_phrases(
    words: Sequence[str], table: Mapping[Tuple[str, ...], str], taken: Optional[List[bool]] = None
) -> List[Tuple[int, int, str]]:
    """(start, end, value) of the table phrases found in ``words``: longest first, no overlaps.

    ``words`` and the keys are folded syllables. ``taken`` marks words already claimed by an
    earlier match (it is updated in place), so a later table cannot reuse them. Among phrases of
    the same length the leftmost wins.
    """
    if taken is None:
        taken = [False] * len(words)
    if not table or not words:
        return []
    starts = _phrase_starts(table)
    candidates: List[Tuple[int, int, str]] = []  # (-size, start, value)
    for start, word in enumerate(words):
        for size in starts.get(word, ()):
            if start + size <= len(words):
                value = table.get(tuple(words[start : start + size]))
                if value is not None:
                    candidates.append((-size, start, value))
    candidates.sort(key=lambda c: (c[0], c[1]))
    found: List[Tuple[int, int, str]] = []
    for neg_size, start, value in candidates:
        end = start - neg_size
        if not any(taken[start:end]):
            found.append((start, end, value))
            for i in range(start, end):
                taken[i] = True
    return sorted(found)


def find_phrases(
    words: Sequence[str], table: Mapping[Tuple[str, ...], str], taken: Optional[List[bool]] = None
) -> List[str]:
    """Values of :func:`match_phrases`, in text order."""
    return [value for _, _, value in match_phrases(words, table, taken)]


# underthesea loads its model lazily and not thread-safely: a search racing the warm-up thread
# could see the half-loaded model (``'NoneType' object has no attribute 'process'``).
_SEGMENTER_LOCK = threading.Lock()


@lru_cache(maxsize=8192)
def segment(text: str) -> Tuple[str, ...]:
    """underthesea word segmentation; compounds joined with ``_``. Imported lazily."""
    from underthesea import word_tokenize  # heavy: first call loads the model

    with _SEGMENTER_LOCK:
        tokens = word_tokenize(text)
    return tuple(token.replace(" ", "_") for token in tokens)


def warm_up() -> None:
    """Load underthesea's segmenter (about half a second) before the first query needs it."""
    try:
        segment("khởi động")
    except Exception:  # best effort: the first query reports a real problem
        log.warning("could not load the word segmenter in advance", exc_info=True)


def canonical(text: str) -> str:
    """NFC, traditional tone placement, single spaces, lower case."""
    return normalize_text(text).lower()


def expand_abbreviations(text: str) -> str:
    """Replace chat abbreviations word by word ("dk tt mat bn" → "đăng ký thủ tục mất bao nhiêu")."""
    return _SYLLABLE_RE.sub(lambda m: expand_abbreviation(m.group(0)), text)


def analyze(text: str, *, bigrams: bool = True) -> List[str]:
    """Index tokens of ``text``: segmented words, syllables, folded forms, folded bigrams."""
    return _analyze_canonical(canonical(text), bigrams=bigrams)


def _analyze_canonical(
    lowered: str, *, bigrams: bool = True, segment_limit: Optional[int] = None
) -> List[str]:
    """:func:`analyze` of text already in :func:`canonical` form.

    Texts longer than ``segment_limit`` words are split on spaces instead of segmented (see
    ``QUERY_SEGMENT_LIMIT``).
    """
    if not lowered:
        return []
    tokens: List[str] = []
    stream: List[Tuple[str, bool]] = []  # (folded syllable, is a function word); "" breaks phrases
    split = segment_limit is not None and lowered.count(" ") >= segment_limit
    for word in lowered.split() if split else segment(lowered):
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


def syllables(lowered: str) -> List[str]:
    """The syllables of a text already in :func:`canonical` form, as typed."""
    return _SYLLABLE_RE.findall(lowered)


def folded_words(text: str) -> List[str]:
    """Folded syllables of ``text`` (the keys for alias and cue matching)."""
    return _fold_words(canonical(text))


def _fold_words(lowered: str) -> List[str]:
    return _SYLLABLE_RE.findall(fold_diacritics(lowered))


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

# "là gì", "là sao": an overview cue only when the question has no other cue ("điều kiện … là gì"
# asks about the conditions).
WHAT_IS_CUES = frozenset({("la", "gi"), ("la", "sao")})


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
    # Liên thông services (they join other services): named, they are what the query asks about.
    bundles: FrozenSet[str] = frozenset()

    @classmethod
    def build(
        cls, services: Iterable[Tuple[str, str, Sequence[str]]], bundles: Iterable[str] = ()
    ) -> Lexicon:
        """``services``: (service id, official name, names and aliases); ``bundles``: liên thông ids."""
        lexicon = cls(bundles=frozenset(bundles))
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
        words = _fold_words(expand_abbreviations(lowered))
        services, cues, _ = self._match_words(_fold_words(lowered), words, taken)
        return services, cues

    def _match_words(
        self, raw_words: Sequence[str], words: Sequence[str], taken: Optional[List[bool]]
    ) -> Tuple[List[str], List[Cue], List[Tuple[int, int, str]]]:
        found = find_phrases(raw_words, self.aliases)
        cues: List[Cue] = []
        spans = match_phrases(words, self.aliases, taken)
        for start, end, service_id in spans:
            found.append(service_id)
            cues.extend(self.alias_cues.get(tuple(words[start:end]), ()))
        return list(dict.fromkeys(found)), cues, spans

    def services_in(self, text: str) -> List[str]:
        return self.match(text)[0]


@dataclass(frozen=True)
class QueryAnalysis:
    """Everything search needs from one query, computed once (the text is normalised once)."""

    tokens: List[str]  # what the backends search with
    words: List[str]  # folded words of the abbreviation-expanded query
    alias_spans: List[Tuple[int, int, str]]  # (start, end, service id) of the aliases in ``words``
    cues: List[str]  # sections of the strongest cue phrases outside aliases
    tail_start: int = 0  # index in ``words`` of the last clause (the question of a long story)
    tail_end: Optional[int] = None  # index in ``words`` after the question (closing courtesies follow)


def inspect_query(query: str, lexicon: Lexicon) -> QueryAnalysis:
    """Tokens (analysed expanded text + alias expansion + section cue tokens) and what they came from."""
    lowered = canonical(query)
    expanded = expand_abbreviations(lowered)
    tokens = _analyze_canonical(expanded, segment_limit=QUERY_SEGMENT_LIMIT)
    words = _fold_words(expanded)
    taken = [False] * len(words)
    services, alias_cues, spans = lexicon._match_words(_fold_words(lowered), words, taken)
    tail_start, tail_end = question_span(expanded, len(words))
    asked = asked_services(words, spans, services, tail_start, tail_end, lexicon.bundles)
    for service_id in services:
        if service_id not in asked:
            tokens.extend(lexicon.name_tokens.get(service_id, ())[:OTHER_SERVICE_TOKENS])
            continue
        tokens.extend(lexicon.name_tokens.get(service_id, ()))
        if len(asked) < len(services):
            tokens.extend([service_token(service_id)] * ASKED_SERVICE_EXTRA)
    matches = match_phrases(words, cue_table(), taken)
    # A story's question is its last clause: cue phrases of the story before it do not count.
    matches = [m for m in matches if m[0] >= tail_start and (tail_end is None or m[1] <= tail_end)] or matches
    # "điều kiện … là gì", "căn cứ pháp lý là gì": "là gì" asks what the other cue names.
    asking_what = [m for m in matches if tuple(words[m[0] : m[1]]) in WHAT_IS_CUES]
    if asking_what and len(asking_what) < len(matches):
        matches = [m for m in matches if m not in asking_what]
    cues = [(section, end - start) for start, end, section in matches]
    tokens.extend(section_token(section) for section in strongest(alias_cues + cues))
    return QueryAnalysis(
        tokens=tokens,
        words=words,
        alias_spans=spans,
        cues=strongest(cues),
        tail_start=tail_start,
        tail_end=tail_end,
    )


_CLAUSE_BREAK_RE = re.compile(r"[,.;:!?…\n]")
TAIL_MIN_WORDS = 5
# Folded words of the closing courtesies that follow a question ("anh chị chỉ giúp em với ạ",
# "mong được hướng dẫn", "em cảm ơn ạ"): a clause made only of them is not the question.
CLOSING_WORDS = frozenset(
    """
    a ad admin ah anh ban bac chau chi chu cam chan thanh ctv em giup dum huong dan minh mn mong moi
    nguoi nha nhe nhieu nhi oi on rat thank thanks toi tu van voi xin duoc dc cho hoi tham khao y kien
    giai dap
    """.split()
)


# When a query names several services and asks about some of them (:func:`asked_services`), those
# get ``ASKED_SERVICE_EXTRA`` more ``svc:`` tokens, and the others only their first
# ``OTHER_SERVICE_TOKENS`` name tokens (the ``svc:`` token) instead of their whole official name (a
# long official name would otherwise outweigh the question on name-field matches alone).
ASKED_SERVICE_EXTRA = 1
OTHER_SERVICE_TOKENS = 1


# Folded words that introduce what a citizen wants to do ("tôi muốn …", "đang tính …", "sắp phải …",
# "em hỏi về …"), looked for in the ``TOPIC_WINDOW`` words before a service's name; after or before
# "có" or "không" they ask about a paper instead ("hỏi có cần mã số thuế không"). "Cần" and "phải"
# are a wish only right before the name, or before a verb and the name ("đang cần bhyt", "cần đổi
# căn cước"): "phải về nơi thường trú" is not.
WISH_WORDS = frozenset("muon dinh tinh sap hoi".split())
# Folded "hoi" is also "hội" ("bảo hiểm xã hội", "cơ hội"): it is "hỏi" only after someone asking
# ("cho em hỏi", "tôi muốn hỏi", "xin hỏi") or before "về".
ASKING_BEFORE_HOI = frozenset("cho xin muon em e toi t minh mk tui to chau con anh a chi c ban".split())
NEED_WORDS = frozenset({"can", "phai"})
NOT_A_WISH_NEXT_TO = frozenset({"co", "khong"})
TOPIC_WINDOW = 3
# Verbs a service's name may start with ("làm hộ chiếu", "đổi bằng lái"): such a name is something
# being done, never a paper.
ACTION_WORDS = frozenset("lam dang xin doi cap khai nop gia sang nhap bao thong dong huong lap dinh".split())
# Folded words that make a service named after one being asked about or done a paper it needs: "làm
# hộ chiếu cần căn cước không", "cấp điện phải có sổ đỏ không", "nộp bản sao giấy khai sinh".
PAPER_WORDS = frozenset("can phai mang nop kem dung trinh sao chup".split())
PAPER_WINDOW = 2
PAPER_LIST_WINDOW = 8
# Words joining two services asked about together ("muốn làm khai tử và xóa thường trú").
JOINING_WORDS = frozenset({"va", "voi", "kem", "cung"})
JOIN_WINDOW = 4

Span = Tuple[int, int, str]  # (start, end, service id) of a service's name in the folded words


def _is_wished(words: Sequence[str], start: int) -> bool:
    """Whether the service name starting at ``start`` is introduced by a wish ("muốn làm hộ chiếu")."""
    for need in (start - 1, start - 2):  # "cần bhyt", "cần đổi căn cước"; not "có cần căn cước"
        if need >= 0 and words[need] in NEED_WORDS and (need == start - 1 or words[need + 1] in ACTION_WORDS):
            if need == 0 or words[need - 1] not in NOT_A_WISH_NEXT_TO:
                return True
    for i in range(max(0, start - TOPIC_WINDOW), start):
        if words[i] == "hoi" and not ((i > 0 and words[i - 1] in ASKING_BEFORE_HOI) or words[i + 1] == "ve"):
            continue
        if words[i] in WISH_WORDS and not (
            (i > 0 and words[i - 1] in NOT_A_WISH_NEXT_TO) or words[i + 1] in NOT_A_WISH_NEXT_TO
        ):
            return True
    return False


def _joined(words: Sequence[str], first: Span, second: Span) -> bool:
    """Whether ``second`` is named right after ``first`` and joined to it ("khai tử … và xóa thường trú")."""
    gap = words[first[1] : second[0]]
    return 0 <= second[0] - first[1] <= JOIN_WINDOW and bool(JOINING_WORDS.intersection(gap))


def asked_services(
    words: Sequence[str],
    spans: Sequence[Span],
    services: Sequence[str],
    tail_start: int,
    tail_end: Optional[int],
    bundles: FrozenSet[str] = frozenset(),
) -> List[str]:
    """The services a query asks about, when it names several (``services``; ``spans`` in ``words``).

    A liên thông service (one of ``bundles``) named in the query is what it asks about: the citizen
    chose the joined procedure by name, and the other names are usually its parts ("liên thông khai
    sinh, nhập hộ khẩu và thẻ bảo hiểm y tế cho bé").

    A query names things beside what it asks about: a story its situation ("nhà cửa đất đai đều
    đứng tên ba, … muốn đăng ký kết hôn"), a question the papers a service needs ("làm hộ chiếu cần
    căn cước không"). A name after a paper word ("cần", "mang", "bản sao") is a paper when a service
    named before it is wished for, being done ("làm …") or named in the same question. The services
    asked about are those named after a wish ("muốn", "định", "sắp phải", "cần") and those joined
    to them ("… và …"), preferably in the question (the last clause, ``tail_start``…``tail_end``);
    without a wish, the ones named in the question, then anywhere, that are not papers; otherwise
    all of them.
    """
    if len(services) < 2:
        return list(services)
    named_bundles = [service for service in services if service in bundles]
    if named_bundles:
        return named_bundles
    if len({service for *_, service in spans}) < len(services):
        # A service found only before abbreviations were expanded: no position.
        return list(services)

    def in_question(span: Span) -> bool:
        return span[0] >= tail_start and (tail_end is None or span[1] <= tail_end)

    wished = [_is_wished(words, span[0]) for span in spans]
    doing = [wish or words[span[0]] in ACTION_WORDS for wish, span in zip(wished, spans, strict=True)]

    def is_paper(index: int) -> bool:
        start, _, service = spans[index]
        if words[start] in ACTION_WORDS:
            return False
        for before in range(index):
            _, before_end, before_service = spans[before]
            if before_service == service or not (
                doing[before] or (in_question(spans[before]) and in_question(spans[index]))
            ):
                continue
            # A paper word right before the name, or anywhere after the service being done: a
            # list of papers ("cần sổ bảo hiểm xã hội và căn cước") names each one as a paper.
            if PAPER_WORDS.intersection(words[max(0, start - PAPER_WINDOW) : start]):
                return True
            if start - before_end <= PAPER_LIST_WINDOW and PAPER_WORDS.intersection(words[before_end:start]):
                return True
        return False

    named = [span for index, span in enumerate(spans) if not is_paper(index)]
    asked = [span for span, wish in zip(spans, wished, strict=True) if wish and span in named]
    asked += [span for span in named if span not in asked and any(_joined(words, a, span) for a in asked)]
    for candidates in (
        [span for span in asked if in_question(span)],
        asked,
        [span for span in named if in_question(span)],
        named,
    ):
        if candidates:
            return list(dict.fromkeys(service for *_, service in candidates))
    return list(services)


def question_span(text: str, count: int) -> Tuple[int, Optional[int]]:
    """(start, end) word indexes of the question that ends a long text; (0, None) for the whole text.

    Clauses end at punctuation. A long story-like question usually asks its question last
    ("…, vậy cần chuẩn bị những giấy tờ gì"): the question is the shortest ending run of clauses
    with ``TAIL_MIN_WORDS`` words, without the closing courtesies after it ("…, em cảm ơn ạ").
    """
    clauses: List[List[str]] = [[]]
    position = 0
    for index, match in enumerate(_SYLLABLE_RE.finditer(text)):
        if index and _CLAUSE_BREAK_RE.search(text, position, match.start()):
            clauses.append([])
        clauses[-1].append(fold_diacritics(match.group(0).lower()))
        position = match.end()
    if count != sum(len(clause) for clause in clauses):
        return 0, None  # defensive: ``count`` words were found in another form of the text
    start = count
    end: Optional[int] = None
    asked = 0  # words of the question clauses seen so far, from the end
    for clause in reversed(clauses):
        start -= len(clause)
        if asked == 0 and all(word in CLOSING_WORDS for word in clause):
            continue
        if end is None:
            end = start + len(clause)
        asked += len(clause)
        if asked >= TAIL_MIN_WORDS:
            break
    else:
        start = 0
    return start, (None if end is None or end == count else end)


def analyze_query(query: str, lexicon: Lexicon) -> List[str]:
    """Query tokens: analysed expanded text + alias expansion + section cue tokens."""
    return inspect_query(query, lexicon).tokens
