"""Engine comparison for the embedded index: ``python -m bench.engines [--questions FILE]``.

Same analysed documents and query tokens for both engines, so only the engine differs:
scipy sparse BM25 (per-field k1/b and boosts, Lucene formula) vs SQLite FTS5 (``bm25()`` with
column weights; one k1=1.2/b=0.75 for all columns). Prints build time, per-query engine latency
(analysis excluded, median of 3 runs), and top-1 / service+section hit@1 agreement.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from bench.retrieval import DEFAULT_QUESTIONS, load_questions, load_services
from knowledge.analysis import FIELDS, analyze_query
from knowledge.catalog import SERVICES_DIR
from knowledge.embedded import BM25Index, EmbeddedIndex

COLUMNS = list(FIELDS)
TOKENIZER = "\"unicode61 remove_diacritics 0 tokenchars '_:-'\""


def build_fts(index: EmbeddedIndex) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    cols = ", ".join(COLUMNS)
    db.execute(f"CREATE VIRTUAL TABLE docs USING fts5({cols}, tokenize={TOKENIZER})")
    db.executemany(
        f"INSERT INTO docs(rowid, {cols}) VALUES (?, {', '.join('?' for _ in COLUMNS)})",
        [(i, *(" ".join(d.fields[c]) for c in COLUMNS)) for i, d in enumerate(index.docs)],
    )
    db.commit()
    return db


def fts_top(db: sqlite3.Connection, tokens: Sequence[str], k: int) -> List[int]:
    terms = " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)
    if not terms:
        return []
    weights = ", ".join(str(FIELDS[c].boost) for c in COLUMNS)
    rows = db.execute(
        f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, {weights}) LIMIT ?", (terms, k)
    ).fetchall()
    return [int(r[0]) for r in rows]


def timed(fn, repeats: int = 3) -> Tuple[float, float]:  # type: ignore[no-untyped-def]
    p50s, p95s = [], []
    for _ in range(repeats):
        times = fn()
        p50s.append(float(np.percentile(times, 50)))
        p95s.append(float(np.percentile(times, 95)))
    return statistics.median(p50s), statistics.median(p95s)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engines")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    args = parser.parse_args(argv)
    catalog = load_services(SERVICES_DIR, lenient=True)
    index = EmbeddedIndex.build(catalog)
    questions, _ = load_questions(args.questions, catalog)
    queries = [analyze_query(q.q, index.lexicon) for q in questions]

    start = time.perf_counter()
    bm25 = BM25Index([d.fields for d in index.docs], FIELDS)
    scipy_build = time.perf_counter() - start
    start = time.perf_counter()
    db = build_fts(index)
    fts_build = time.perf_counter() - start

    def run_scipy() -> List[float]:
        out = []
        for tokens in queries:
            t = time.perf_counter()
            bm25.top(tokens, 10)
            out.append((time.perf_counter() - t) * 1000)
        return out

    def run_fts() -> List[float]:
        out = []
        for tokens in queries:
            t = time.perf_counter()
            fts_top(db, tokens, 10)
            out.append((time.perf_counter() - t) * 1000)
        return out

    s50, s95 = timed(run_scipy)
    f50, f95 = timed(run_fts)
    docs = index.docs
    agree = hit_s = hit_f = 0
    for q, tokens in zip(questions, queries, strict=True):
        s_top = bm25.top(tokens, 1)
        f_top = fts_top(db, tokens, 1)
        s = s_top[0][0] if s_top else -1
        f = f_top[0] if f_top else -1
        agree += s == f
        hit_s += s >= 0 and (docs[s].service_id, docs[s].section) == (q.service, q.section)
        hit_f += f >= 0 and (docs[f].service_id, docs[f].section) == (q.service, q.section)
    n = len(questions)
    print(
        f"{len(docs)} documents, {len(bm25.vocabulary)} terms, {n} questions (analysis excluded from timings)"
    )
    print(
        f"scipy BM25 : build {scipy_build * 1000:.1f} ms, query p50 {s50:.3f} ms p95 {s95:.3f} ms, "
        f"service+section hit@1 {hit_s / n:.3f}"
    )
    print(
        f"SQLite FTS5: build {fts_build * 1000:.1f} ms, query p50 {f50:.3f} ms p95 {f95:.3f} ms, "
        f"service+section hit@1 {hit_f / n:.3f}"
    )
    print(f"same top-1 document: {agree / n:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
