"""Metric and summary functions shared by the benchmarks (pure, no Rasa)."""

from __future__ import annotations

import math
import statistics
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """F1; 1.0 when there was nothing to find and nothing was found."""
        if self.tp + self.fp + self.fn == 0:
            return 1.0
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> Dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def accuracy(gold: Sequence[Any], predicted: Sequence[Any]) -> float:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def per_label_prf(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, PRF]:
    """Precision/recall/F1 of every label that occurs in ``gold`` or ``predicted``."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    labels = set(gold) | set(predicted)
    counts = {label: [0, 0, 0] for label in labels}
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            counts[g][0] += 1
        else:
            counts[p][1] += 1
            counts[g][2] += 1
    return {label: PRF(*c) for label, c in counts.items()}


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the labels of the gold standard.

    Labels only ever predicted (such as ``nlu_fallback``) are not averaged in as classes of their
    own, but their predictions count as misses of the gold labels (recall) — so a fallback lowers
    the score once, not twice.
    """
    prf = per_label_prf(gold, predicted)
    labels = sorted(set(gold))
    if not labels:
        return 0.0
    return sum(prf[label].f1 for label in labels) / len(labels)


def set_prf(pairs: Iterable[Tuple[Set[str], Set[str]]]) -> PRF:
    """Micro precision/recall/F1 over (gold values, predicted values) of each item."""
    tp = fp = fn = 0
    for gold, predicted in pairs:
        tp += len(gold & predicted)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
    return PRF(tp, fp, fn)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def contains_all(reply: str, needles: Sequence[str]) -> Tuple[bool, List[str]]:
    """Whether every needle is in the reply (NFC, case-insensitive); the missing needles."""
    haystack = unicodedata.normalize("NFC", reply).casefold()
    missing = [n for n in needles if unicodedata.normalize("NFC", str(n)).casefold() not in haystack]
    return not missing, missing


def summarize(values: Sequence[float]) -> Dict[str, Any]:
    """Median and spread (min, max) of repeated measurements."""
    clean = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not clean:
        return {"median": None, "min": None, "max": None, "runs": 0}
    return {"median": statistics.median(clean), "min": min(clean), "max": max(clean), "runs": len(clean)}


def aggregate(runs: Sequence[Any]) -> Any:
    """Median over repeated runs, leaf by leaf, of nested dicts with the same shape.

    Numbers become their median; other leaves keep the first run's value. Use
    :func:`spread` for the min–max of one figure.
    """
    first = runs[0]
    if isinstance(first, dict):
        return {k: aggregate([r[k] for r in runs if isinstance(r, dict) and k in r]) for k in first}
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    return statistics.median(float(r) for r in runs)


def spread(runs: Sequence[Dict[str, Any]], path: Sequence[str]) -> Optional[Tuple[float, float]]:
    """(min, max) over runs of the number at ``path``; None if any run lacks it."""
    values: List[float] = []
    for run in runs:
        node: Any = run
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        values.append(float(node))
    return (min(values), max(values)) if values else None
