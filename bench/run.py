"""Every benchmark, one report: ``python -m bench.run [--quick] [--only NAME …] [--report FILE]``.

Runs each benchmark as its own process (``python -m bench.<name> … --json OUT``), shows its output
as it goes, and writes ``bench/REPORT.md``: the machine, the date, the git commit, and one table
per benchmark with figure | value | baseline (same run) | target | met?, plus links to the PNGs.
A benchmark that is missing or fails is reported as "not run: <reason>" and the others carry on.
``--quick`` (everyday use, under 10 minutes on 2 cores) runs each benchmark once with smaller
budgets; the full run (25 minutes here) repeats what is cheap to repeat (our training 3×, each
latency level 3×) and reports medians with their spread, trains the stock baseline once (4–12
minutes per training here), scores NLU quality on the models the training step trained (one seed;
``python -m bench.nlu --runs 3`` repeats over seeds, about 10 minutes per seed with the stock
pipeline), uses the full budgets of the dossier import and outreach benchmarks, and serves our model
with 2 Rasa workers and Redis locks when Debian's ``redis-server`` is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bench import report
from bench._servers import QUIET_ENV, ROOT

BENCH = ROOT / "bench"
REPORT = BENCH / "REPORT.md"
OUR_MODEL = ROOT / "models" / "tro-ly.tar.gz"
RESULTS = ROOT / "var" / "bench" / "results.json"


@dataclass
class Step:
    name: str
    args: List[str]
    timeout: float
    # Extra JSON files the step writes: key in the results → path.
    extra_json: Dict[str, Path] = field(default_factory=dict)


def plan(quick: bool, tmp: Path) -> List[Step]:
    """The benchmarks in order (later ones use the models the training step trained)."""
    q = ["--quick"] if quick else []
    redis = shutil.which("redis-server") is not None
    return [
        Step("retrieval", [], 300),
        Step("training", q or ["--runs", "3", "--stock-runs", "1"], 3600 if quick else 2 * 3600),
        Step("nlu", [*q], 1800),
        Step(
            "latency",
            [*q, "--answers", str(tmp / "answers.json"), *([] if quick or not redis else ["--workers", "2"])],
            1800 if quick else 3 * 3600,
            extra_json={"answers": tmp / "answers.json"},
        ),
        Step("dossier_import", [*q], 900 if quick else 3600),
        Step("outreach", [*q], 900 if quick else 3600),
        Step("phoatis", ["--data", os.environ.get("PHOATIS_DIR", "")], 3 * 3600),
    ]


def step_args(step: Step, results: Dict[str, Any]) -> List[str]:
    """Arguments that depend on earlier steps: the freshly trained models."""
    trained = (results.get("training") or {}).get("data", {}).get("models", {})
    ours, stock = trained.get("ours"), trained.get("stock")
    args = list(step.args)
    if step.name == "nlu" and ours and stock:
        args += ["--models", ours, stock]
    if step.name == "latency":
        args += ["--model", ours or str(OUR_MODEL)]
        args += ["--stock-model", stock] if stock else ["--no-stock"]
    return args


def run_step(step: Step, args: List[str], json_out: Path, log: Path) -> Dict[str, Any]:
    """Run one benchmark; ``{"status": "ok"|"not run", "reason", "seconds", "data"}``."""
    module = BENCH / f"{step.name}.py"
    if step.name == "phoatis" and not os.environ.get("PHOATIS_DIR"):
        return {
            "status": "not run",
            "reason": "no PhoATIS data: set PHOATIS_DIR to its syllable-level folder",
        }
    if not module.exists():
        return {"status": "not run", "reason": f"bench/{step.name}.py does not exist yet"}
    command = [sys.executable, "-m", f"bench.{step.name}", *args, "--json", str(json_out)]
    print(f"\n=== {step.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    env = dict(os.environ, **QUIET_ENV)
    tail: List[str] = []
    try:
        with log.open("w", encoding="utf-8") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            watchdog = threading.Timer(step.timeout, process.kill)
            watchdog.start()
            try:
                assert process.stdout is not None
                for raw in process.stdout:
                    line = raw.decode("utf-8", errors="replace")
                    out.write(line)
                    # A progress bar redraws itself with "\r": show only its last state.
                    shown = line.rstrip().split("\r")[-1].rstrip()
                    if shown:
                        print(f"  | {shown}", flush=True)
                        tail = [*tail, shown][-5:]
                code = process.wait()
            finally:
                timed_out = not watchdog.is_alive()
                watchdog.cancel()
    except (OSError, subprocess.SubprocessError) as error:
        return {"status": "not run", "reason": f"could not run: {error}"}
    seconds = time.perf_counter() - started
    if timed_out and code != 0:
        return {"status": "not run", "reason": f"stopped after {step.timeout:.0f} s", "seconds": seconds}
    if code != 0:
        last = next((t for t in reversed(tail) if t.strip()), "")
        return {"status": "not run", "reason": f"exited with {code}: {last[:200]}", "seconds": seconds}
    if not json_out.exists():
        return {"status": "not run", "reason": "wrote no JSON", "seconds": seconds}
    data = json.loads(json_out.read_text(encoding="utf-8"))
    print(f"=== {step.name}: done in {seconds:.0f} s", flush=True)
    return {"status": "ok", "seconds": seconds, "data": data}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="everyday run, under 10 minutes")
    parser.add_argument(
        "--only", nargs="*", help="run only these benchmarks (the report lists the rest as not run)"
    )
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument(
        "--json",
        dest="json_out",
        type=Path,
        default=RESULTS,
        help="every result as one JSON file (for bench.report)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_start = report.load_average()
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp_name:
        tmp = Path(tmp_name)
        for step in plan(args.quick, tmp):
            if args.only and step.name not in args.only:
                for key in (step.name, *step.extra_json):
                    results[key] = {"status": "not run", "reason": "not selected (--only)"}
                continue
            outcome = run_step(
                step,
                step_args(step, results),
                tmp / f"{step.name}.json",
                tmp / f"{step.name}.log",
            )
            if outcome["status"] != "ok":
                print(f"=== {step.name}: not run: {outcome['reason']}", flush=True)
            results[step.name] = outcome
            for key, path in step.extra_json.items():
                if outcome["status"] == "ok" and path.exists():
                    results[key] = {"status": "ok", "data": json.loads(path.read_text(encoding="utf-8"))}
                else:
                    results[key] = {
                        "status": "not run",
                        "reason": f"runs with {step.name}: {outcome.get('reason', 'no JSON')}",
                    }
    total = time.perf_counter() - started
    machine = dict(report.machine(), load_start=load_start)
    text = report.build(results, machine, mode="quick" if args.quick else "full", total_s=total)
    args.report.write_text(text, encoding="utf-8")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        saved = {
            "results": results,
            "machine": machine,
            "mode": "quick" if args.quick else "full",
            "total_s": total,
        }
        args.json_out.write_text(json.dumps(saved, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nReport: {args.report} ({total / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
