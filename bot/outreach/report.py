"""Delivery report: counts by state and channel, sends per minute, failure reasons, PNG chart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.outreach.campaigns import _row as campaign_row
from bot.outreach.models import DeliveryState, deliveries_t


@dataclass
class Report:
    campaign: str | None
    by_state_channel: dict[str, dict[str, int]]
    per_minute: list[tuple[datetime, int]]
    reasons: list[tuple[str, str, int]]  # (state, reason, count)
    uncertain_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(v.values()) for v in self.by_state_channel.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "total": self.total,
            "by_state_channel": self.by_state_channel,
            "per_minute": [{"minute": m.isoformat() + "Z", "sent": n} for m, n in self.per_minute],
            "reasons": [{"state": s, "reason": r, "count": n} for s, r, n in self.reasons],
            "uncertain_ids": self.uncertain_ids,
        }

    def render_text(self) -> str:
        lines = [f"Outreach report — {self.campaign or 'all deliveries'} ({self.total} deliveries)", ""]
        channels = sorted({c for v in self.by_state_channel.values() for c in v})
        lines.append("state".ljust(12) + "".join(c.rjust(10) for c in channels) + "total".rjust(10))
        for state in sorted(self.by_state_channel):
            row = self.by_state_channel[state]
            lines.append(
                state.ljust(12)
                + "".join(str(row.get(c, 0)).rjust(10) for c in channels)
                + str(sum(row.values())).rjust(10)
            )
        if self.per_minute:
            lines += ["", "Sent per minute (UTC):"]
            lines += [f"  {m:%Y-%m-%d %H:%M}  {n:8d}  ({n / 60:.1f}/s)" for m, n in self.per_minute[-30:]]
            if len(self.per_minute) > 30:
                lines.append(f"  … {len(self.per_minute) - 30} earlier minutes in the chart")
        if self.reasons:
            lines += ["", "Reasons (failed, unreachable, uncertain, skipped, expired, cancelled):"]
            lines += [f"  {n:8d}  {state:<11} {reason}" for state, reason, n in self.reasons]
        if self.uncertain_ids:
            shown = ", ".join(str(i) for i in self.uncertain_ids[:20])
            lines += [
                "",
                f"Uncertain deliveries (maybe delivered, not resent): {shown}"
                + (" …" if len(self.uncertain_ids) > 20 else ""),
            ]
        return "\n".join(lines)


def build_report(engine: Engine, campaign: int | str | None = None) -> Report:
    d = deliveries_t.c
    with engine.connect() as conn:
        condition = sa.true()
        name = None
        if campaign is not None:
            row = campaign_row(conn, campaign)
            condition, name = d.campaign_id == row.id, row.name
        by: dict[str, dict[str, int]] = {}
        for state, channel, count in conn.execute(
            sa.select(d.state, d.channel, sa.func.count()).where(condition).group_by(d.state, d.channel)
        ):
            by.setdefault(state, {})[channel] = int(count)
        minutes: Counter[datetime] = Counter()
        result = conn.execution_options(stream_results=True, yield_per=10_000).execute(
            sa.select(d.sent_at).where(condition, d.state == DeliveryState.SENT, d.sent_at.is_not(None))
        )
        for (sent_at,) in result:
            minutes[sent_at.replace(second=0, microsecond=0)] += 1
        reasons = conn.execute(
            sa.select(d.state, d.last_error, sa.func.count())
            .where(
                condition, d.state.notin_([DeliveryState.SENT, DeliveryState.QUEUED, DeliveryState.SENDING])
            )
            .group_by(d.state, d.last_error)
            .order_by(sa.func.count().desc())
            .limit(50)
        ).all()
        uncertain = (
            conn.execute(
                sa.select(d.id)
                .where(condition, d.state == DeliveryState.UNCERTAIN)
                .order_by(d.id)
                .limit(1000)
            )
            .scalars()
            .all()
        )
    return Report(
        campaign=name,
        by_state_channel=by,
        per_minute=sorted(minutes.items()),
        reasons=[(s, r or "", int(n)) for s, r, n in reasons],
        uncertain_ids=list(uncertain),
    )


def write_chart(report: Report, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    if report.per_minute:
        xs = [m for m, _ in report.per_minute]
        ys = [n for _, n in report.per_minute]
        ax.bar(xs, ys, width=1 / (24 * 60) * 0.9, color="#1f6feb")
        fig.autofmt_xdate()
    else:
        ax.text(0.5, 0.5, "no messages sent yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Sends per minute — {report.campaign or 'all deliveries'}")
    ax.set_xlabel("minute (UTC)")
    ax.set_ylabel("messages sent")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
