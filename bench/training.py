"""Training time: ``python -m bench.training [--quick] [--runs N] [--stock-runs N] [--out DIR] [--json OUT]``.

Trains the whole assistant (NLU + policies, ``rasa train`` with an empty training cache) with our
``config.yml`` and, in the same run, with Rasa's stock NLU pipeline in its place (same DIET epochs,
same policies, domain and data). Prints the median wall-clock time (and the spread when repeated).
Keeps the last models of each kind in ``--out`` (``ours.tar.gz``, ``stock.tar.gz``) for the other
benchmarks. ``--quick`` trains ours once and reuses the stock-NLU model (and its measured training
time) from ``var/bench/cache`` while its inputs (config, domain, data, Rasa version) are unchanged:
Rasa's stock DIET (two transformer layers) takes 4–12 minutes here, so ``--stock-runs`` (default:
``--runs``) can train it fewer times than ours. Target: our training under 5 minutes on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bench import _models
from bench.metrics import summarize

TARGET_S = 300.0
OUT = _models.ROOT / "var" / "bench" / "models"
CACHE = _models.ROOT / "var" / "bench" / "cache"


def run(out: Path, runs: int, cached_stock: bool, stock_runs: Optional[int] = None) -> Dict[str, Any]:
    """Train ours ``runs`` times and the stock-NLU assistant ``stock_runs`` times (default as often;
    or reuse the cached one)."""
    stock_runs = runs if stock_runs is None else max(1, min(stock_runs, runs))
    out.mkdir(parents=True, exist_ok=True)
    epochs = _models.diet_epochs(_models.our_config())
    configs = {"ours": _models.CONFIG}
    if not cached_stock:
        configs["stock"] = _models.write_config(_models.stock_config(epochs), out / "stock-config.yml")
    times: Dict[str, List[float]] = {"ours": [], "stock": []}
    models: Dict[str, str] = {}
    stock_note = "trained in this run"
    for number in range(runs):
        for name, config in configs.items():
            if name == "stock" and number >= stock_runs:
                continue
            print(f"  training {name} (run {number + 1}/{runs}) …", flush=True)
            trained = _models.train(config, out, name)
            times[name].append(trained.seconds)
            models[name] = str(trained.model)
            print(f"  trained {name} in {trained.seconds:.1f} s", flush=True)
    if cached_stock:
        print("  stock-NLU assistant: cached model for these inputs, or training it …", flush=True)
        cached = _models.cached_stock_model(CACHE, epochs)
        times["stock"].append(float(cached["seconds"]))
        models["stock"] = str(cached["model"])
        if cached["cached"]:
            stock_note = (
                f"model reused from the cache (same inputs), its training measured {cached['trained_at']}"
            )
        print(f"  stock: {cached['seconds']:.1f} s ({stock_note})", flush=True)
    return {
        "runs": runs,
        "diet_epochs": epochs,
        "target_s": TARGET_S,
        "models": models,
        "stock_note": stock_note,
        "ours": summarize(times["ours"]) | {"all_s": times["ours"]},
        "stock": summarize(times["stock"]) | {"all_s": times["stock"]},
    }


def render(result: Dict[str, Any]) -> List[str]:
    lines = [
        f"Training time (rasa train, whole assistant, empty cache), {result['ours']['runs']} run(s) ours, "
        f"{result['stock']['runs']} stock:"
    ]
    for name in ("ours", "stock"):
        fig = result[name]
        spread = f" (min {fig['min']:.1f}, max {fig['max']:.1f})" if fig["runs"] > 1 else ""
        note = f" ({result['stock_note']})" if name == "stock" else ""
        lines.append(f"  {name:<6} {fig['median']:.1f} s{spread}{note}")
    ok = result["ours"]["median"] <= TARGET_S
    lines.append(f"target ≤ {TARGET_S:.0f} s: {result['ours']['median']:.1f} s {'✓' if ok else '✗'}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one run; the stock-NLU model is reused while its inputs are unchanged",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stock-runs", type=int, default=None, help="stock trainings (default: --runs)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the trained models are kept")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    result = run(args.out, runs, cached_stock=args.quick, stock_runs=args.stock_runs)
    print("\n".join(render(result)))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
