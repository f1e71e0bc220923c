"""NLU benchmark: ``python -m bench.nlu [--quick] [--runs N] [--json OUT] [--png FILE] [--misses]``.

Trains our pipeline (``config.yml``) and Rasa's stock pipeline (WhitespaceTokenizer, word and
char_wb CountVectors, DIETClassifier with the same epochs and seed, EntitySynonymMapper) on the same
training files (``data/nlu``) in the same run, parses every utterance of the held-out set
(``tests/data/nlu_heldout.yaml``, never trained on) with each, and prints intent macro-F1 and
accuracy and service-entity F1 for the whole set and per style, beside the targets. Intents are
scored as served: when our FallbackClassifier answers ``nlu_fallback`` that is a miss. Saves a
confusion matrix of our pipeline as PNG. ``--models OURS STOCK`` evaluates given models instead of
training (``bench.run`` passes the full models it has just trained and timed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

import yaml

from bench import _models
from bench.metrics import accuracy, aggregate, macro_f1, per_label_prf, percentile, set_prf, spread

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.yaml"
PNG = Path(__file__).resolve().parent / "nlu_confusion.png"
STYLES = ("diacritics", "no_diacritics", "teencode", "story")
TARGETS = {"intent_macro_f1": 0.95, "service_f1": 0.95, "subset_gap_points": 3.0}
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Item:
    text: str
    intent: str
    service: Optional[str]
    style: str


@dataclass(frozen=True)
class Parsed:
    intent: str
    top_intent: str  # the classifier's best intent, ignoring the fallback
    services: frozenset
    ms: float


def load_heldout(path: Path = HELDOUT) -> List[Item]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Item(str(r["text"]), str(r["intent"]), r.get("service"), str(r.get("style", "-"))) for r in raw]


def to_parsed(result: Dict[str, Any], ms: float) -> Parsed:
    intent = str((result.get("intent") or {}).get("name") or "")
    ranking = [str(r.get("name")) for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    top = ranking[0] if intent == FALLBACK and ranking else intent
    services = frozenset(
        str(e["value"]) for e in result.get("entities") or [] if e.get("entity") == "service"
    )
    return Parsed(intent, top, services, ms)


def parse_all(model: Path, items: Sequence[Item], label: str) -> List[Parsed]:
    """Load ``model`` in-process and parse every item (progress on stderr)."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog
    from tqdm import tqdm

    configure_structlog(logging.WARNING)  # no debug line per parsed message
    logging.getLogger("rasa").setLevel(logging.WARNING)
    agent = Agent.load(str(model))

    async def run() -> List[Parsed]:
        out: List[Parsed] = []
        for item in tqdm(items, desc=f"parse {label}", unit="utt", file=sys.stderr, leave=False):
            started = time.perf_counter()
            result = await agent.parse_message(item.text)
            out.append(to_parsed(result, (time.perf_counter() - started) * 1000))
        return out

    return asyncio.run(run())


def _gold_services(item: Item) -> Set[str]:
    return {item.service} if item.service else set()


def score(items: Sequence[Item], parsed: Sequence[Parsed]) -> Dict[str, Any]:
    """Figures for the whole set, per style, and per intent."""

    def figures(idx: Sequence[int]) -> Dict[str, Any]:
        gold = [items[i].intent for i in idx]
        pred = [parsed[i].intent for i in idx]
        top = [parsed[i].top_intent for i in idx]
        service = set_prf((_gold_services(items[i]), set(parsed[i].services)) for i in idx)
        return {
            "n": len(idx),
            "intent_macro_f1": macro_f1(gold, pred),
            "intent_accuracy": accuracy(gold, pred),
            "intent_macro_f1_no_fallback": macro_f1(gold, top),
            "fallbacks": sum(p == FALLBACK for p in pred),
            "service_f1": service.f1,
            "service_precision": service.precision,
            "service_recall": service.recall,
        }

    everything = list(range(len(items)))
    by_style = {s: figures([i for i in everything if items[i].style == s]) for s in STYLES}
    prf = per_label_prf([it.intent for it in items], [p.intent for p in parsed])
    return {
        "overall": figures(everything),
        "by_style": {s: f for s, f in by_style.items() if f["n"]},
        "per_intent_f1": {label: prf[label].f1 for label in sorted({it.intent for it in items})},
        "parse_ms_p50": percentile([p.ms for p in parsed], 50),
        "parse_ms_p95": percentile([p.ms for p in parsed], 95),
    }


