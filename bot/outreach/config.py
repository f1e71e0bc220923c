"""Outreach configuration resolved from the settings object (passed around, never global)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from bot.outreach.guards import QuietHours
from bot.settings import Settings


@dataclass(frozen=True)
class ChannelLimits:
    rate: float  # messages per second, overall
    per_chat_rate: float  # messages per second to one chat


@dataclass(frozen=True)
class OutreachConfig:
    kill_switch: bool
    quiet_hours: QuietHours
    frequency_cap: int
    frequency_window: timedelta
    limits: dict[str, ChannelLimits]
    batch_size: int
    concurrency: int
    lease: timedelta
    max_attempts: int
    backoff_base: float
    backoff_max: float
    send_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> OutreachConfig:
        return cls(
            kill_switch=settings.outreach_kill_switch,
            quiet_hours=QuietHours.parse(
                settings.outreach_quiet_start, settings.outreach_quiet_end, settings.outreach_timezone
            ),
            frequency_cap=settings.outreach_frequency_cap,
            frequency_window=timedelta(days=settings.outreach_frequency_window_days),
            limits={
                "telegram": ChannelLimits(
                    settings.outreach_telegram_rate, settings.outreach_telegram_per_chat_rate
                ),
                "zalo": ChannelLimits(settings.outreach_zalo_rate, settings.outreach_zalo_per_chat_rate),
            },
            batch_size=settings.outreach_batch_size,
            concurrency=settings.outreach_concurrency,
            lease=timedelta(seconds=settings.outreach_lease_seconds),
            max_attempts=settings.outreach_max_attempts,
            backoff_base=settings.outreach_backoff_base_seconds,
            backoff_max=settings.outreach_backoff_max_seconds,
            send_timeout=settings.outreach_send_timeout_seconds,
        )

    def with_(self, **changes: object) -> OutreachConfig:
        return replace(self, **changes)  # type: ignore[arg-type]

    def backoff(self, attempts: int) -> float:
        """Seconds before retry number ``attempts`` (1-based): base·2^(n-1), capped."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1)))
