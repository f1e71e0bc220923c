"""Outreach delivery benchmark: ``python -m bench.outreach [--quick] [--json OUT]``.

Everything runs against the local Telegram stand-in (``bench/telegram_standin.py``, its own
process) with the real worker (``python -m bot outreach worker``, its own process) on a fresh
SQLite database:

1. throughput: a campaign to 100,000 subscribers (``--quick``: 10,000) at a configured limit of
   1,000 messages/s (target ≥ 95 %). The achieved rate is (messages received − 1) / (last arrival −
   first arrival) at the stand-in: every message counts, the start-up ramp and the tail included,
   and nothing is timed on the worker's side (its clock would flatter it). Only the worker's own
   start-up (imports, getMe, the first claim) before the first arrival is left out: it is constant,
   and counting it would measure process start-up rather than sending. The worker runs with 512
   sends in flight (``BENCH_OUTREACH_CONCURRENCY``): each send's attempt must be committed before its
   HTTP call and its result after it, so by Little's law 1,000/s through commits that take 10-300 ms
   on a busy disk needs a few hundred sends in flight;
2. limit: the default 30 messages/s for 60 s (``--quick``: 15 s); the largest number of messages
   the stand-in received in any sliding one-second window (target never above 30);
3. memory: the worker's peak RSS on a campaign to 1,000,000 subscribers vs 10,000
   (``--quick``: 100,000 vs 10,000), each run for the same number of seconds (target within 20 %).

Baseline measured in the same run: naive sequential sending (load every recipient, one
``send_message`` after another, a commit per message, no batching and no limits) on a small
sample — its rate, its busiest second, and its peak RSS after loading all recipients.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123:BENCH"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Standin:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.telegram_standin", "--port", str(self.port)], cwd=ROOT
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.get("/_stats")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("stand-in did not start")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=60) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self.post("/_reset", {})
        self.post("/_control", {"track_chat_times": False})

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def template_db(folder: Path) -> Path:
    from bot.db import migrate

    path = folder / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def fresh_db(template: Path, folder: Path, name: str, subscribers: int) -> str:
    """A copy of the migrated template with ``subscribers`` rows and one scheduled campaign."""
    path = folder / f"{name}.db"
    shutil.copyfile(template, path)
    conn = sqlite3.connect(path)
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    chunk = 50_000
    for start in range(0, subscribers, chunk):
        conn.executemany(
            "INSERT INTO outreach_subscribers (channel, chat_id, status, topics, consent_at, consent_source,"
            " unreachable, created_at, updated_at, province, province_key)"
            " VALUES ('telegram', ?, 'active', ';dich_vu_moi;', ?, 'import', 0, ?, ?, 'Hà Nội', 'ha noi')",
            [(str(10_000_000 + i), now, now, now) for i in range(start, min(subscribers, start + chunk))],
        )
    conn.execute(
        "INSERT INTO outreach_campaigns (name, text, buttons, segment, state, start_at, recipients,"
        " created_at, updated_at) VALUES ('bench', 'Bà con {province}: nộp hồ sơ trực tuyến!', '[]', '{}',"
        " 'scheduled', ?, 0, ?, ?)",
        (now, now, now),
    )
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def run_worker(
    url: str, standin: Standin, rate: float, seconds: float | None, folder: Path
) -> dict[str, Any]:
    stats_path = folder / f"stats-{time.monotonic_ns()}.json"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.url + "/bot",
        OUTREACH_TELEGRAM_RATE=str(rate),
        OUTREACH_BATCH_SIZE="1000",
        OUTREACH_CONCURRENCY=os.environ.get("BENCH_OUTREACH_CONCURRENCY", "512"),
        OUTREACH_QUIET_START="00:00",
        OUTREACH_QUIET_END="00:00",
        LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "bot", "outreach", "worker", "--stats-json", str(stats_path)]
    command += ["--max-seconds", str(seconds)] if seconds else ["--until-idle"]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"worker failed: {done.stderr[-2000:]}")
    stats = json.loads(stats_path.read_text())
    stats["wall_seconds"] = time.monotonic() - started
    return stats


def window_max(times: list[float], width: float = 1.0) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def arrival_rate(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


# --- baseline: naive sequential sending --------------------------------------------------------
NAIVE = r"""
import asyncio, json, resource, sqlite3, sys, time
from telegram import Bot
from telegram.request import HTTPXRequest

