"""Which section a question asks about: a small classifier trained on the guidance NLU examples.

The eight aspect intents of three guidance files of the Rasa training data (``TRAINING_FILES``: short
questions in ``guidance.yml``, long story questions in ``guidance_long.yml``, where / which authority /
which steps in ``guidance_where.yml`` — a labelled set of its own) give the labels: ``INTENT_SECTIONS``
maps each to the section (or ``"faq"``) that answers it, and "how to file" examples are split by the
question words of their question (:func:`how_to_file_section`: which authority → agency, how / which
steps → online_steps, where / through which channel → channels), so the classes are the sections
themselves. Features are computed on the folded, abbreviation-expanded text of the *question* — the last
clause of a long story, skipping closing courtesies (``analysis.QueryAnalysis.tail_start``), the whole
text otherwise, without a lead-in such as "cho em hỏi là" (:func:`lead_in_length`) — so questions typed
with and without diacritics look the same: words, word bigrams, character n-grams (3–5, across word
boundaries, which catches "o dau", "bao lau") and the section cue phrases of ``analysis.SECTION_CUES``
as ``cue:<section>`` features. Service names found by the lexicon are masked (one ``svc`` word). The cue
phrases themselves are extra, lighter training examples.

Search adds ``PRIOR_WEIGHT · log(P(section) / P(best section))`` to the backend score of its best
``RERANK_POOL`` candidates (:func:`rerank_scores`), the same for both backends. Frequent questions
count as the law-status class: for "is X still valid?" they come first; for a fee or documents
question the fee or documents section comes first and a frequent question that happens to restate
it follows. ``PRIOR_WEIGHT`` and ``REGULARISATION_C`` were chosen by 5-fold cross-validation on the
guidance examples (``python -m bench.retrieval --cv``: each held-out example searched as typed and
inside made-up stories); the figures plateau for C ≥ 30 and a weight of 15–25.

Training uses scikit-learn's multinomial logistic regression; only the weights are kept (a
``.npz`` cached next to the search index, keyed by the training file's content), so searching
needs neither scikit-learn nor retraining: a prediction is a column sum and a softmax.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import yaml

from knowledge.analysis import ANALYSIS_VERSION, SECTION_CUES, Lexicon, QueryAnalysis, inspect_query
from knowledge.hits import Hit

log = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"
# Named, not globbed: files added for the intent classifier (guidance_more.yml, guidance_stories.yml)
# shift this classifier too, and its settings were chosen by CV on these three. Adding them moved
# the retrieval benchmark's service+section hit@1 from 0.853 to 0.840: add a file here only with a
# `python -m bench.retrieval --cv` comparison.
TRAINING_FILES = ("guidance.yml", "guidance_long.yml", "guidance_where.yml")


def training_files(folder: Path = NLU_DIR) -> List[Path]:
    """The guidance NLU files the classifier learns from (``TRAINING_FILES``), in a stable order."""
    return [folder / name for name in TRAINING_FILES if (folder / name).exists()]


# Bump when features or training change: it invalidates cached weights.
FEATURE_VERSION = 4
REGULARISATION_C = 30.0
CUE_EXAMPLE_WEIGHT = 0.5
# Re-ranking: how many backend candidates are re-scored, and the weight of the log-probability.
RERANK_POOL = 50
PRIOR_WEIGHT = 20.0

FAQ_CLASS = "faq"
# Intent → sections that answer it ("faq": the frequent questions, which answer law-status questions).
INTENT_SECTIONS: Mapping[str, Tuple[str, ...]] = {
    "ask_overview": ("overview",),
    "ask_documents": ("documents",),
    "ask_fee": ("fee",),
    "ask_processing_time": ("processing_time",),
    "ask_how_to_file": ("channels", "online_steps", "agency"),
    "ask_eligibility": ("who",),
    "ask_legal_basis": ("legal_basis",),
    "ask_law_status": (FAQ_CLASS,),
}

HOW_TO_FILE_INTENT = "ask_how_to_file"

# "How to file" asks one of three things; its examples are labelled by their question words (on the
# folded, abbreviation-expanded words): which authority ("cơ quan nào", "ai cấp", "bên nào giải
# quyết", "công an xã hay tỉnh", "chi cục thuế nào") is agency, how to do it ("các bước", "như thế
# nào", "ra sao") is online_steps, and where / through which channel ("nộp ở đâu", "làm trên VNeID
# được không", "qua bưu điện") is channels.
_AGENCY_NOUN = (
    r"(?:xa|phuong|huyen|quan|tinh|thanh pho|trung uong|cong an|bo cong an|uy ban|ubnd|so tu phap|tu phap"
    r"|so giao duc|phong giao duc|truong|so lao dong|chi cuc thue|cuc thue|co quan thue|dien luc|evn"
    r"|bao hiem xa hoi|bhxh|van phong|bo|cap|ben|phong|csgt|so giao thong|so gtvt|kho bac)"
)
# Authorities asked about by name: "công an nào", "ủy ban xã nào", "chi cục thuế nào".
_AGENCY_WHICH = (
    r"(?:cong an|uy ban|ubnd|so tu phap|so giao duc|phong|chi cuc thue|cuc thue|co quan thue|dien luc"
    r"|bao hiem xa hoi|bhxh|trung tam|van phong|chi nhanh|ben)"
)
_AGENCY_RE = re.compile(
    r"\b(?:co quan|tham quyen|don vi nao|cap nao|ben nao|noi cap|do ai|cho ai|thuoc ai"
    r"|ai (?:cap|giai quyet|xu ly|ky|duyet|tiep nhan|phu trach|quan ly|co quyen))\b"
    rf"|\b{_AGENCY_NOUN}\b(?: \w+){{0,4}} hay (?:la |phai |o |tai )?"
    rf"(?:len |ve |ra |den |o |tai )?{_AGENCY_NOUN}\b"
    rf"|\b{_AGENCY_WHICH}(?: (?!cach\b|the\b|luc\b|khi\b|duoc\b)\w+){{0,4}} nao\b"
)
_STEPS_RE = re.compile(
    r"\b(?:cac buoc|tung buoc|nhung buoc|buoc nao|the nao|ra sao|lam sao|sao vay|bam vao dau"
    r"|dang nhap|huong dan|theo doi|thao tac|(?:bam|chon|vao) (?:muc|nut|o) nao)\b"
)


def how_to_file_section(words: Sequence[str]) -> str:
    """The section a "how to file" question asks about, from its question words (see above)."""
    text = " ".join(words)
    if _AGENCY_RE.search(text):
        return "agency"
    if _STEPS_RE.search(text):
        return "online_steps"
    return "channels"


_ANNOTATION_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def read_examples(paths: Optional[Sequence[Path]] = None) -> List[Tuple[str, str]]:
    """(text, intent) for the intents of ``INTENT_SECTIONS`` in Rasa NLU YAML files (default: all
    of :func:`training_files`)."""
    examples: List[Tuple[str, str]] = []
    for path in training_files() if paths is None else paths:
        examples.extend(_read_file_examples(path))
    return examples


def _read_file_examples(path: Path) -> List[Tuple[str, str]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    examples: List[Tuple[str, str]] = []
    for block in (raw or {}).get("nlu", []) or []:
        intent = str(block.get("intent")) if isinstance(block, dict) else ""
        if intent not in INTENT_SECTIONS:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = _ANNOTATION_RE.sub(lambda m: m.group(1) or m.group(2) or "", line[2:]).strip()
                if text:
                    examples.append((text, intent))
    return examples


SERVICE_MASK = "svc"
# "thủ tục này", "giấy đó", "cái này": a question referring back to the service it named before.
_REFERENCE_RE = re.compile(r"\b(?:thu tuc|giay|viec|cai|dich vu|the) (?:nay|do|day|kia|ay)\b")


def cue_examples() -> List[Tuple[str, str]]:
    """The section cue phrases of ``analysis.SECTION_CUES`` as extra (phrase, section) examples.

    The guidance examples are few (about fifty per intent); the cue list is hand-written
    knowledge of how each section is asked about ("thẩm quyền", "bao nhiêu ngày"), so each cue
    phrase teaches the classifier one more wording. Trained with ``CUE_EXAMPLE_WEIGHT``.
    """
    return [(phrase, section) for section, phrases in SECTION_CUES.items() for phrase in phrases]


def section_label(query: QueryAnalysis, intent: str) -> str:
    """The class a training example of ``intent`` teaches: its section, or ``"faq"``."""
    if intent == HOW_TO_FILE_INTENT:
        # The question words of the question itself (a story's last clause, see ``features``): the
        # story before it may name an authority without asking about it.
        return how_to_file_section(query.words[query.tail_start : query.tail_end])
    return INTENT_SECTIONS[intent][0]


# "(vậy) cho em hỏi (là)", "anh chị cho hỏi", "nên muốn hỏi là", "xin hỏi": how a question is
# introduced says nothing about what it asks; the folded words of such a lead-in, ending in "hỏi".
LEAD_IN_WORDS = frozenset(
    """
    vay gio the nen con va thi ma oi a
    anh chi em e minh toi tui ban ad admin mn moi nguoi bac chu co cau chau
    cho xin muon can duoc dc cho phep
    """.split()
)
LEAD_IN_END = "hoi"
LEAD_IN_AFTER = frozenset({"la", "thu", "chut", "ti", "xiu"})  # "hỏi là …", "hỏi thử …", "hỏi chút …"


def lead_in_length(words: Sequence[str]) -> int:
    """Number of words of the lead-in that opens ``words`` ("cho em hỏi là …"), 0 when none."""
    end = 0
    for i, word in enumerate(words):
        if word == LEAD_IN_END:
            end = i + 1
            while end < len(words) and words[end] in LEAD_IN_AFTER:
                end += 1
            break
        if word not in LEAD_IN_WORDS:
            return 0
    return end if end < len(words) else 0


def features(query: QueryAnalysis) -> List[str]:
    """Distinct features of a query's question (folded words, bigrams, character n-grams, cues).

    The question is the last clause of a long story (``QueryAnalysis.tail_start``), the whole
    text otherwise: the story before it names the situation, not the section asked about. The
    words of a service alias found in the query, and references back to it ("thủ tục này", "giấy
    đó"), become one ``svc`` word: the classifier learns how a question asks, not which services
    the training examples happened to name.
    """
    ends = {start: end for start, end, _ in query.alias_spans}
    words: List[str] = []
    i = 0
    stop = len(query.words) if query.tail_end is None else query.tail_end
    while i < stop:
        if i in ends:
            if ends[i] > query.tail_start:
                words.append(SERVICE_MASK)
            i = ends[i]
        else:
            if i >= query.tail_start:
                words.append(query.words[i])
            i += 1
    words = _REFERENCE_RE.sub(SERVICE_MASK, " ".join(words)).split()
    out = _text_features(words[lead_in_length(words) :])
    out.update(f"cue:{section}" for section in query.cues)
    return sorted(out)


def _text_features(words: Sequence[str]) -> set:
    out = {f"w:{w}" for w in words}
    out.update(f"b:{a}_{b}" for a, b in itertools.pairwise(words))
    joined = f" {' '.join(words)} "
    for size in (3, 4, 5):
        out.update(f"c:{joined[i : i + size]}" for i in range(len(joined) - size + 1))
    return out


@dataclass(frozen=True)
class SectionClassifier:
    """Linear model over named features: ``weights`` is features × classes."""

    classes: Tuple[str, ...]
    vocabulary: Mapping[str, int]
    weights: np.ndarray
    intercept: np.ndarray

    @classmethod
    def train(
        cls,
        examples: Sequence[Tuple[str, str]],
        lexicon: Lexicon,
        c: float = REGULARISATION_C,
    ) -> SectionClassifier:
        """Fit on (text, intent) pairs; ``lexicon`` finds the service names to mask."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression  # only when (re)training

        analysed = [(inspect_query(text, lexicon), intent) for text, intent in examples]
        rows = [features(query) for query, _ in analysed]
        labels = [section_label(query, intent) for query, intent in analysed]
        weights = [1.0] * len(rows)
        for phrase, section in cue_examples():
            rows.append(features(inspect_query(phrase, lexicon)))
            labels.append(section)
            weights.append(CUE_EXAMPLE_WEIGHT)
        vocabulary: Dict[str, int] = {}
        for row in rows:
            for name in row:
                vocabulary.setdefault(name, len(vocabulary))
        indptr: List[int] = [0]
        indices: List[int] = []
        values: List[float] = []
        for row in rows:
            indices.extend(vocabulary[name] for name in row)
            values.extend([1.0 / math.sqrt(len(row))] * len(row))
            indptr.append(len(indices))
        matrix = sparse.csr_matrix((values, indices, indptr), shape=(len(rows), len(vocabulary)))
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit(matrix, labels, sample_weight=weights)
        return cls(
            classes=tuple(str(x) for x in model.classes_),
            vocabulary=vocabulary,
            weights=np.ascontiguousarray(model.coef_.T, dtype=np.float32),
            intercept=np.asarray(model.intercept_, dtype=np.float64),
        )

    def probabilities(self, query: QueryAnalysis) -> Dict[str, float]:
        """P(section | query) for every class (the sections of ``INTENT_SECTIONS`` and ``"faq"``)."""
        ids = [self.vocabulary[name] for name in features(query) if name in self.vocabulary]
        logits = self.intercept.copy()
        if ids:
            logits += self.weights[ids].sum(axis=0) / math.sqrt(len(ids))
        logits -= logits.max()
        exp = np.exp(logits)
        exp /= exp.sum()
        return dict(zip(self.classes, exp.tolist(), strict=True))

    def section_log_priors(self, query: QueryAnalysis) -> Dict[str, float]:
        """Section (or ``"faq"``) → log P(section | query) − log P(best section | query), all ≤ 0."""
        probs = self.probabilities(query)
        best = max(probs.values())
        return {section: math.log(max(p, 1e-9) / best) for section, p in probs.items()}

    def save(self, path: Path) -> None:
        names = np.empty(len(self.vocabulary), dtype=object)
        for name, i in self.vocabulary.items():
            names[i] = name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            np.savez(
                handle,
                classes=np.array(self.classes, dtype=str),
                names=names.astype(str),
                weights=self.weights,
                intercept=self.intercept,
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SectionClassifier:
        with np.load(path, allow_pickle=False) as data:
            names = data["names"].tolist()
            return cls(
                classes=tuple(data["classes"].tolist()),
                vocabulary={name: i for i, name in enumerate(names)},
                weights=data["weights"],
                intercept=data["intercept"],
            )


def training_digest(lexicon: Lexicon, paths: Sequence[Path]) -> str:
    """Cache key: versions, training files' content and the aliases that mask service names."""
    digest = hashlib.sha256(
        (
            f"sections-v{FEATURE_VERSION}-analysis-v{ANALYSIS_VERSION}-c{REGULARISATION_C}"
            f"-w{CUE_EXAMPLE_WEIGHT}-{sorted(SECTION_CUES.items())}"
        ).encode()
    )
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for key in sorted(lexicon.aliases):
        digest.update(" ".join(key).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


KEEP_CACHED = 4  # classifier files kept in the cache directory (most recently written first)

_lock = threading.Lock()
_trained: Dict[str, SectionClassifier] = {}  # digest → classifier, so a process trains each once


def load_classifier(
    lexicon: Lexicon, cache_dir: Optional[Path], paths: Optional[Sequence[Path]] = None
) -> Optional[SectionClassifier]:
    """The classifier for the training files (default :func:`training_files`) and ``lexicon``:
    from memory, the cache, or trained.

    A trained classifier is written to ``cache_dir`` (when given) as ``sections-<digest>.npz``.
    None (with a warning) when no training file can be read or scikit-learn is missing: search then ranks
    on its cue phrases alone.
    """
    files = training_files() if paths is None else list(paths)
    try:
        if not files:
            raise FileNotFoundError(f"none of {TRAINING_FILES} in {NLU_DIR}")
        digest = training_digest(lexicon, files)
    except OSError as exc:
        log.warning("no section classifier: cannot read the training files (%s)", exc)
        return None
    path = cache_dir / f"sections-{digest}.npz" if cache_dir else None
    with _lock:
        classifier = _trained.get(digest)
        if classifier is None and path is not None and path.exists():
            try:
                classifier = SectionClassifier.load(path)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("ignoring unreadable section classifier cache %s: %s", path, exc)
        if classifier is None:
            try:
                classifier = SectionClassifier.train(read_examples(files), lexicon)
            except ImportError as exc:
                log.warning("no section classifier: scikit-learn is not installed (%s)", exc)
                return None
        if path is not None and not path.exists():
            _save(classifier, path)
        _trained[digest] = classifier
        return classifier


def _save(classifier: SectionClassifier, path: Path) -> None:
    try:
        classifier.save(path)
        written = sorted(path.parent.glob("sections-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in written[KEEP_CACHED:]:
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not write section classifier cache %s: %s", path, exc)


def rerank_scores(
    query: QueryAnalysis,
    sections: Sequence[str],
    scores: Sequence[float],
    classifier: Optional[SectionClassifier],
    weight: Optional[float] = None,
) -> List[Tuple[int, float]]:
    """(position, new score) of the candidates, best first, after the section prior.

    Each candidate (its section and backend score, best first) gains
    ``weight · (log P(intent of its section | query) − log P(best intent | query))``: 0 for the
    sections of the most likely intent, negative for the others, so scores keep their scale (a
    service alias match still scores above ``guide.CONFIDENT_SCORE``). Frequent questions belong
    to the law-status intent: they come first for "is X still valid / abolished?" questions and
    after the matching section otherwise. Ties keep the backend's order; without a classifier the
    backend's ranking is returned unchanged.
    """
    if classifier is None:
        return list(enumerate(scores))
    if weight is None:
        weight = PRIOR_WEIGHT
    priors = classifier.section_log_priors(query)
    shifted = []
    for position, (section, score) in enumerate(zip(sections, scores, strict=True)):
        key = FAQ_CLASS if section.startswith("faq:") else section
        shifted.append((score + weight * priors.get(key, 0.0), position))
    shifted.sort(key=lambda item: (-item[0], item[1]))
    return [(position, score) for score, position in shifted]


def rerank(
    query: QueryAnalysis, hits: Sequence[Hit], k: int, classifier: Optional[SectionClassifier]
) -> List[Hit]:
    """The k best ``hits`` after :func:`rerank_scores` (their scores replaced by the new ones)."""
    order = rerank_scores(query, [h.section for h in hits], [h.score for h in hits], classifier)
    return [replace(hits[position], score=score) for position, score in order[:k]]
