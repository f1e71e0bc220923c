"""Stratified k-fold cross-validation of the NLU on the TRAINING data only.

``python -m bench.nlu_cv [--folds 5] [--config FILE] [--set Component.key=value …] [--quick]
[--json OUT] [--services-only] [--train-only FILE …]``

Splits the intent examples of ``data/nlu/*.yml`` per intent into k folds (seeded), trains the NLU
of ``config.yml`` (or ``--config``) on k−1 folds plus every lookup table, synonym and regex
(``services.generated.yml`` included in every fold), parses the held-back fold and prints, per fold
and as the median over folds, intent macro-F1 and accuracy as served (``nlu_fallback`` is a miss)
and ignoring the fallback; then per-intent F1 and the misses over all folds, the macro-F1 of the
long story-like examples (≥ 20 words), and a table of FallbackClassifier thresholds replayed on
the classifier's own confidences (how many fallbacks would land on a wrong prediction, and how
many on a right one). It also scores the ``service`` entity on ``bench/data/service_dev.yaml``
(own sentences with the services meant), which needs no DIET training (``--services-only``).

The held-out set (``tests/data``) is never read here: this is the tool to tune with.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import yaml

from bench.metrics import accuracy, macro_f1, per_label_prf, set_prf
from nlu.text import fold_diacritics

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yml"
NLU_DATA = ROOT / "data" / "nlu"
GENERATED_NLU = NLU_DATA / "services.generated.yml"
SERVICE_DEV = Path(__file__).resolve().parent / "data" / "service_dev.yaml"
FALLBACK = "nlu_fallback"
LONG_WORDS = 20
THRESHOLDS = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
AMBIGUITIES = (0.0, 0.05, 0.1)


@dataclass(frozen=True)
class Prediction:
    text: str
    gold: str
    served: str  # what the assistant acts on (nlu_fallback included)
    top: str  # the classifier's best intent, ignoring the fallback
    confidence: float
    margin: float  # top confidence minus the second's
    fold: int


def load_config(path: Path, overrides: Sequence[str]) -> Dict[str, Any]:
    """The config file with ``Component.key=value`` overrides (value parsed as YAML).

    ``Component[i].key=value`` changes only the i-th (0-based) component of that name.
    """
    config = dict(yaml.safe_load(path.read_text(encoding="utf-8")))
    for override in overrides:
        target, _, raw = override.partition("=")
        component_name, _, key = target.rpartition(".")
        component_name, _, index = component_name.partition("[")
        matched = [c for c in config["pipeline"] if c["name"].split(".")[-1] == component_name]
        if index:
            matched = matched[int(index.rstrip("]")) : int(index.rstrip("]")) + 1]
        if not matched or not key:
            raise SystemExit(f"--set {override!r}: no pipeline component {component_name!r}")
        for component in matched:
            component[key] = yaml.safe_load(raw)
    config.pop("policies", None)
    return config


def load_training_data() -> Any:
    from rasa.shared.nlu.training_data.loading import load_data

    if not GENERATED_NLU.exists():
        raise SystemExit(
            f"{GENERATED_NLU.relative_to(ROOT)} is missing: run `make train` "
            "(or `python -m knowledge nlu-data data/nlu/services.generated.yml`) first"
        )
    return load_data(str(NLU_DATA), language="vi")


def stratified_folds(examples: Sequence[Any], folds: int, seed: int) -> List[List[Any]]:
    """Each intent's examples shuffled and dealt round-robin, continuing where the last one ended."""
    by_intent: Dict[str, List[Any]] = {}
    for example in examples:
        by_intent.setdefault(example.get("intent"), []).append(example)
    rng = random.Random(seed)
    out: List[List[Any]] = [[] for _ in range(folds)]
    position = 0
    for intent in sorted(by_intent):
        items = list(by_intent[intent])
        rng.shuffle(items)
        for example in items:
            out[position % folds].append(example)
            position += 1
    return out


def train_fold(
    config: Dict[str, Any], data: Any, train_examples: List[Any], workdir: Path, name: str
) -> Path:
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    fold_data = TrainingData(
        training_examples=train_examples,
        entity_synonyms=data.entity_synonyms,
        regex_features=data.regex_features,
        lookup_tables=data.lookup_tables,
    )
    data_dir = workdir / name
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "nlu.yml").write_text(RasaYAMLWriter().dumps(fold_data), encoding="utf-8")
    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    model = train_nlu(str(config_path), str(data_dir), str(workdir), fixed_model_name=name)
    if not model:
        raise SystemExit(f"training fold {name} failed")
    return Path(model)


def parse_fold(model: Path, examples: Sequence[Any], fold: int) -> List[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> List[Prediction]:
        out = []
        for example in examples:
            result = await agent.parse_message(example.get("text"))
            served = str((result.get("intent") or {}).get("name") or "")
            ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK]
            top = str(ranking[0]["name"]) if ranking else served
            first = float(ranking[0]["confidence"]) if ranking else 0.0
            second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
            out.append(
                Prediction(
                    example.get("text"), example.get("intent"), served, top, first, first - second, fold
                )
            )
        return out

    return asyncio.run(run())