def target_checks(figures: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each target with the value reached and whether it is met."""
    overall = figures["overall"]
    checks = [
        {
            "figure": "intent macro-F1",
            "value": overall["intent_macro_f1"],
            "target": f"≥ {TARGETS['intent_macro_f1']}",
            "met": overall["intent_macro_f1"] >= TARGETS["intent_macro_f1"],
        },
        {
            "figure": "service F1",
            "value": overall["service_f1"],
            "target": f"≥ {TARGETS['service_f1']}",
            "met": overall["service_f1"] >= TARGETS["service_f1"],
        },
    ]
    gap = TARGETS["subset_gap_points"] / 100
    for style, sub in figures["by_style"].items():
        for key, name in (("intent_macro_f1", "intent macro-F1"), ("service_f1", "service F1")):
            checks.append(
                {
                    "figure": f"{name} [{style}]",
                    "value": sub[key],
                    "target": f"≥ whole − 3 pts ({overall[key] - gap:.3f})",
                    "met": sub[key] >= overall[key] - gap - 1e-9,
                }
            )
    return checks


def confusion_png(items: Sequence[Item], parsed: Sequence[Parsed], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    gold_labels = sorted({it.intent for it in items})
    pred_labels = gold_labels + sorted({p.intent for p in parsed} - set(gold_labels))
    matrix = np.zeros((len(gold_labels), len(pred_labels)), dtype=int)
    for item, p in zip(items, parsed, strict=True):
        matrix[gold_labels.index(item.intent), pred_labels.index(p.intent)] += 1
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=80)
    shown = np.where(matrix > 0, np.log1p(matrix), np.nan)
    ax.imshow(shown, cmap="Blues", aspect="auto")
    for (r, c), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if r == c else "crimson"
            ax.text(c, r, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(pred_labels)), pred_labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(gold_labels)), gold_labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("held-out label")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def train_pair(workdir: Path, epochs: int, seed: int) -> Dict[str, _models.Trained]:
    """Our pipeline and the stock pipeline, NLU only, same data, epochs and seed."""
    ours = _models.write_config(_models.with_diet(_models.our_config(), epochs, seed), workdir / "ours.yml")
    stock = _models.write_config(_models.stock_config(epochs, seed, policies=False), workdir / "stock.yml")
    trained = {}
    for name, config in (("ours", ours), ("stock", stock)):
        print(f"  training {name} NLU ({epochs} DIET epochs, seed {seed}) …", flush=True)
        trained[name] = _models.train(config, workdir, f"{name}-nlu-{seed}", nlu_only=True)
        print(f"  trained {name} in {trained[name].seconds:.1f} s", flush=True)
    return trained


def run(
    items: Sequence[Item],
    runs: int,
    epochs: int,
    models: Optional[Sequence[Path]] = None,
    png: Optional[Path] = PNG,
    misses: bool = False,
) -> Dict[str, Any]:
    per_run: Dict[str, List[Dict[str, Any]]] = {"ours": [], "stock": []}
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
        for number in range(runs if not models else 1):
            seed = 42 + number
            print(f"run {number + 1}/{runs if not models else 1}", flush=True)
            if models:
                paths = {"ours": Path(models[0]), "stock": Path(models[1])}
                times: Dict[str, Optional[float]] = {"ours": None, "stock": None}
            else:
                trained = train_pair(Path(tmp), epochs, seed)
                paths = {k: t.model for k, t in trained.items()}
                times = {k: t.seconds for k, t in trained.items()}
            for name in ("ours", "stock"):
                parsed = parse_all(paths[name], items, name)
                figures = score(items, parsed)
                figures["train_s"] = times[name]
                per_run[name].append(figures)
                if name == "ours" and number == 0:
                    if png is not None:
                        confusion_png(items, parsed, png, "Our pipeline: held-out intents (log colour scale)")
                    if misses:
                        print_misses(items, parsed)
    result: Dict[str, Any] = {
        "heldout": len(items),
        "runs": len(per_run["ours"]),
        "seeds": [42 + i for i in range(len(per_run["ours"]))],
        "epochs": epochs if not models else None,
        "png": str(png) if png else None,
    }
    for name, figures_list in per_run.items():
        median = aggregate(figures_list)
        median["spread"] = {
            key: spread(figures_list, ["overall", key]) for key in ("intent_macro_f1", "service_f1")
        }
        median["train_s_runs"] = [f["train_s"] for f in figures_list]
        result[name] = median
    result["targets"] = target_checks(result["ours"])
    return result


def print_misses(items: Sequence[Item], parsed: Sequence[Parsed]) -> None:
    for item, p in zip(items, parsed, strict=True):
        want = {item.service} if item.service else set()
        if item.intent != p.intent or want != set(p.services):
            print(
                f"  miss [{item.style}] {item.text!r}: want {item.intent}/{item.service}; "
                f"got {p.intent}/{','.join(sorted(p.services)) or None}"
            )


def render(result: Dict[str, Any]) -> List[str]:
    lines = [
        f"NLU on {result['heldout']} held-out utterances, {result['runs']} run(s)"
        + (f", {result['epochs']} DIET epochs for both pipelines" if result["epochs"] else "")
        + (" (median over seeds " + ", ".join(map(str, result["seeds"])) + ")" if result["runs"] > 1 else ""),
        f"{'subset':<15}{'n':>5} | {'ours: intent F1':>15}{'acc':>7}{'service F1':>11} | "
        f"{'stock: intent F1':>16}{'acc':>7}{'service F1':>11}",
    ]
    ours, stock = result["ours"], result["stock"]
    rows = [("whole", ours["overall"], stock["overall"])]
    rows += [(s, ours["by_style"][s], stock["by_style"].get(s, {})) for s in ours["by_style"]]
    for name, o, s in rows:
        lines.append(
            f"{name:<15}{o['n']:>5.0f} | {o['intent_macro_f1']:>15.3f}{o['intent_accuracy']:>7.3f}"
            f"{o['service_f1']:>11.3f} | {s.get('intent_macro_f1', 0):>16.3f}"
            f"{s.get('intent_accuracy', 0):>7.3f}"
            f"{s.get('service_f1', 0):>11.3f}"
        )
    lines.append(
        f"ours: {ours['overall']['fallbacks']:.0f} fallbacks; intent macro-F1 ignoring the fallback "
        f"{ours['overall']['intent_macro_f1_no_fallback']:.3f}. Stock has no service extractor: the service "
        "values exist only as lookup tables and synonyms, which its pipeline does not use, and no training "
        "example annotates a service entity, so DIET cannot learn one."
    )
    for name in ("ours", "stock"):
        fig = result[name]
        train = ", ".join(f"{t:.1f}" for t in fig["train_s_runs"] if t is not None)
        lines.append(
            f"{name}: parse p50 {fig['parse_ms_p50']:.1f} ms, p95 {fig['parse_ms_p95']:.1f} ms"
            + (f"; NLU training {train} s" if train else "")
        )
    lines.append("targets (ours):")
    for check in result["targets"]:
        lines.append(
            f"  {check['figure']:<32} {check['value']:.3f} {check['target']:<28} "
            + ("✓" if check["met"] else "✗")
        )
    if result.get("png"):
        lines.append(f"confusion matrix: {result['png']}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu", description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--quick", action="store_true", help="one run (the default); same epochs for both")
    parser.add_argument(
        "--runs", type=int, default=1, help="train and score N times (seeds 42, 43, …); median"
    )
    parser.add_argument("--epochs", type=int, default=None, help="DIET epochs for BOTH pipelines")
    parser.add_argument(
        "--models", nargs=2, type=Path, metavar=("OURS", "STOCK"), help="evaluate, do not train"
    )
    parser.add_argument("--png", type=Path, default=PNG)
    parser.add_argument("--misses", action="store_true", help="list our pipeline's misses")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    epochs = args.epochs or _models.diet_epochs(_models.our_config())
    runs = 1 if args.quick else max(1, args.runs)
    result = run(load_heldout(args.heldout), runs, epochs, args.models, args.png, args.misses)
    print("\n".join(render(result)))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
