"""Latency and throughput: ``python -m bench.latency [--quick] [--model M] [--stock-model M] [--json OUT]``.

Sends citizen questions (``tests/data/answer_facts.yaml``: each one runs the custom action and the
knowledge search) through ``POST /webhooks/rest/webhook`` of a real Rasa server and action server on
127.0.0.1, at 1, 10 and 50 concurrent conversations, each sending its next message as soon as the
previous one is answered (a conversation starts afresh every 10 messages). Each level is bounded by
a message count and a time limit. Prints p50/p95/p99 latency and messages per second for our model
and, in the same run, for the stock-NLU model (same domain, stories, policies and actions; Rasa's
stock NLU pipeline), the time from ``rasa run`` to the first answer, and the resident memory of the
Rasa server and of the action server after 1,000 messages. Saves a PNG of the latency distributions.
Target: p95 ≤ 150 ms at 10 concurrent conversations.

``--answers OUT`` also runs the end-to-end answer benchmark (bench.answers) on the same servers
first, so that ``bench.run`` starts each server once.

``--workers N`` also measures our model behind N Sanic workers with the Redis lock store (a
throw-away ``redis-server``; label ``ours-Nw``), the way ``SANIC_WORKERS=N REDIS_URL=… make run``
serves it. ``--before DIR [--before-model M]`` also measures a model served by another checkout of
the code (label ``before``), e.g. ``git archive HEAD~1 | tar -x -C DIR`` with ``DIR/.venv`` linked
to this one: before/after figures from the same run on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bench import _models, answers
from bench._servers import ROOT, Assistant
from bench.metrics import aggregate, percentile, spread

PNG = Path(__file__).resolve().parent / "latency.png"
LEVELS = (1, 10, 50)
TARGET_P95_MS = 150.0
RSS_AFTER = 1000
MESSAGES_PER_CONVERSATION = 10
# (messages, seconds) per level. Quick: 60 + 300 + 640 = 1,000 messages in all, the RSS mark.
BUDGET_QUICK = {1: (60, 45.0), 10: (300, 60.0), 50: (640, 75.0)}
BUDGET_FULL = {1: (200, 120.0), 10: (1000, 180.0), 50: (2000, 240.0)}


@dataclass
class LevelResult:
    concurrency: int
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def figures(self) -> Dict[str, Any]:
        lat = self.latencies_ms
        return {
            "concurrency": self.concurrency,
            "messages": len(lat),
            "errors": self.errors,
            "seconds": self.seconds,
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99),
            "messages_per_s": len(lat) / self.seconds if self.seconds else 0.0,
        }


async def load(
    port: int, texts: Sequence[str], concurrency: int, messages: int, seconds: float
) -> LevelResult:
    """``concurrency`` conversations sending back to back until ``messages`` or ``seconds`` run out."""
    import aiohttp

    result = LevelResult(concurrency)
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    pool = itertools.cycle(texts)
    run_id = uuid.uuid4().hex[:8]
    claimed = 0
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=120)

    async def user(number: int, session: aiohttp.ClientSession) -> None:
        nonlocal claimed
        sent = 0
        while claimed < messages and time.monotonic() < deadline:
            claimed += 1
            sender = f"bench-load-{run_id}-{concurrency}-{number}-{sent // MESSAGES_PER_CONVERSATION}"
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": next(pool)}) as response:
                    body = await response.json()
                    ok = response.status == 200 and isinstance(body, list) and bool(body)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                ok = False
            if ok:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.errors += 1
            sent += 1

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(user(n, session) for n in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def texts_for_load() -> List[str]:
    return [fact.question for fact in answers.load_facts()]


def measure_model(
    model: Path,
    label: str,
    workdir: Path,
    budget: Dict[int, tuple],
    repeats: int,
    facts: Optional[Sequence[answers.Fact]] = None,
    root: Path = ROOT,
    workers: int = 1,
) -> Dict[str, Any]:
    texts = texts_for_load()
    print(f"  starting {label} (action server + rasa run, {workers} worker(s)) …", flush=True)
    out: Dict[str, Any] = {"model": str(model), "workers": workers, "root": str(root)}
    with Assistant(workdir / label, model, label, root=root, workers=workers) as assistant:
        sent = 1  # the first answer
        out["first_answer_s"] = assistant.rasa.first_answer_s
        print(f"  {label}: first answer {assistant.rasa.first_answer_s:.1f} s after `rasa run`", flush=True)
        if facts is not None:
            figures = answers.score(answers.ask_all(assistant.port, facts, label))
            figures["first_answer_s"] = assistant.rasa.first_answer_s
            figures["model"] = str(model)
            out["answers"] = figures
            sent += len(facts)
            print(f"  {label}: answers {figures['overall']['accuracy']:.1%} correct", flush=True)
        asyncio.run(load(assistant.port, texts[:5], 1, 5, 30.0))  # warm-up, not counted in latency
        sent += 5
        levels: Dict[str, Any] = {}
        samples: Dict[str, List[float]] = {}
        for concurrency, (messages, seconds) in budget.items():
            runs = []
            for repeat in range(repeats):
                result = asyncio.run(load(assistant.port, texts, concurrency, messages, seconds))
                sent += len(result.latencies_ms) + result.errors
                runs.append(result.figures())
                samples.setdefault(str(concurrency), []).extend(result.latencies_ms)
                fig = runs[-1]
                print(
                    f"  {label} ×{concurrency} (run {repeat + 1}/{repeats}): {fig['messages']} msgs in "
                    f"{fig['seconds']:.1f} s, p50 {fig['p50_ms']:.0f} ms, p95 {fig['p95_ms']:.0f} ms, "
                    f"{fig['messages_per_s']:.1f} msg/s, {fig['errors']} errors",
                    flush=True,
                )
            levels[str(concurrency)] = aggregate(runs)
            levels[str(concurrency)]["runs"] = len(runs)
            levels[str(concurrency)]["p95_spread"] = spread(runs, ["p95_ms"])
            levels[str(concurrency)]["throughput_spread"] = spread(runs, ["messages_per_s"])
        if sent < RSS_AFTER:
            print(f"  {label}: {RSS_AFTER - sent} more messages before reading memory …", flush=True)
            extra = asyncio.run(load(assistant.port, texts, 10, RSS_AFTER - sent, 600.0))
            sent += len(extra.latencies_ms) + extra.errors
        out["levels"] = levels
        out["samples_ms"] = samples
        out["messages_before_rss"] = sent
        out["rss_mb"] = {
            "rasa": assistant.rasa.rss_mb(),
            "actions": assistant.actions.rss_mb() if assistant.actions else None,
        }
    return out


def variant_names(result: Dict[str, Any]) -> List[str]:
    """Measured variants in display order: ours, ours-Nw, before, stock."""
    extra = [n for n in result if n.startswith("ours-")]
    return [n for n in ("ours", *extra, "before", "stock") if n in result]


def latency_png(result: Dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = variant_names(result)
    levels = [str(c) for c in result["levels"]]
    fig, axes = plt.subplots(1, len(levels), figsize=(3.0 * len(levels), 3.4), dpi=80, sharey=True)
    for ax, level in zip(axes if len(levels) > 1 else [axes], levels, strict=True):
        data = [result[n]["samples_ms"].get(level, []) or [0.0] for n in names]
        ax.boxplot(
            data,
            labels=[n.replace("-", "\n") for n in names],
            showfliers=True,
            whis=(5, 95),
            flierprops={"markersize": 2},
        )
        ax.set_title(f"{level} concurrent", fontsize=9)
        ax.set_yscale("log")
        ax.axhline(TARGET_P95_MS, color="crimson", linewidth=0.8, linestyle="--")
        ax.grid(axis="y", alpha=0.3)
    axes_list = axes if len(levels) > 1 else [axes]
    axes_list[0].set_ylabel("latency per message (ms, log)")
    fig.suptitle("REST channel latency (box: quartiles, whiskers: p5–p95; dashed: 150 ms)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def render(result: Dict[str, Any]) -> List[str]:
    names = variant_names(result)
    width = max(7, *(len(n) + 1 for n in names))
    lines = [
        f"Latency through POST /webhooks/rest/webhook (custom action + knowledge search), "
        f"{result['repeats']} run(s) per level; levels bounded by messages/time: "
        + ", ".join(f"×{c}: {m} msgs/{s:.0f} s" for c, (m, s) in result["budget"].items()),
        f"{'model':<{width}}{'conc.':>6}{'msgs':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'msg/s':>8}{'errors':>8}",
    ]
    for name in names:
        for level, fig in result[name]["levels"].items():
            lines.append(
                f"{name:<{width}}{level:>6}{fig['messages']:>6.0f}{fig['p50_ms']:>9.0f}{fig['p95_ms']:>9.0f}"
                f"{fig['p99_ms']:>9.0f}{fig['messages_per_s']:>8.1f}{fig['errors']:>8.0f}"
            )
    for name in names:
        r = result[name]
        lines.append(
            f"{name} ({r.get('workers', 1)} worker(s)): first answer {r['first_answer_s']:.1f} s after "
            "`rasa run`; "
            f"after {r['messages_before_rss']} messages RSS rasa {r['rss_mb']['rasa']:.0f} MiB, "
            f"actions {r['rss_mb']['actions']:.0f} MiB"
        )
    for name in names:
        if name == "stock":
            continue
        p95 = result[name]["levels"].get("10", {}).get("p95_ms")
        if p95 is not None:
            lines.append(
                f"{name}: target p95 ≤ {TARGET_P95_MS:.0f} ms at 10 concurrent: {p95:.0f} ms "
                + ("✓" if p95 <= TARGET_P95_MS else "✗")
            )
    if result.get("png"):
        lines.append(f"latency distributions: {result['png']}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=answers.MODEL)
    parser.add_argument("--stock-model", type=Path, help="stock-NLU model (trained here when not given)")
    parser.add_argument("--no-stock", action="store_true", help="measure our model only")
    parser.add_argument("--quick", action="store_true", help="smaller message budgets, one run per level")
    parser.add_argument("--repeats", type=int, default=None, help="runs per level (default 1 quick, 3 full)")
    parser.add_argument("--answers", type=Path, help="also run bench.answers on the same servers; JSON here")
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        default=[],
        help="also measure our model behind N Sanic workers + Redis lock store (repeatable; redis-server)",
    )
    parser.add_argument(
        "--before", type=Path, help="also measure our model served by the code checkout in this folder"
    )
    parser.add_argument("--before-model", type=Path, help="the model for --before (default: --model)")
    parser.add_argument("--png", type=Path, default=PNG)
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    if not args.model.exists():
        raise SystemExit(f"{args.model} is missing: run `make train`")
    budget = BUDGET_QUICK if args.quick else BUDGET_FULL
    repeats = args.repeats or (1 if args.quick else 3)
    facts = answers.load_facts() if args.answers else None
    result: Dict[str, Any] = {
        "repeats": repeats,
        "budget": {str(c): list(b) for c, b in budget.items()},
        "levels": list(LEVELS),
        "target_p95_ms_at_10": TARGET_P95_MS,
    }
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        work = Path(tmp)
        result["ours"] = measure_model(args.model, "ours", work, budget, repeats, facts)
        for workers in sorted(set(args.workers) - {1}):
            label = f"ours-{workers}w"
            result[label] = measure_model(args.model, label, work, budget, repeats, workers=workers)
        if args.before:
            before_model = args.before_model or args.model
            result["before"] = measure_model(before_model, "before", work, budget, repeats, root=args.before)
        if not args.no_stock:
            stock = args.stock_model
            if stock is None:
                print("  training the stock-NLU model (same domain, stories, policies) …", flush=True)
                config = _models.write_config(
                    _models.stock_config(_models.diet_epochs(_models.our_config())), work / "stock.yml"
                )
                trained = _models.train(config, work, "stock")
                stock = trained.model
                result["stock_train_s"] = trained.seconds
            result["stock"] = measure_model(stock, "stock", work, budget, repeats, facts)
    if args.png:
        result["png"] = str(latency_png(result, args.png))
    print("\n".join(render(result)))
    if args.answers:
        answers_result: Dict[str, Any] = {"questions": len(facts or []), "target": answers.TARGET}
        answers_result["ours"] = result["ours"].pop("answers")
        if "stock" in result:
            answers_result["baseline"] = result["stock"].pop("answers")
        print("\n".join(answers.render(answers_result, show_misses=True)))
        args.answers.write_text(json.dumps(answers_result, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json_out:
        slim = json.loads(json.dumps(result))
        for name in variant_names(slim):
            slim[name].pop("samples_ms", None)
        args.json_out.write_text(json.dumps(slim, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
