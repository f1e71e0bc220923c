"""Quiet hours, frequency cap, kill switch (settings flag and database flag)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.outreach import campaigns, remind_result_waiting
from bot.outreach.guards import QuietHours, kill_switch_on, set_kill_switch
from bot.outreach.models import utcnow

from .conftest import add_subscribers
from .helpers import run_worker, start_campaign, states

DEFAULT_QUIET = QuietHours.parse("21:00", "07:00", "Asia/Ho_Chi_Minh")


def utc_for_hanoi(hour: int, minute: int = 0) -> datetime:
    """Naive UTC for that local time in Hà Nội (UTC+7) tomorrow (after campaigns created now)."""
    day = (utcnow() + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=7)


def test_quiet_hours_window_wraps_midnight() -> None:
    assert DEFAULT_QUIET.is_quiet(utc_for_hanoi(21, 0))
    assert DEFAULT_QUIET.is_quiet(utc_for_hanoi(23, 30))
    assert DEFAULT_QUIET.is_quiet(utc_for_hanoi(2, 0))
    assert DEFAULT_QUIET.is_quiet(utc_for_hanoi(6, 59))
    assert not DEFAULT_QUIET.is_quiet(utc_for_hanoi(7, 0))
    assert not DEFAULT_QUIET.is_quiet(utc_for_hanoi(12, 0))
    assert not DEFAULT_QUIET.is_quiet(utc_for_hanoi(20, 59))
    assert DEFAULT_QUIET.next_open(utc_for_hanoi(22, 0)) == utc_for_hanoi(7, 0) + timedelta(days=1)
    assert DEFAULT_QUIET.next_open(utc_for_hanoi(3, 0)) == utc_for_hanoi(7, 0)
    assert not QuietHours.parse("00:00", "00:00", "UTC").is_quiet(utc_for_hanoi(3, 0))


async def test_nothing_is_sent_in_quiet_hours(engine, standin, config) -> None:
    add_subscribers(engine, ["1"])
    campaign_id = start_campaign(engine, "đêm")
    night = utc_for_hanoi(22, 15)

    stats = await run_worker(engine, standin, config.with_(quiet_hours=DEFAULT_QUIET), clock=lambda: night)

    assert stats.stopped_because == "quiet_hours"
    assert not standin.state.attempts
    morning = utc_for_hanoi(7, 5)
    await run_worker(engine, standin, config.with_(quiet_hours=DEFAULT_QUIET), clock=lambda: morning)
    assert states(engine, campaign_id) == {"1": "sent"}


async def test_frequency_cap_skips_the_third_campaign_in_a_week(engine, standin, config) -> None:
    add_subscribers(engine, ["1", "2"])
    first = start_campaign(engine, "một")
    await run_worker(engine, standin, config)
    add_subscribers(engine, ["3"])  # joins later: has had fewer campaign messages
    second = start_campaign(engine, "hai")
    await run_worker(engine, standin, config)
    third = start_campaign(engine, "ba")
    dry = campaigns.dry_run(engine, "ba", config.frequency_cap, utcnow() - config.frequency_window)
    assert dry.over_frequency_cap == 2

    await run_worker(engine, standin, config)

    assert set(states(engine, first).values()) == {"sent"}
    assert set(states(engine, second).values()) == {"sent"}
    assert states(engine, third) == {"1": "skipped", "2": "skipped", "3": "sent"}
    assert standin.state.delivered == {"1": 2, "2": 2, "3": 2}


async def test_frequency_cap_window_slides(engine, standin, config) -> None:
    add_subscribers(engine, ["1"])
    start_campaign(engine, "một")
    start_campaign(engine, "hai")
    await run_worker(engine, standin, config)
    next_week = utcnow() + timedelta(days=8)
    third = start_campaign(engine, "ba")

    await run_worker(engine, standin, config, clock=lambda: next_week)

    assert states(engine, third) == {"1": "sent"}


async def test_reminders_are_not_limited_by_the_campaign_cap(engine, standin, config) -> None:
    add_subscribers(engine, ["1"], topics=["dich_vu_moi", "nhac_giay_to"])
    start_campaign(engine, "một")
    start_campaign(engine, "hai")
    await run_worker(engine, standin, config)
    assert (
        remind_result_waiting("telegram", "1", "H26.99-260101-0001", utcnow(), engine=engine).outcome
        == "created"
    )

    await run_worker(engine, standin, config)

    assert standin.state.delivered["1"] == 3


async def test_database_kill_switch_stops_everything(engine, standin, config) -> None:
    add_subscribers(engine, ["1", "2"])
    campaign_id = start_campaign(engine, "dừng khẩn")
    set_kill_switch(engine, True)
    assert kill_switch_on(engine, setting=False)

    stats = await run_worker(engine, standin, config)

    assert stats.stopped_because == "kill_switch"
    assert not standin.state.attempts
    set_kill_switch(engine, False)
    await run_worker(engine, standin, config)
    assert set(states(engine, campaign_id).values()) == {"sent"}


async def test_settings_kill_switch_wins_over_the_database_flag(engine, standin, config) -> None:
    add_subscribers(engine, ["1"])
    start_campaign(engine, "dừng bằng cấu hình")
    set_kill_switch(engine, False)

    stats = await run_worker(engine, standin, config.with_(kill_switch=True))

    assert stats.stopped_because == "kill_switch"
    assert not standin.state.attempts
