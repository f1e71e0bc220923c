"""The default, in-process search backend: field-weighted BM25 over a scipy sparse matrix.

Each field of ``analysis.FIELDS`` gets Lucene's BM25 (``idf · tf / (tf + k1·(1 − b + b·dl/avgdl))``,
idf over the documents that have the field), multiplied by the field boost; the per-field matrices
are summed into one document × term matrix, so a query is one sparse column slice and a dot
product. That is the same scoring Elasticsearch applies to the same tokens with a ``bool``/
``should`` of per-field ``match`` queries, which keeps the two backends interchangeable.

The analysed documents can be cached as JSON under ``var/`` (keyed by catalog content and
analysis version) so that a restart skips segmenting the whole catalog.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

from knowledge.analysis import ANALYSIS_VERSION, FIELDS, FieldSpec, Lexicon, inspect_query, warm_up
from knowledge.catalog import Catalog, default_catalog
from knowledge.documents import SectionDoc, build_documents, build_lexicon
from knowledge.hits import Hit
from knowledge.sections import RERANK_POOL, SectionClassifier, load_classifier, rerank_scores

log = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / "var" / "knowledge"


def bm25_matrix(
    docs_tokens: Sequence[Sequence[str]], vocabulary: Mapping[str, int], spec: FieldSpec
) -> sparse.csr_matrix:
    """Document × term matrix of BM25 weights for one field (Lucene 8+ formula, no (k1+1) factor)."""
    counts = [Counter(tokens) for tokens in docs_tokens]
    lengths = np.array([len(tokens) for tokens in docs_tokens], dtype=np.float64)
    with_field = int((lengths > 0).sum())
    shape = (len(docs_tokens), len(vocabulary))
    if with_field == 0:
        return sparse.csr_matrix(shape, dtype=np.float64)
    avgdl = lengths.sum() / with_field
    df: Counter = Counter()
    for counter in counts:
        df.update(counter.keys())
    rows: List[int] = []
    cols: List[int] = []
    vals: List[float] = []
    for row, counter in enumerate(counts):
        norm = spec.k1 * (1.0 - spec.b + spec.b * lengths[row] / avgdl)
        for term, tf in counter.items():
            idf = math.log(1.0 + (with_field - df[term] + 0.5) / (df[term] + 0.5))
            rows.append(row)
            cols.append(vocabulary[term])
            vals.append(idf * tf / (tf + norm))
    return sparse.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)


class BM25Index:
    """Field-weighted BM25 over pre-analysed documents."""

    def __init__(self, docs: Sequence[Mapping[str, Sequence[str]]], fields: Mapping[str, FieldSpec]) -> None:
        vocabulary: Dict[str, int] = {}
        for doc in docs:
            for name in fields:
                for token in doc.get(name, ()):
                    vocabulary.setdefault(token, len(vocabulary))
        self.vocabulary = vocabulary
        total: sparse.csr_matrix = sparse.csr_matrix((len(docs), len(vocabulary)), dtype=np.float64)
        for name, spec in fields.items():
            total = total + spec.boost * bm25_matrix([doc.get(name, ()) for doc in docs], vocabulary, spec)
        self.matrix: sparse.csc_matrix = total.tocsc()
        self.size = len(docs)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        counts = Counter(t for t in tokens if t in self.vocabulary)
        if not counts:
            return np.zeros(self.size)
        cols = [self.vocabulary[t] for t in counts]
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return np.asarray(self.matrix[:, cols] @ weights).ravel()

    def top(self, tokens: Sequence[str], k: int) -> List[Tuple[int, float]]:
        """(doc index, score) of the k best documents with a positive score, best first."""
        scores = self.scores(tokens)
        if k <= 0:
            return []
        if k < self.size:
            candidates = np.argpartition(-scores, k - 1)[:k]
        else:
            candidates = np.arange(self.size)
        # Stable order on ties: higher score first, then document order.
        ordered = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
        return [(i, float(scores[i])) for i in ordered if scores[i] > 0]


def catalog_digest(catalog: Catalog) -> str:
    digest = hashlib.sha256(f"analysis-v{ANALYSIS_VERSION}".encode())
    for service in catalog.services:
        digest.update(service.json(sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _lexicon_to_json(lexicon: Lexicon) -> Dict[str, Any]:
    return {
        "aliases": [[list(key), service_id] for key, service_id in lexicon.aliases.items()],
        "alias_cues": [[list(key), [list(cue) for cue in cues]] for key, cues in lexicon.alias_cues.items()],
        "name_tokens": lexicon.name_tokens,
        "bundles": sorted(lexicon.bundles),
    }


def _lexicon_from_json(raw: Mapping[str, Any]) -> Lexicon:
    return Lexicon(
        aliases={tuple(key): str(service_id) for key, service_id in raw["aliases"]},
        alias_cues={
            tuple(key): [(str(section), int(length)) for section, length in cues]
            for key, cues in raw["alias_cues"]
        },
        name_tokens={str(k): [str(t) for t in v] for k, v in raw["name_tokens"].items()},
        bundles=frozenset(str(b) for b in raw.get("bundles", ())),
    )


def _load_cache(path: Path) -> Optional[Tuple[List[SectionDoc], Lexicon]]:
    """(documents, lexicon) from the cache file, or None when it is missing or unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [SectionDoc(**item) for item in raw["docs"]], _lexicon_from_json(raw["lexicon"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable knowledge index cache %s: %s", path, exc)
        return None


def _save_cache(path: Path, docs: Sequence[SectionDoc], lexicon: Lexicon) -> None:
    payload = {
        "analysis_version": ANALYSIS_VERSION,
        "docs": [
            {
                "service_id": d.service_id,
                "service_no": d.service_no,
                "section": d.section,
                "text": d.text,
                "fields": d.fields,
                "raw": d.raw,
            }
            for d in docs
        ],
        "lexicon": _lexicon_to_json(lexicon),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        for old in path.parent.glob("index-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not write knowledge index cache %s: %s", path, exc)


@dataclass
class EmbeddedIndex:
    docs: List[SectionDoc]
    lexicon: Lexicon
    bm25: BM25Index
    sections: Optional[SectionClassifier] = None

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        cache_dir: Optional[Path] = None,
        progress: Optional[Callable[[int], Any]] = None,
    ) -> EmbeddedIndex:
        cache_path = cache_dir / f"index-{catalog_digest(catalog)}.json" if cache_dir else None
        cached = _load_cache(cache_path) if cache_path is not None else None
        if cached is not None:
            docs, lexicon = cached
        else:
            docs = build_documents(catalog, progress)
            lexicon = build_lexicon(catalog)
            if cache_path is not None:
                _save_cache(cache_path, docs, lexicon)
        return cls(
            docs=docs,
            lexicon=lexicon,
            bm25=BM25Index([d.fields for d in docs], FIELDS),
            sections=load_classifier(lexicon, cache_dir),
        )

    def search(self, query: str, k: int = 5) -> List[Hit]:
        analysis = inspect_query(query, self.lexicon)
        pool = self.bm25.top(analysis.tokens, max(k, RERANK_POOL))
        sections = [self.docs[i].section for i, _ in pool]
        order = rerank_scores(analysis, sections, [score for _, score in pool], self.sections)
        return [self._hit(pool[position][0], score) for position, score in order[:k]]

    def _hit(self, index: int, score: float) -> Hit:
        doc = self.docs[index]
        return Hit(doc.service_id, doc.service_no, doc.section, doc.text, score)


class EmbeddedBackend:
    """Builds its index lazily on first search (thread-safe) and keeps it in memory."""

    name = "embedded"

    def __init__(
        self,
        catalog: Optional[Callable[[], Catalog]] = None,
        cache_dir: Optional[Path] = DEFAULT_CACHE_DIR,
    ) -> None:
        self._catalog = catalog or default_catalog
        self._cache_dir = cache_dir
        self._index: Optional[EmbeddedIndex] = None
        self._lock = threading.Lock()

    @property
    def index(self) -> EmbeddedIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = EmbeddedIndex.build(self._catalog(), self._cache_dir)
                    # A cached index needs no segmenter; load it now, off the caller's thread, so
                    # that the first question does not wait for underthesea's model.
                    threading.Thread(target=warm_up, name="knowledge-warm-up", daemon=True).start()
        return self._index

    def search(self, query: str, k: int = 5) -> List[Hit]:
        if not query.strip():
            return []
        return self.index.search(query, k)
