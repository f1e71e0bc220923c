"""End-to-end answer accuracy: ``python -m bench.answers [--baseline-model M] [--misses] [--json OUT]``.

Starts a real action server and Rasa server (a fresh migrated SQLite database), asks every question
of ``tests/data/answer_facts.yaml`` through ``POST /webhooks/rest/webhook`` with a fresh sender per
question, and counts an answer correct when every ``must_contain`` string is in the concatenated
reply texts (NFC, case-insensitive). Prints accuracy overall, per intent and per service group;
``--baseline-model`` asks the same questions of a second model (bench.run passes the stock-NLU model).
Target: ≥ 90 % correct.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

from bench._servers import ROOT, Assistant, post_message
from bench.metrics import contains_all

FACTS = ROOT / "tests" / "data" / "answer_facts.yaml"
MODEL = ROOT / "models" / "tro-ly.tar.gz"
TARGET = 0.90
# Service number (knowledge/SERVICES.md) → group, to see where answers fail.
GROUPS = {
    "identity & residence": (1, 2, 3, 4, 5, 6),
    "vehicles & traffic": (7, 8, 20),
    "civil status": (9, 10, 11, 15, 16),
    "passport & seals": (12, 13, 14),
    "insurance, tax, land, jobs": (17, 18, 19, 25),
    "records, power, exams": (21, 22, 23, 24),
}


@dataclass(frozen=True)
class Fact:
    question: str
    service: str
    intent: str
    must_contain: List[str]


@dataclass(frozen=True)
class Outcome:
    fact: Fact
    reply: str
    correct: bool
    missing: List[str]
    ms: float


def load_facts(path: Path = FACTS) -> List[Fact]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        Fact(str(r["question"]), str(r["service"]), str(r["intent"]), [str(s) for s in r["must_contain"]])
        for r in raw
    ]


def reply_text(replies: Sequence[Dict[str, Any]]) -> str:
    """The texts of all replies, one per line (button titles are not answers and are left out)."""
    return "\n".join(str(reply["text"]) for reply in replies if reply.get("text"))


def judge(fact: Fact, replies: Sequence[Dict[str, Any]], ms: float = 0.0) -> Outcome:
    text = reply_text(replies)
    ok, missing = contains_all(text, fact.must_contain)
    return Outcome(fact, text, ok, missing, ms)


def service_group(service_id: str) -> str:
    from knowledge.catalog import default_catalog

    try:
        number = default_catalog().by_id(service_id).number
    except KeyError:
        return "unknown service"
    return next((g for g, numbers in GROUPS.items() if number in numbers), "other")


def ask_all(port: int, facts: Sequence[Fact], label: str) -> List[Outcome]:
    from tqdm import tqdm

    outcomes: List[Outcome] = []
    run_id = uuid.uuid4().hex[:8]
    for number, fact in enumerate(tqdm(facts, desc=f"ask {label}", unit="q", file=sys.stderr, leave=False)):
        started = time.perf_counter()
        try:
            replies = post_message(port, f"bench-answers-{run_id}-{number}", fact.question)
        except OSError as error:  # a failed request is a wrong answer, not a crashed benchmark
            replies = [{"text": f"<request failed: {error}>"}]
        outcomes.append(judge(fact, replies, (time.perf_counter() - started) * 1000))
    return outcomes


def score(outcomes: Sequence[Outcome]) -> Dict[str, Any]:
    def share(selected: Sequence[Outcome]) -> Dict[str, Any]:
        right = sum(o.correct for o in selected)
        return {"n": len(selected), "correct": right, "accuracy": right / len(selected) if selected else 0.0}

    by_intent: Dict[str, List[Outcome]] = defaultdict(list)
    by_group: Dict[str, List[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_intent[outcome.fact.intent].append(outcome)
        by_group[service_group(outcome.fact.service)].append(outcome)
    return {
        "overall": share(outcomes),
        "by_intent": {k: share(v) for k, v in sorted(by_intent.items())},
        "by_group": {k: share(v) for k, v in sorted(by_group.items())},
        "misses": [
            {
                "question": o.fact.question,
                "intent": o.fact.intent,
                "service": o.fact.service,
                "missing": o.missing,
                "reply": o.reply[:120],
            }
            for o in outcomes
            if not o.correct
        ],
    }


def measure(model: Path, facts: Sequence[Fact], label: str, workdir: Path) -> Dict[str, Any]:
    print(f"  starting {label} (action server + rasa run) …", flush=True)
    with Assistant(workdir / label, model, label) as assistant:
        print(f"  {label}: first answer {assistant.rasa.first_answer_s:.1f} s after `rasa run`", flush=True)
        figures = score(ask_all(assistant.port, facts, label))
        figures["first_answer_s"] = assistant.rasa.first_answer_s
    figures["model"] = str(model)
    return figures


def render(result: Dict[str, Any], show_misses: bool) -> List[str]:
    names = [n for n in ("ours", "baseline") if n in result]
    lines = [f"End-to-end answers: {result['questions']} questions through the REST channel"]
    header = f"{'':<28}" + "".join(f"{n:>16}" for n in names)
    lines.append(header)

    def row(label: str, pick: Any) -> str:
        cells = []
        for n in names:
            fig = pick(result[n])
            cells.append(
                f"{fig['correct']:>4}/{fig['n']:<3} {fig['accuracy']:>6.1%}" if fig else f"{'-':>16}"
            )
        return f"{label:<28}" + "".join(f"{c:>16}" for c in cells)

    lines.append(row("overall", lambda r: r["overall"]))
    for intent in result["ours"]["by_intent"]:
        lines.append(row(f"  {intent}", lambda r, k=intent: r["by_intent"].get(k)))
    for group in result["ours"]["by_group"]:
        lines.append(row(f"  {group}", lambda r, k=group: r["by_group"].get(k)))
    accuracy = result["ours"]["overall"]["accuracy"]
    lines.append(f"target ≥ {TARGET:.0%}: {accuracy:.1%} {'✓' if accuracy >= TARGET else '✗'}")
    if "baseline" in result:
        lines.append("baseline = the same domain, stories and actions with Rasa's stock NLU pipeline")
    if show_misses:
        lines.append("misses (ours):")
        for miss in result["ours"]["misses"]:
            reply = miss["reply"].replace("\n", " ⏎ ")
            lines.append(
                f"  {miss['question']} [{miss['intent']}] → {reply}  (missing: {', '.join(miss['missing'])})"
            )
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--baseline-model", type=Path, help="also ask this model (e.g. the stock-NLU one)")
    parser.add_argument("--facts", type=Path, default=FACTS)
    parser.add_argument(
        "--quick", action="store_true", help="accepted for bench.run; every question is asked"
    )
    parser.add_argument("--misses", action="store_true", help="list wrong answers (question → reply)")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    if not args.model.exists():
        raise SystemExit(f"{args.model} is missing: run `make train`")
    facts = load_facts(args.facts)
    result: Dict[str, Any] = {"questions": len(facts), "target": TARGET}
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        result["ours"] = measure(args.model, facts, "ours", Path(tmp))
        if args.baseline_model:
            result["baseline"] = measure(args.baseline_model, facts, "baseline", Path(tmp))
    print("\n".join(render(result, args.misses)))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