def figures(predictions: Sequence[Prediction]) -> Dict[str, float]:
    gold = [p.gold for p in predictions]
    return {
        "n": len(predictions),
        "macro_f1": macro_f1(gold, [p.served for p in predictions]),
        "accuracy": accuracy(gold, [p.served for p in predictions]),
        "macro_f1_no_fallback": macro_f1(gold, [p.top for p in predictions]),
        "fallbacks": sum(p.served == FALLBACK for p in predictions),
    }


def fallback_table(predictions: Sequence[Prediction]) -> List[Dict[str, float]]:
    """Replays FallbackClassifier settings on the classifier's confidences (pooled over folds)."""
    gold = [p.gold for p in predictions]
    rows = []
    for threshold in THRESHOLDS:
        for ambiguity in AMBIGUITIES:
            fired = [p.confidence < threshold or p.margin < ambiguity for p in predictions]
            on_wrong = sum(f and p.top != p.gold for f, p in zip(fired, predictions, strict=True))
            on_right = sum(f and p.top == p.gold for f, p in zip(fired, predictions, strict=True))
            served = [FALLBACK if f else p.top for f, p in zip(fired, predictions, strict=True)]
            rows.append(
                {
                    "threshold": threshold,
                    "ambiguity": ambiguity,
                    "fallbacks": on_wrong + on_right,
                    "on_wrong": on_wrong,
                    "on_right": on_right,
                    "macro_f1": macro_f1(gold, served),
                }
            )
    return rows


def confidence_bins(predictions: Sequence[Prediction]) -> List[Tuple[str, int, int]]:
    """(confidence band, right, wrong) of the classifier's top intent."""
    edges = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    rows = []
    for low, high in itertools.pairwise(edges):
        band = [p for p in predictions if low <= p.confidence < high]
        right = sum(p.top == p.gold for p in band)
        rows.append((f"{low:.1f}–{min(high, 1.0):.1f}", right, len(band) - right))
    return rows


def service_dev_scores(config: Dict[str, Any], data: Any, path: Path = SERVICE_DEV) -> Dict[str, Any]:
    """Precision/recall/F1 of the service entity on own sentences (no DIET needed)."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import ENTITIES
    from rasa.shared.nlu.training_data.message import Message

    from nlu.lookup_extractor import LookupEntityExtractor
    from nlu.normalizer import VietnameseNormalizer

    settings = next(
        (dict(c) for c in config["pipeline"] if c["name"].endswith("LookupEntityExtractor")),
        {"entities": ["service"]},
    )
    settings.pop("name", None)
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    with tempfile.TemporaryDirectory(prefix="nlu-cv-services-") as tmp:
        storage = LocalModelStorage(Path(tmp))
        extractor = LookupEntityExtractor.create(
            settings, storage, Resource("lookup"), ExecutionContext(None)
        )
        extractor.train(data)
        normalizer = VietnameseNormalizer()
        pairs = []
        wrong = []
        for item in items:
            message = Message.build(text=str(item["text"]))
            normalizer.process([message])
            extractor.process([message])
            got = {str(e["value"]) for e in message.get(ENTITIES, []) if e.get("entity") == "service"}
            want = set(item.get("services") or [])
            pairs.append((want, got))
            if got != want:
                wrong.append({"text": item["text"], "want": sorted(want), "got": sorted(got)})
    prf = set_prf(pairs)
    return {"n": len(items), **prf.as_dict(), "wrong": wrong}


def texts_of(paths: Sequence[Path]) -> Set[str]:
    """The example texts of the given data files."""
    from rasa.shared.nlu.training_data.loading import load_data

    return {e.get("text") for path in paths for e in load_data(str(path), language="vi").intent_examples}


def run(config: Dict[str, Any], folds: int, seed: int, train_only: Sequence[Path] = ()) -> Dict[str, Any]:
    """``train_only``: data files whose examples join every fold's training and are never scored,
    so that new data is judged on the same held-back examples as before it was added."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    data = load_training_data()
    always = texts_of(train_only)
    examples = [e for e in data.intent_examples if e.get("text") and e.get("text") not in always]
    extra = [e for e in data.intent_examples if e.get("text") in always]
    split = stratified_folds(examples, folds, seed)
    predictions: List[Prediction] = []
    per_fold = []
    with tempfile.TemporaryDirectory(prefix="nlu-cv-") as tmp:
        os.environ.setdefault("RASA_CACHE_DIRECTORY", str(Path(tmp) / "cache"))
        for number in range(folds):
            held = split[number]
            train = [e for k, part in enumerate(split) if k != number for e in part] + extra
            started = time.perf_counter()
            model = train_fold(config, data, train, Path(tmp), f"fold{number}")
            seconds = time.perf_counter() - started
            fold_predictions = parse_fold(model, held, number)
            predictions += fold_predictions
            row = {**figures(fold_predictions), "train_s": seconds}
            per_fold.append(row)
            print(
                f"fold {number + 1}/{folds}: macro-F1 {row['macro_f1']:.3f}  acc {row['accuracy']:.3f}  "
                f"(no fallback {row['macro_f1_no_fallback']:.3f}, {row['fallbacks']} fallbacks)  "
                f"n={row['n']}  train {seconds:.0f} s",
                flush=True,
            )
            model.unlink(missing_ok=True)
    gold = [p.gold for p in predictions]
    prf = per_label_prf(gold, [p.served for p in predictions])
    long_ones = [p for p in predictions if len(p.text.split()) >= LONG_WORDS]
    plain = [p for p in predictions if fold_diacritics(p.text) == p.text]
    return {
        "folds": folds,
        "seed": seed,
        "examples": len(predictions),
        "per_fold": per_fold,
        "median": {k: statistics.median(r[k] for r in per_fold) for k in per_fold[0]},
        "pooled": figures(predictions),
        "long": figures(long_ones) if long_ones else None,
        "no_diacritics": figures(plain) if plain else None,
        "per_intent_f1": {label: prf[label].f1 for label in sorted(set(gold))},
        "misses": [
            {
                "text": p.text,
                "gold": p.gold,
                "served": p.served,
                "top": p.top,
                "confidence": round(p.confidence, 3),
            }
            for p in predictions
            if p.served != p.gold
        ],
        "fallback_table": fallback_table(predictions),
        "confidence_bins": confidence_bins(predictions),
        "services": service_dev_scores(config, data),
    }


