"""The report: counts by state and channel, sends per minute, reasons, PNG chart, CLI."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.outreach.report import build_report, write_chart

from .conftest import ROOT, add_subscribers
from .helpers import run_worker, start_campaign


async def test_report_counts_rate_reasons_and_chart(engine, standin, config, tmp_path) -> None:
    add_subscribers(engine, ["1", "2", "3"])
    standin.call(lambda state: state.blocked.add("3"))
    campaign_id = start_campaign(engine, "báo cáo")
    await run_worker(engine, standin, config)

    report = build_report(engine, campaign_id)

    assert report.by_state_channel == {"sent": {"telegram": 2}, "unreachable": {"telegram": 1}}
    assert sum(n for _, n in report.per_minute) == 2
    assert report.reasons == [("unreachable", "forbidden: Forbidden: bot was blocked by the user", 1)]
    text = report.render_text()
    assert "Sent per minute" in text and "bot was blocked" in text
    chart = write_chart(report, tmp_path / "chart.png")
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_cli_report_writes_chart(sqlite_url, tmp_path) -> None:
    chart = tmp_path / "sends.png"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "outreach", "report", "--chart", str(chart)],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=sqlite_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "0 deliveries" in done.stdout
    assert chart.read_bytes().startswith(b"\x89PNG")
