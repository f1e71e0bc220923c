"""``bench/REPORT.md`` from the benchmarks' JSON results (pure functions, tested with fake results).

``python -m bench.report [RESULTS] [--report FILE]`` rewrites the report from the results that
``bench.run`` saved (``var/bench/results.json``) without running anything.

Each benchmark becomes a table of rows: figure | ours | baseline (same run) | target | met?. A
benchmark this module does not know is shown from a ``"report"`` list in its JSON when there is one
(rows ``{"figure", "value", "baseline", "target", "met"}``), else from its numeric leaves.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ("retrieval", "training", "nlu", "answers", "latency", "dossier_import", "outreach", "phoatis")
TITLES = {
    "retrieval": "Knowledge retrieval (bench/retrieval.py)",
    "training": "Training time (bench/training.py)",
    "nlu": "NLU quality on held-out utterances (bench/nlu.py)",
    "answers": "End-to-end answer accuracy (bench/answers.py, run on the latency servers)",
    "latency": "Latency, throughput, start-up and memory (bench/latency.py)",
    "dossier_import": "Dossier import (bench/dossier_import.py)",
    "outreach": "Outreach delivery (bench/outreach.py)",
    "phoatis": "PhoATIS, external Vietnamese NLU benchmark (bench/phoatis.py)",
}


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    baseline: str = "—"
    target: str = "—"
    met: Optional[bool] = None

    def cells(self) -> List[str]:
        mark = "—" if self.met is None else ("✓" if self.met else "✗")
        return [self.figure, self.value, self.baseline, self.target, mark]


def _num(value: Any, fmt: str = ".3f", unit: str = "") -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):{fmt}}{unit}"
    except (TypeError, ValueError):
        return str(value)


def _spread(pair: Any, fmt: str = ".3f", unit: str = "") -> str:
    if not pair or pair[0] == pair[1]:
        return ""
    return f" ({_num(pair[0], fmt)}–{_num(pair[1], fmt)}{unit})"


def _get(data: Any, *path: Any) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


# --- one table per known benchmark -------------------------------------------------------------


def retrieval_rows(d: Dict[str, Any]) -> List[Row]:
    emb, base = d.get("embedded", {}), d.get("baseline", {})
    rows = []
    for key, name, target in (
        ("service_hit1", "service hit@1", 0.95),
        ("service_hit3", "service hit@3", None),
        ("service_mrr", "service MRR", None),
        ("section_hit1", "service+section hit@1", 0.85),
        ("section_mrr", "service+section MRR", None),
    ):
        value = _get(emb, "overall", key)
        rows.append(
            Row(
                name,
                _num(value),
                _num(_get(base, "overall", key)),
                f"≥ {target}" if target else "—",
                (value >= target) if target is not None and value is not None else None,
            )
        )
    styles = emb.get("by_style", {})
    if "diacritics" in styles and "no_diacritics" in styles:
        gap = (styles["diacritics"]["service_hit1"] - styles["no_diacritics"]["service_hit1"]) * 100
        rows.append(
            Row("service hit@1: diacritics − no-diacritics", f"{gap:+.1f} pts", "—", "≤ 3 pts", gap <= 3.0)
        )
    p95 = _get(emb, "latency", "p95_ms")
    rows.append(
        Row(
            "search p95 (median of 3)",
            _num(p95, ".2f", " ms"),
            _num(_get(base, "latency", "p95_ms"), ".2f", " ms"),
            "≤ 5 ms",
            p95 <= 5.0 if p95 is not None else None,
        )
    )
    rows.append(Row("questions", str(d.get("questions", "—"))))
    return rows


def training_rows(d: Dict[str, Any]) -> List[Row]:
    ours, stock = d.get("ours", {}), d.get("stock", {})
    median = ours.get("median")
    return [
        Row(
            f"rasa train, whole assistant (median of {ours.get('runs', d.get('runs'))} run(s); "
            f"stock: {stock.get('runs', d.get('runs'))})",
            _num(median, ".0f", " s") + _spread((ours.get("min"), ours.get("max")), ".0f", " s"),
            _num(stock.get("median"), ".0f", " s")
            + _spread((stock.get("min"), stock.get("max")), ".0f", " s"),
            "≤ 300 s",
            median <= 300 if median is not None else None,
        )
    ]


def nlu_rows(d: Dict[str, Any]) -> List[Row]:
    ours, stock = d.get("ours", {}), d.get("stock", {})
    rows = []
    o, s = ours.get("overall", {}), stock.get("overall", {})
    sp = ours.get("spread", {})
    rows.append(
        Row(
            "intent macro-F1 (whole)",
            _num(o.get("intent_macro_f1")) + _spread(sp.get("intent_macro_f1")),
            _num(s.get("intent_macro_f1")),
            "≥ 0.95",
            _ge(o.get("intent_macro_f1"), 0.95),
        )
    )
    rows.append(
        Row("intent accuracy (whole)", _num(o.get("intent_accuracy")), _num(s.get("intent_accuracy")))
    )
    rows.append(
        Row(
            "service F1 (whole)",
            _num(o.get("service_f1")) + _spread(sp.get("service_f1")),
            _num(s.get("service_f1")),
            "≥ 0.95",
            _ge(o.get("service_f1"), 0.95),
        )
    )
    for style, sub in ours.get("by_style", {}).items():
        ssub = _get(stock, "by_style", style) or {}
        for key, name in (("intent_macro_f1", "intent macro-F1"), ("service_f1", "service F1")):
            floor = o.get(key, 0) - 0.03
            rows.append(
                Row(
                    f"{name} [{style}, n={sub.get('n', 0):.0f}]",
                    _num(sub.get(key)),
                    _num(ssub.get(key)),
                    f"≥ {floor:.3f} (whole − 3 pts)",
                    _ge(sub.get(key), floor - 1e-9),
                )
            )
    rows.append(
        Row(
            "fallbacks (nlu_fallback answers)",
            _num(o.get("fallbacks"), ".0f"),
            _num(s.get("fallbacks"), ".0f"),
        )
    )
    rows.append(
        Row(
            "intent macro-F1 ignoring the fallback",
            _num(o.get("intent_macro_f1_no_fallback")),
            _num(s.get("intent_macro_f1_no_fallback")),
        )
    )
    rows.append(
        Row(
            "parse p50 / p95 (in-process)",
            f"{_num(ours.get('parse_ms_p50'), '.1f')} / {_num(ours.get('parse_ms_p95'), '.1f')} ms",
            f"{_num(stock.get('parse_ms_p50'), '.1f')} / {_num(stock.get('parse_ms_p95'), '.1f')} ms",
        )
    )
    return rows


def answers_rows(d: Dict[str, Any]) -> List[Row]:
    ours, base = d.get("ours", {}), d.get("baseline", {})

    def cell(fig: Optional[Dict[str, Any]]) -> str:
        return f"{fig['accuracy']:.1%} ({fig['correct']}/{fig['n']})" if fig else "—"

    acc = _get(ours, "overall", "accuracy")
    rows = [
        Row(
            "correct answers (all)",
            cell(ours.get("overall")),
            cell(base.get("overall")),
            "≥ 90%",
            _ge(acc, 0.9),
        )
    ]
    for intent, fig in ours.get("by_intent", {}).items():
        rows.append(Row(f"  {intent}", cell(fig), cell(_get(base, "by_intent", intent))))
    for group, fig in ours.get("by_group", {}).items():
        rows.append(Row(f"  {group}", cell(fig), cell(_get(base, "by_group", group))))
    return rows


def latency_rows(d: Dict[str, Any]) -> List[Row]:
    ours, stock = d.get("ours", {}), d.get("stock", {})
    rows = []
    for level, fig in ours.get("levels", {}).items():
        sfig = _get(stock, "levels", level) or {}
        target = "≤ 150 ms" if level == "10" else "—"
        met = _le(fig.get("p95_ms"), 150.0) if level == "10" else None
        runs = fig.get("runs", 1)
        rows.append(
            Row(
                f"×{level} p50 / p95 / p99",
                _lat(fig) + _spread(fig.get("p95_spread"), ".0f", " ms p95"),
                _lat(sfig),
            )
        )
        if met is not None:
            rows.append(
                Row(
                    f"×{level} p95",
                    _num(fig.get("p95_ms"), ".0f", " ms"),
                    _num(sfig.get("p95_ms"), ".0f", " ms"),
                    target,
                    met,
                )
            )
        rows.append(
            Row(
                f"×{level} messages/s ({runs} run(s), {fig.get('messages', 0):.0f} msgs, "
                f"{fig.get('errors', 0):.0f} errors)",
                _num(fig.get("messages_per_s"), ".1f") + _spread(fig.get("throughput_spread"), ".1f"),
                _num(sfig.get("messages_per_s"), ".1f"),
            )
        )
    for name, variant in sorted(d.items()):
        if not name.startswith("ours-") or not isinstance(variant, dict):
            continue
        fig = _get(variant, "levels", "10") or {}
        if not fig:
            continue
        workers = variant.get("workers", name.removeprefix("ours-"))
        rows.append(
            Row(
                f"×10 p95, {workers} Rasa workers + Redis locks ({name})",
                _num(fig.get("p95_ms"), ".0f", " ms") + _spread(fig.get("p95_spread"), ".0f", " ms p95"),
                _num(_get(ours, "levels", "10", "p95_ms"), ".0f", " ms (ours, 1 worker)"),
                "≤ 150 ms",
                _le(fig.get("p95_ms"), 150.0),
            )
        )
        rows.append(Row(f"×10 messages/s ({name})", _num(fig.get("messages_per_s"), ".1f"), "—"))
    rows.append(
        Row(
            "time from `rasa run` to first answer",
            _num(ours.get("first_answer_s"), ".1f", " s"),
            _num(stock.get("first_answer_s"), ".1f", " s"),
        )
    )
    n = ours.get("messages_before_rss")
    rows.append(
        Row(
            f"RSS Rasa server after {n} messages",
            _num(_get(ours, "rss_mb", "rasa"), ".0f", " MiB"),
            _num(_get(stock, "rss_mb", "rasa"), ".0f", " MiB"),
        )
    )
    rows.append(
        Row(
            f"RSS action server after {n} messages",
            _num(_get(ours, "rss_mb", "actions"), ".0f", " MiB"),
            _num(_get(stock, "rss_mb", "actions"), ".0f", " MiB"),
        )
    )
    return rows


def dossier_rows(d: Dict[str, Any]) -> List[Row]:
    rows = []
    for r in d.get("results", []):
        backend = r.get("backend", "?")
        rows.append(
            Row(
                f"{backend}: first import of {d.get('rows', '?'):,} rows (rows/s)",
                _num(r.get("first_rows_per_s"), ",.0f"),
                _num(r.get("baseline_rows_per_s"), ",.0f") + " (row-by-row ORM)",
            )
        )
        rows.append(Row(f"{backend}: re-import (rows/s)", _num(r.get("reimport_rows_per_s"), ",.0f")))
    return rows


def phoatis_rows(d: Dict[str, Any]) -> List[Row]:
    ours, stock, pub = d.get("ours", {}), d.get("stock", {}), d.get("published", {})
    rows = []
    for key, name in (
        ("intent_accuracy", "intent accuracy (%)"),
        ("slot_f1", "slot F1 (%)"),
        ("sentence_accuracy", "sentence accuracy (%)"),
    ):
        rows.append(
            Row(
                name,
                _num(ours.get(key), ".2f"),
                _num(stock.get(key), ".2f"),
                f"published {_num(pub.get(key), '.2f')}",
            )
        )
    rows.append(
        Row(
            "NLU training time",
            _num(ours.get("train_s"), ".0f", " s"),
            _num(stock.get("train_s"), ".0f", " s"),
        )
    )
    return rows


def outreach_rows(d: Dict[str, Any]) -> List[Row]:
    """bench/outreach.py: throughput, rate limit, memory; its targets from its docstring."""
    thr, lim, mem = d.get("throughput", {}), d.get("limit", {}), d.get("memory", {})
    naive = d.get("baseline_naive", {})
    small = naive.get("rss_small", {})
    rate, ceiling = thr.get("achieved_per_s"), thr.get("limit_per_s")
    share = rate / ceiling if rate is not None and ceiling else None
    busiest, limit = lim.get("max_in_1s_window"), lim.get("limit_per_s")
    ratio = mem.get("ratio")
    return [
        Row(
            f"sends/s at a limit of {_num(ceiling, ',.0f')}/s "
            f"({_num(thr.get('delivered'), ',.0f')} messages)",
            _num(rate, ",.0f"),
            _num(small.get("achieved_per_s"), ",.0f") + " (naive, sequential)",
            "≥ 95% of the limit",
            None if share is None else share >= 0.95,
        ),
        Row(
            f"busiest second at the default limit of {_num(limit, '.0f')}/s",
            _num(busiest, ".0f"),
            _num(small.get("max_in_1s_window"), ".0f") + " (naive)",
            f"≤ {_num(limit, '.0f')}",
            None if busiest is None or limit is None else busiest <= limit,
        ),
        Row(
            "worker peak RSS, large ÷ small audience",
            _num(ratio, ".2f"),
            _num(naive.get("rss_ratio"), ".2f") + " (naive)",
            "≤ 1.20",
            None if ratio is None else ratio <= 1.2,
        ),
    ]


def generic_rows(d: Any) -> List[Row]:
    """Rows from a ``report`` list, else from the numeric leaves (at most 40)."""
    if isinstance(d, dict) and isinstance(d.get("report"), list):
        return [
            Row(
                str(r.get("figure", "?")),
                str(r.get("value", "—")),
                str(r.get("baseline", "—")),
                str(r.get("target", "—")),
                r.get("met") if isinstance(r.get("met"), bool) else None,
            )
            for r in d["report"]
        ]
    rows: List[Row] = []

    def walk(node: Any, path: str) -> None:
        if len(rows) >= 40:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node[:10]):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, bool) or node is None:
            return
        elif isinstance(node, int | float):
            rows.append(Row(path, _num(node, ".4g")))

    walk(d, "")
    return rows


def _lat(fig: Dict[str, Any]) -> str:
    if not fig:
        return "—"
    return " / ".join(_num(fig.get(k), ".0f") for k in ("p50_ms", "p95_ms", "p99_ms")) + " ms"


def _ge(value: Any, floor: float) -> Optional[bool]:
    return None if value is None else float(value) >= floor


def _le(value: Any, ceiling: float) -> Optional[bool]:
    return None if value is None else float(value) <= ceiling


BUILDERS: Dict[str, Callable[[Dict[str, Any]], List[Row]]] = {
    "retrieval": retrieval_rows,
    "training": training_rows,
    "nlu": nlu_rows,
    "answers": answers_rows,
    "latency": latency_rows,
    "dossier_import": dossier_rows,
    "phoatis": phoatis_rows,
    "outreach": outreach_rows,
}
NOTES = {
    "retrieval": "Baseline: plain BM25 over whitespace tokens of the raw text of the same documents.",
    "training": "Baseline: the same assistant (policies, domain, stories) with Rasa's stock NLU pipeline "
    "(WhitespaceTokenizer, word + char_wb 1–4 CountVectors, DIETClassifier with its default 2 transformer "
    "layers, same epochs and seed, EntitySynonymMapper). Empty training cache.",
    "nlu": "Held-out set tests/data/nlu_heldout.yaml, never trained on. Intents scored as served (our "
    "FallbackClassifier's nlu_fallback is a miss); macro-F1 over the held-out labels. Service F1: micro over "
    "utterances, exact value match of entity `service`. The stock pipeline has no service extractor (the "
    "services exist only as lookup tables and synonyms, and no training example annotates one), so its "
    "service F1 is 0 by construction.",
    "answers": "tests/data/answer_facts.yaml through POST /webhooks/rest/webhook, a fresh sender per "
    "question; correct = every must_contain string in the reply texts (NFC, case-insensitive). "
    "Baseline: the stock-NLU assistant, same actions and knowledge base.",
    "phoatis": "Test split; both pipelines take slots with CRFEntityExtractor and intents with DIET (same "
    "epochs and seed). The published figures are JointIDSF + PhoBERT (VinAI, Interspeech 2021), for "
    "reference "
    "only: a different system, not run here.",
    "latency": "Citizen questions through POST /webhooks/rest/webhook (custom action + knowledge search), "
    "conversations sending back to back, one Sanic worker, SQLite tracker store on 127.0.0.1. Baseline: the "
    "stock-NLU assistant served the same way.",
}


def table(rows: List[Row]) -> List[str]:
    lines = ["| figure | ours | baseline (same run) | target | met? |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |")
    return lines


def section(name: str, outcome: Dict[str, Any]) -> List[str]:
    lines = [f"## {TITLES.get(name, name)}", ""]
    if outcome.get("status") != "ok":
        return [*lines, f"not run: {outcome.get('reason', 'unknown reason')}", ""]
    data = outcome.get("data", {})
    try:
        rows = BUILDERS.get(name, generic_rows)(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        rows = generic_rows(data)
        lines.append(f"(figures shown raw: {type(error).__name__} reading them)")
        lines.append("")
    if not rows:
        rows = generic_rows(data)
    lines += table(rows)
    if name in NOTES:
        lines += ["", NOTES[name]]
    if name == "training" and data.get("stock_note"):
        lines.append(f"Stock training time: {data['stock_note']}.")
    if outcome.get("seconds") is not None:
        lines += ["", f"_Took {outcome['seconds']:.0f} s._"]
    return [*lines, ""]


def build(
    results: Dict[str, Any],
    machine_info: Dict[str, Any],
    mode: str,
    total_s: float,
    pngs: Optional[List[str]] = None,
) -> str:
    """The whole REPORT.md text."""
    runs = (
        "one run of everything (`--quick`: smaller message budgets; the stock-NLU model is reused while its "
        "inputs are unchanged)"
        if mode == "quick"
        else "our training 3 runs (the stock baseline's once), latency levels 3 runs each: medians, spread "
        "in brackets (min–max); retrieval latency is a median of 3; NLU quality and answers are scored on "
        "the trained models (deterministic for a model: 1 run)"
    )
    flag, suffix = (" --quick", "-quick") if mode == "quick" else ("", "")
    lines = [
        "# Benchmark report",
        "",
        f"Written by `python -m bench.run{flag}` (`make bench{suffix}`). "
        "Every figure sits beside a baseline measured in the same run and its target.",
        "",
        f"- Date: {machine_info.get('date', '—')}",
        f"- Commit: {machine_info.get('commit', '—')}",
        f"- Machine: {machine_info.get('cpu', '—')}, {machine_info.get('cores', '—')} cores, "
        f"{machine_info.get('memory_gib', '—')} GiB memory; {machine_info.get('python', '')}",
        f"- Load average (1/5/15 min) at the start: {machine_info.get('load_start', '—')}, at the end: "
        f"{machine_info.get('load', '—')} (other work on the machine slows the timings down)",
        f"- Mode: {mode}; runs: {runs}",
        f"- Total time: {total_s / 60:.1f} min",
        "",
    ]
    for name in [*ORDER, *[n for n in results if n not in ORDER]]:
        if name in results:
            lines += section(name, results[name])
    images = pngs if pngs is not None else sorted(p.name for p in BENCH.glob("*.png"))
    if images:
        lines += ["## Plots", ""]
        lines += [f"- [{name}]({name})" for name in images]
        lines.append("")
    return "\n".join(lines)


def machine() -> Dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    memory = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "python": f"Python {platform.python_version()}",
        "load": load_average(),
    }


def load_average() -> str:
    """The 1/5/15-minute load averages: other work on the machine skews the timings."""
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    # The benchmark's own outputs (this report, its plots) do not make the code "uncommitted".
    changed = [line[3:] for line in dirty.splitlines() if line.strip()]
    dirty_code = [
        path for path in changed if not (path.startswith("bench/") and path.endswith((".md", ".png")))
    ]
    return f"{head}{' (with uncommitted changes)' if dirty_code else ''}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description="Rewrite REPORT.md from saved results"
    )
    parser.add_argument("results", nargs="?", type=Path, default=ROOT / "var" / "bench" / "results.json")
    parser.add_argument("--report", type=Path, default=BENCH / "REPORT.md")
    args = parser.parse_args(argv)
    saved = json.loads(args.results.read_text(encoding="utf-8"))
    text = build(saved["results"], saved["machine"], saved["mode"], saved["total_s"])
    args.report.write_text(text, encoding="utf-8")
    print(f"Report: {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