async def main(db, base_url, limit):
    conn = sqlite3.connect(db)
    # every recipient at once
    recipients = conn.execute("SELECT id, chat_id, province FROM outreach_subscribers").fetchall()
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bot = Bot("123:BENCH", base_url=base_url, request=HTTPXRequest(connection_pool_size=1))
    await bot.initialize()
    started = time.monotonic()
    for sub_id, chat_id, province in recipients[:limit]:
        await bot.send_message(chat_id=chat_id, text=f"Bà con {province}: nộp hồ sơ trực tuyến!")
        conn.execute("UPDATE outreach_subscribers SET updated_at = datetime('now') WHERE id = ?", (sub_id,))
        conn.commit()
    await bot.shutdown()
    print(json.dumps({"sent": min(limit, len(recipients)), "seconds": time.monotonic() - started,
                      "peak_rss_kb": rss_after_load}))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def run_naive(url: str, standin: Standin, limit: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", NAIVE, url.removeprefix("sqlite:///"), standin.url + "/bot", str(limit)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- scenarios ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs (< 3 minutes)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    q = args.quick
    sizes: dict[str, Any] = {
        "throughput_subscribers": 10_000 if q else 100_000,
        "throughput_rate": 1000.0,
        "limit_rate": 30.0,
        "limit_seconds": 15 if q else 60,
        "rss_small": 10_000,
        "rss_large": 100_000 if q else 1_000_000,
        "rss_seconds": 8 if q else 15,
        "naive_sample": 500 if q else 2_000,
    }
    results: dict[str, Any] = {"quick": q, "sizes": sizes, "loadavg_before": os.getloadavg()[0]}
    folder = Path(tempfile.mkdtemp(prefix="bench-outreach-"))
    standin = Standin()
    try:
        template = template_db(folder)

        # 1. throughput at 1,000/s
        standin.reset()
        url = fresh_db(template, folder, "throughput", sizes["throughput_subscribers"])
        stats = run_worker(url, standin, sizes["throughput_rate"], None, folder)
        got = standin.get("/_stats?times=1")
        results["throughput"] = {
            "delivered": got["total"],
            "achieved_per_s": arrival_rate(got["times"]),
            "limit_per_s": sizes["throughput_rate"],
            "max_in_1s_window": window_max(got["times"]),
            "worker_wall_s": stats["wall_seconds"],
            "outcomes": stats["outcomes"],
        }

        # 2. default 30/s for N seconds
        standin.reset()
        count = int(sizes["limit_rate"] * sizes["limit_seconds"])
        url = fresh_db(template, folder, "limit", count)
        run_worker(url, standin, sizes["limit_rate"], None, folder)
        got = standin.get("/_stats?times=1")
        results["limit"] = {
            "delivered": got["total"],
            "limit_per_s": sizes["limit_rate"],
            "max_in_1s_window": window_max(got["times"]),
            "achieved_per_s": arrival_rate(got["times"]),
        }

        # 3. peak RSS: large vs small campaign, same run time
        rss: dict[str, Any] = {}
        for label in ("rss_small", "rss_large"):
            standin.reset()
            url = fresh_db(template, folder, label, sizes[label])
            stats = run_worker(url, standin, sizes["throughput_rate"], sizes["rss_seconds"], folder)
            rss[label] = {
                "subscribers": sizes[label],
                "peak_rss_kb": stats["peak_rss_kb"],
                "sent": sum(stats["outcomes"].values()),
            }
            Path(url.removeprefix("sqlite:///")).unlink()
        rss["ratio"] = rss["rss_large"]["peak_rss_kb"] / rss["rss_small"]["peak_rss_kb"]
        results["memory"] = rss

        # baseline: naive sequential sending on a sample
        naive: dict[str, Any] = {}
        for label in ("rss_small", "rss_large"):
            standin.reset()
            url = fresh_db(template, folder, f"naive-{label}", sizes[label])
            naive[label] = run_naive(url, standin, sizes["naive_sample"])
            got = standin.get("/_stats?times=1")
            naive[label]["achieved_per_s"] = arrival_rate(got["times"])
            naive[label]["max_in_1s_window"] = window_max(got["times"])
            Path(url.removeprefix("sqlite:///")).unlink()
        naive["rss_ratio"] = naive["rss_large"]["peak_rss_kb"] / naive["rss_small"]["peak_rss_kb"]
        results["baseline_naive"] = naive
    finally:
        standin.stop()
        shutil.rmtree(folder, ignore_errors=True)

    results["loadavg_after"] = os.getloadavg()[0]
    print_results(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def print_results(r: dict[str, Any]) -> None:
    t, lim, mem, naive = r["throughput"], r["limit"], r["memory"], r["baseline_naive"]
    small, large = naive["rss_small"], naive["rss_large"]
    rows = [
        ("", "outreach worker", "naive baseline", "target"),
        (
            f"rate, limit {t['limit_per_s']:.0f}/s ({t['delivered']:,} msgs)",
            f"{t['achieved_per_s']:.0f}/s ({t['achieved_per_s'] / t['limit_per_s']:.1%})",
            f"{small['achieved_per_s']:.0f}/s (no limit, {small['sent']:,} msgs)",
            f"≥ {0.95 * t['limit_per_s']:.0f}/s",
        ),
        (
            f"busiest 1 s, limit {lim['limit_per_s']:.0f}/s ({lim['delivered']:,} msgs)",
            f"{lim['max_in_1s_window']}",
            f"{small['max_in_1s_window']}",
            f"≤ {lim['limit_per_s']:.0f}",
        ),
        (
            f"peak RSS {mem['rss_small']['subscribers']:,} subs",
            f"{mem['rss_small']['peak_rss_kb'] / 1024:.0f} MB",
            f"{small['peak_rss_kb'] / 1024:.0f} MB",
            "",
        ),
        (
            f"peak RSS {mem['rss_large']['subscribers']:,} subs",
            f"{mem['rss_large']['peak_rss_kb'] / 1024:.0f} MB",
            f"{large['peak_rss_kb'] / 1024:.0f} MB",
            "",
        ),
        ("RSS large / small", f"{mem['ratio']:.2f}", f"{naive['rss_ratio']:.2f}", "≤ 1.20"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(
        f"Outreach benchmark{' (--quick)' if r['quick'] else ''} — {os.cpu_count()} CPUs, load average "
        f"{r['loadavg_before']:.1f} before / {r['loadavg_after']:.1f} after (other processes share the CPUs)"
    )
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
