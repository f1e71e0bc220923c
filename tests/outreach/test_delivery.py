"""Delivery through the real python-telegram-bot Bot against the local Telegram stand-in."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.outreach import campaigns
from bot.outreach.config import OutreachConfig
from bot.outreach.models import utcnow

from .conftest import add_subscribers
from .helpers import delivery_rows, run_worker, start_campaign, states, subscriber


async def test_campaign_reaches_every_subscriber_once(engine, standin, config) -> None:
    chats = [str(1000 + i) for i in range(40)]
    add_subscribers(engine, chats, commune="Phường Ba Đình", province="Hà Nội")
    campaign_id = start_campaign(engine, "ra mắt", "Bà con {commune}, {province}: nộp hồ sơ trực tuyến!")

    stats = await run_worker(engine, standin, config)

    assert stats.outcomes == {"sent": 40}
    assert standin.state.delivered == {chat: 1 for chat in chats}
    assert set(states(engine, campaign_id).values()) == {"sent"}
    assert campaigns.get_campaign(engine, campaign_id).state == "done"


async def test_blocked_user_becomes_unreachable_and_is_never_retried(engine, standin, config) -> None:
    add_subscribers(engine, ["1", "2", "3"])
    standin.call(lambda state: state.blocked.add("2"))
    first = start_campaign(engine, "một")

    await run_worker(engine, standin, config)

    assert states(engine, first) == {"1": "sent", "2": "unreachable", "3": "sent"}
    assert standin.state.attempts["2"] == 1
    blocked = subscriber(engine, "2")
    assert blocked.unreachable is True
    assert "blocked" in blocked.unreachable_reason

    second = start_campaign(engine, "hai")
    await run_worker(engine, standin, config)

    assert set(states(engine, second)) == {"1", "3"}  # the blocked chat is not even queued
    assert standin.state.attempts["2"] == 1


async def test_retry_after_is_honoured(engine, standin, config) -> None:
    add_subscribers(engine, ["10", "11"])
    standin.call(lambda state: state.rate_limited.update({"10": [1, 1]}))  # one 429, retry after 1 s
    campaign_id = start_campaign(engine, "giới hạn")

    stats = await run_worker(engine, standin, config)

    assert states(engine, campaign_id) == {"10": "sent", "11": "sent"}
    assert stats.outcomes.get("retry_after") == 1
    assert standin.state.attempts["10"] == 2
    assert standin.state.delivered["10"] == 1
    row = next(r for r in delivery_rows(engine) if r.chat_id == "10")
    assert row.attempts == 2


async def test_retry_waits_at_least_retry_after(engine, standin, config) -> None:
    add_subscribers(engine, ["20"])
    standin.call(lambda state: state.rate_limited.update({"20": [1, 2]}))  # 429, retry after 2 s
    start_campaign(engine, "chờ")
    before = time.monotonic()

    await run_worker(engine, standin, config)

    # A lower bound only: the accepted message came no earlier than retry_after after the start.
    arrivals = standin.state.arrivals_by_chat["20"]
    assert len(arrivals) == 1
    assert arrivals[0] - before >= 2.0


async def test_server_errors_are_retried_with_backoff_then_sent(engine, standin, config) -> None:
    add_subscribers(engine, ["30"])
    standin.call(lambda state: state.server_errors.update({"30": 2}))
    campaign_id = start_campaign(engine, "lỗi máy chủ")

    stats = await run_worker(engine, standin, config)

    assert states(engine, campaign_id) == {"30": "sent"}
    assert stats.outcomes == {"transient": 2, "sent": 1}
    assert standin.state.delivered["30"] == 1


async def test_gives_up_after_max_attempts(engine, standin, config: OutreachConfig) -> None:
    add_subscribers(engine, ["40"])
    standin.call(lambda state: state.server_errors.update({"40": 100}))
    campaign_id = start_campaign(engine, "hỏng mãi")

    await run_worker(engine, standin, config.with_(max_attempts=3))

    assert states(engine, campaign_id) == {"40": "failed"}
    assert standin.state.attempts["40"] == 3
    assert standin.state.delivered.get("40", 0) == 0


async def test_unsubscribed_after_queueing_is_skipped(engine, standin, config) -> None:
    from bot.outreach import unsubscribe

    add_subscribers(engine, ["50", "51"])
    campaign_id = start_campaign(engine, "hủy giữa chừng")
    campaigns.activate_due(engine, utcnow())  # recipients queued now
    assert unsubscribe("telegram", "51", engine=engine)

    await run_worker(engine, standin, config)

    assert states(engine, campaign_id) == {"50": "sent", "51": "skipped"}
    assert "51" not in standin.state.attempts


async def test_end_time_expires_what_is_left(engine, standin, config) -> None:
    add_subscribers(engine, ["60"])
    info = campaigns.create_campaign(engine, "hết hạn", "Tin", {}, end_at=utcnow() + timedelta(hours=1))
    campaigns.send_campaign(engine, info.id)
    later = utcnow() + timedelta(hours=2)

    await run_worker(engine, standin, config, clock=lambda: later)

    assert states(engine, info.id) == {"60": "expired"}
    assert campaigns.get_campaign(engine, info.id).state == "done"
    assert not standin.state.attempts


@pytest.mark.parametrize("buttons", [[{"text": "Mở Cổng DVC", "url": "https://dichvucong.gov.vn/"}]])
async def test_buttons_are_sent_as_inline_keyboard(engine, standin, config, buttons) -> None:
    add_subscribers(engine, ["70"])
    info = campaigns.create_campaign(engine, "nút", "Tin có nút", {}, buttons)
    campaigns.send_campaign(engine, info.id)

    await run_worker(engine, standin, config)

    [message] = standin.state.messages["70"]
    assert message["text"] == "Tin có nút"
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Mở Cổng DVC", "url": "https://dichvucong.gov.vn/"}]]
    }
