"""REPORT.md from a fake result dict: tables, targets, baselines, not-run rows, plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

from bench import report

MACHINE = {
    "cpu": "Test CPU",
    "cores": 2,
    "memory_gib": 23.4,
    "date": "2026-01-01 00:00 UTC",
    "commit": "abc123",
    "python": "Python 3.10",
}


def fake_results() -> Dict[str, Any]:
    level = {
        "p50_ms": 80.0,
        "p95_ms": 140.0,
        "p99_ms": 200.0,
        "messages_per_s": 12.5,
        "messages": 300,
        "errors": 0,
        "runs": 3,
        "p95_spread": [130.0, 150.0],
        "throughput_spread": [12.0, 13.0],
    }
    slow = dict(level, p95_ms=900.0, messages_per_s=4.0)
    return {
        "retrieval": {
            "status": "ok",
            "seconds": 3.0,
            "data": {
                "questions": 300,
                "embedded": {
                    "overall": {
                        "service_hit1": 0.97,
                        "service_hit3": 0.99,
                        "service_mrr": 0.98,
                        "section_hit1": 0.8,
                        "section_mrr": 0.85,
                    },
                    "by_style": {
                        "diacritics": {"service_hit1": 0.98},
                        "no_diacritics": {"service_hit1": 0.96},
                    },
                    "latency": {"p50_ms": 1.0, "p95_ms": 2.5},
                },
                "baseline": {"overall": {"service_hit1": 0.6}, "latency": {"p95_ms": 0.5}},
            },
        },
        "training": {
            "status": "ok",
            "data": {
                "runs": 3,
                "ours": {"median": 75.0, "min": 70.0, "max": 80.0},
                "stock": {"median": 250.0, "min": 250.0, "max": 250.0},
                "stock_note": "trained in this run",
            },
        },
        "nlu": {
            "status": "ok",
            "data": {
                "ours": {
                    "overall": {
                        "intent_macro_f1": 0.96,
                        "intent_accuracy": 0.97,
                        "service_f1": 0.93,
                        "fallbacks": 2,
                        "intent_macro_f1_no_fallback": 0.97,
                    },
                    "by_style": {"teencode": {"n": 57, "intent_macro_f1": 0.90, "service_f1": 0.92}},
                    "spread": {"intent_macro_f1": [0.95, 0.97]},
                    "parse_ms_p50": 9.0,
                    "parse_ms_p95": 20.0,
                },
                "stock": {
                    "overall": {"intent_macro_f1": 0.80, "intent_accuracy": 0.82, "service_f1": 0.0},
                    "by_style": {"teencode": {"n": 57, "intent_macro_f1": 0.7, "service_f1": 0.0}},
                },
            },
        },
        "answers": {
            "status": "ok",
            "data": {
                "ours": {
                    "overall": {"n": 135, "correct": 125, "accuracy": 125 / 135},
                    "by_intent": {"ask_fee": {"n": 20, "correct": 19, "accuracy": 0.95}},
                    "by_group": {},
                },
                "baseline": {"overall": {"n": 135, "correct": 90, "accuracy": 90 / 135}},
            },
        },
        "latency": {
            "status": "ok",
            "data": {
                "ours": {
                    "levels": {"1": level, "10": level},
                    "first_answer_s": 14.2,
                    "messages_before_rss": 1001,
                    "rss_mb": {"rasa": 900.0, "actions": 150.0},
                },
                "ours-2w": {
                    "levels": {"10": {**level, "p95_ms": 120.0, "messages_per_s": 80.5}},
                    "workers": 2,
                },
                "stock": {
                    "levels": {"1": slow, "10": slow},
                    "first_answer_s": 12.0,
                    "rss_mb": {"rasa": 950.0, "actions": 140.0},
                },
            },
        },
        "dossier_import": {"status": "not run", "reason": "bench/dossier_import.py does not exist yet"},
        "outreach": {
            "status": "ok",
            "data": {
                "throughput": {"delivered": 10000, "achieved_per_s": 954.6, "limit_per_s": 1000},
                "limit": {"limit_per_s": 30, "max_in_1s_window": 31},
                "memory": {"ratio": 0.99},
                "baseline_naive": {
                    "rss_small": {"achieved_per_s": 621.7, "max_in_1s_window": 500},
                    "rss_ratio": 1.04,
                },
            },
        },
        "outreach_like": {
            "status": "ok",
            "data": {
                "report": [
                    {"figure": "sends/s", "value": "55", "baseline": "20", "target": "≥ 25", "met": True}
                ]
            },
        },
        "mystery": {"status": "ok", "data": {"nested": {"rate": 3.25, "flag": True, "name": "x"}}},
    }


def test_report_has_machine_tables_baselines_and_targets() -> None:
    text = report.build(fake_results(), MACHINE, mode="full", total_s=600, pngs=["latency.png"])
    assert "Test CPU, 2 cores, 23.4 GiB memory" in text
    assert "Commit: abc123" in text and "2026-01-01" in text
    assert "| service hit@1 | 0.970 | 0.600 | ≥ 0.95 | ✓ |" in text
    assert "| service+section hit@1 | 0.800 | — | ≥ 0.85 | ✗ |" in text
    assert "| service hit@1: diacritics − no-diacritics | +2.0 pts | — | ≤ 3 pts | ✓ |" in text
    assert "75 s (70–80 s)" in text and "| ≤ 300 s | ✓ |" in text
    # NLU: target met overall, service missed, teencode 6 points below the whole.
    assert "| intent macro-F1 (whole) | 0.960 (0.950–0.970) | 0.800 | ≥ 0.95 | ✓ |" in text
    assert "| service F1 (whole) | 0.930 | 0.000 | ≥ 0.95 | ✗ |" in text
    assert "| intent macro-F1 [teencode, n=57] | 0.900 | 0.700 | ≥ 0.930 (whole − 3 pts) | ✗ |" in text
    assert "| correct answers (all) | 92.6% (125/135) | 66.7% (90/135) | ≥ 90% | ✓ |" in text
    assert "| ×10 p95 | 140 ms | 900 ms | ≤ 150 ms | ✓ |" in text
    assert "×1 p95 |" not in text  # the p95 row is the target row, at 10 concurrent only
    assert (
        "| ×10 p95, 2 Rasa workers + Redis locks (ours-2w) | 120 ms (130–150 ms p95) "
        "| 140 ms (ours, 1 worker) | ≤ 150 ms | ✓ |"
    ) in text
    assert "| ×10 messages/s (ours-2w) | 80.5 | — |" in text
    assert "RSS Rasa server after 1001 messages | 900 MiB | 950 MiB" in text
    assert "not run: bench/dossier_import.py does not exist yet" in text
    assert "| sends/s | 55 | 20 | ≥ 25 | ✓ |" in text
    assert "| nested.rate | 3.25 |" in text and "nested.flag" not in text
    assert "- [latency.png](latency.png)" in text
    assert (
        "| sends/s at a limit of 1,000/s (10,000 messages) | 955 | 622 (naive, sequential) "
        "| ≥ 95% of the limit | ✓ |" in text
    )
    assert "| busiest second at the default limit of 30/s | 31 | 500 (naive) | ≤ 30 | ✗ |" in text
    assert "| worker peak RSS, large ÷ small audience | 0.99 | 1.04 (naive) | ≤ 1.20 | ✓ |" in text


def test_quick_report_says_so_and_survives_malformed_data() -> None:
    results = {
        "nlu": {"status": "ok", "data": {"ours": "not a dict"}},
        "latency": {"status": "not run", "reason": "boom"},
    }
    text = report.build(results, MACHINE, mode="quick", total_s=60, pngs=[])
    assert "make bench-quick" in text and "Mode: quick" in text
    assert "not run: boom" in text
    assert "## Plots" not in text


def test_table_escapes_pipes() -> None:
    lines = report.table([report.Row("a|b", "1")])
    assert lines[-1] == "| a\\|b | 1 | — | — | — |"


def test_report_can_be_rewritten_from_saved_results(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(
        json.dumps({"results": fake_results(), "machine": MACHINE, "mode": "quick", "total_s": 300}),
        encoding="utf-8",
    )
    out = tmp_path / "REPORT.md"
    assert report.main([str(saved), "--report", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark report") and "Total time: 5.0 min" in text