def render_services(services: Dict[str, Any]) -> List[str]:
    lines = [
        f"service entity on {SERVICE_DEV.relative_to(ROOT)} ({services['n']} sentences): "
        f"P {services['precision']:.3f}  R {services['recall']:.3f}  F1 {services['f1']:.3f}  "
        f"(tp {services['tp']}, fp {services['fp']}, fn {services['fn']})"
    ]
    lines += [f"  wrong: {w['text']!r}: want {w['want']}, got {w['got']}" for w in services["wrong"]]
    return lines


def render(result: Dict[str, Any]) -> List[str]:
    med, pooled = result["median"], result["pooled"]
    lines = [
        f"{result['folds']}-fold CV on {result['examples']} training examples (seed {result['seed']})",
        f"median over folds: macro-F1 {med['macro_f1']:.3f}  acc {med['accuracy']:.3f}  "
        f"no-fallback macro-F1 {med['macro_f1_no_fallback']:.3f}  train {med['train_s']:.0f} s/fold",
        f"pooled: macro-F1 {pooled['macro_f1']:.3f}  acc {pooled['accuracy']:.3f}  "
        f"no-fallback {pooled['macro_f1_no_fallback']:.3f}  fallbacks {pooled['fallbacks']}",
    ]
    if result["long"]:
        long_ones = result["long"]
        lines.append(
            f"long examples (≥ {LONG_WORDS} words, n={long_ones['n']}): "
            f"macro-F1 {long_ones['macro_f1']:.3f}  acc {long_ones['accuracy']:.3f}  "
            f"no-fallback macro-F1 {long_ones['macro_f1_no_fallback']:.3f}"
        )
    if result.get("no_diacritics"):
        plain = result["no_diacritics"]
        lines.append(
            f"typed without diacritics (n={plain['n']}): macro-F1 {plain['macro_f1']:.3f}  "
            f"acc {plain['accuracy']:.3f}  no-fallback macro-F1 {plain['macro_f1_no_fallback']:.3f}"
        )
    lines.append("per-intent F1:")
    lines += [f"  {label:<28}{f1:.3f}" for label, f1 in result["per_intent_f1"].items()]
    lines.append("top-intent confidence: band, right, wrong")
    lines += [f"  {band:<9}{right:>5}{wrong:>5}" for band, right, wrong in result["confidence_bins"]]
    lines.append("fallback replay: threshold ambiguity → fallbacks (on wrong / on right), served macro-F1")
    lines += [
        f"  {r['threshold']:.2f} {r['ambiguity']:.2f} → {r['fallbacks']:>3} "
        f"({r['on_wrong']:>3} / {r['on_right']:>3})  {r['macro_f1']:.3f}"
        for r in result["fallback_table"]
    ]
    lines.append(f"CV misses ({len(result['misses'])}):")
    lines += [
        f"  [{m['gold']} → {m['served']} {m['confidence']:.2f}] {m['text']}"
        for m in sorted(result["misses"], key=lambda m: (m["gold"], m["served"]))
    ]
    lines += render_services(result["services"])
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="COMPONENT.KEY=VALUE")
    parser.add_argument("--seed", type=int, default=42, help="fold split seed")
    parser.add_argument("--quick", action="store_true", help="3 folds")
    parser.add_argument("--services-only", action="store_true", help="only the service entity dev set")
    parser.add_argument("--json", dest="json_out", type=Path)
    parser.add_argument(
        "--train-only",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a data/nlu file whose examples always train and are never scored (A/B of new data)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))  # the custom components in nlu/
    config = load_config(args.config, args.overrides)
    if args.services_only:
        result: Dict[str, Any] = {"services": service_dev_scores(config, load_training_data())}
        print("\n".join(render_services(result["services"])))
    else:
        result = run(config, 3 if args.quick else args.folds, args.seed, args.train_only)
        print("\n".join(render(result)))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
