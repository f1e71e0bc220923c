"""Campaign creation checks, segment selection, dry run, pause / resume / cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.outreach import campaigns, subscribe, unsubscribe
from bot.outreach.campaigns import CampaignError
from bot.outreach.models import utcnow

from .conftest import add_subscribers
from .helpers import run_worker, start_campaign, states


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Chào {ten}", "unknown placeholder {ten}"),
        ("Chào {}", "unknown placeholder {}"),
        ("Chào {commune!r}", "must not have a format spec"),
        ("Chào {commune", "malformed placeholder"),
        ("   ", "empty"),
    ],
)
def test_bad_message_is_refused_at_create_time(any_engine, text, message) -> None:
    with pytest.raises(CampaignError, match=message):
        campaigns.create_campaign(any_engine, "x", text)
    assert campaigns.list_campaigns(any_engine) == []


def test_bad_segment_buttons_and_times_are_refused(any_engine) -> None:
    with pytest.raises(CampaignError, match="unknown topics: thoi_tiet"):
        campaigns.create_campaign(any_engine, "a", "Tin", {"topics": ["thoi_tiet"]})
    with pytest.raises(CampaignError, match="unknown channels: viber"):
        campaigns.create_campaign(any_engine, "a", "Tin", {"channels": ["viber"]})
    with pytest.raises(CampaignError, match="https://"):
        campaigns.create_campaign(any_engine, "a", "Tin", {}, [{"text": "Mở", "url": "http://x.vn"}])
    with pytest.raises(CampaignError, match="end time"):
        campaigns.create_campaign(any_engine, "a", "Tin", {}, end_at=utcnow() - timedelta(minutes=1))
    campaigns.create_campaign(any_engine, "a", "Tin {{không phải biến}}")
    with pytest.raises(CampaignError, match="already exists"):
        campaigns.create_campaign(any_engine, "a", "Tin")


def test_literal_braces_and_fallbacks_render(any_engine) -> None:
    add_subscribers(any_engine, ["1"])  # no commune given
    campaigns.create_campaign(any_engine, "b", "Bà con {commune} {{Đề án 06}}")
    result = campaigns.dry_run(any_engine, "b", 2, utcnow() - timedelta(days=7))
    assert result.sample == "Bà con xã/phường của bạn {Đề án 06}"


def test_segment_selection_by_channel_place_and_topic(any_engine) -> None:
    add_subscribers(any_engine, ["1", "2"], province="Hà Nội", commune="Phường Ba Đình")
    add_subscribers(any_engine, ["3"], province="Hà Nội", commune="Phường Hoàn Kiếm", topics=["ky_nang_so"])
    add_subscribers(any_engine, ["4"], province="Đà Nẵng", topics=["dich_vu_moi", "ky_nang_so"])
    add_subscribers(any_engine, ["5"], channel="zalo", province="ha noi", topics=["ky_nang_so"])
    subscribe("telegram", "6", ["dich_vu_moi"], province="Hà Nội", engine=any_engine)
    unsubscribe("telegram", "6", engine=any_engine)  # withdrew consent: never selected

    def recipients(segment: dict) -> dict[str, int]:
        name = f"s{len(campaigns.list_campaigns(any_engine))}"
        campaigns.create_campaign(any_engine, name, "Tin", segment)
        return campaigns.dry_run(any_engine, name, 2, utcnow()).by_channel

    assert recipients({}) == {"telegram": 4, "zalo": 1}
    assert recipients({"channels": ["zalo"]}) == {"zalo": 1}
    assert recipients({"provinces": ["HÀ NỘI"]}) == {"telegram": 3, "zalo": 1}  # accent/case-insensitive
    assert recipients({"provinces": ["Hà Nội"], "topics": ["ky_nang_so"]}) == {"telegram": 1, "zalo": 1}
    assert recipients({"communes": ["phuong ba dinh"]}) == {"telegram": 2}
    assert recipients({"topics": ["nhac_giay_to"]}) == {}


def test_dry_run_counts_by_channel_and_renders_sample_without_sending(any_engine) -> None:
    add_subscribers(any_engine, ["1"], province="Hà Nội", commune="Phường Ba Đình")
    add_subscribers(any_engine, ["2"], channel="zalo", province="Hà Nội", commune="Xã Sóc Sơn")
    campaigns.create_campaign(
        any_engine,
        "thử",
        "Bà con {commune}, {province} ơi!",
        {},
        [{"text": "Xem", "url": "https://dichvucong.gov.vn/"}],
    )

    result = campaigns.dry_run(any_engine, "thử", 2, utcnow() - timedelta(days=7))

    assert result.total == 2
    assert result.by_channel == {"telegram": 1, "zalo": 1}
    assert result.sample == "Bà con Phường Ba Đình, Hà Nội ơi!"
    assert result.sample_buttons == [{"text": "Xem", "url": "https://dichvucong.gov.vn/"}]
    assert campaigns.campaign_progress(any_engine, "thử") == {}  # nothing queued, nothing sent


def test_state_transitions(any_engine) -> None:
    info = campaigns.create_campaign(any_engine, "t", "Tin")
    with pytest.raises(CampaignError, match="only a paused campaign can resume"):
        campaigns.resume_campaign(any_engine, info.id)
    assert campaigns.send_campaign(any_engine, info.id).state == "scheduled"
    with pytest.raises(CampaignError, match="only a draft can be sent"):
        campaigns.send_campaign(any_engine, info.id)
    assert campaigns.pause_campaign(any_engine, info.id).state == "paused"
    assert campaigns.resume_campaign(any_engine, info.id).state == "scheduled"  # not started yet
    assert campaigns.cancel_campaign(any_engine, "t").state == "cancelled"
    with pytest.raises(CampaignError, match="cannot change it to paused"):
        campaigns.pause_campaign(any_engine, info.id)
    with pytest.raises(CampaignError, match="no campaign"):
        campaigns.pause_campaign(any_engine, "không có")


async def test_pause_holds_messages_and_resume_sends_them(engine, standin, config) -> None:
    add_subscribers(engine, ["1", "2", "3"])
    campaign_id = start_campaign(engine, "tạm dừng")
    campaigns.activate_due(engine, utcnow())
    campaigns.pause_campaign(engine, campaign_id)

    await run_worker(engine, standin, config)
    assert set(states(engine, campaign_id).values()) == {"queued"}
    assert not standin.state.attempts

    assert campaigns.resume_campaign(engine, campaign_id).state == "running"
    await run_worker(engine, standin, config)
    assert set(states(engine, campaign_id).values()) == {"sent"}
    assert campaigns.get_campaign(engine, campaign_id).state == "done"


async def test_cancel_closes_queued_messages(engine, standin, config) -> None:
    add_subscribers(engine, ["1", "2"])
    campaign_id = start_campaign(engine, "hủy")
    campaigns.activate_due(engine, utcnow())
    campaigns.cancel_campaign(engine, campaign_id)

    await run_worker(engine, standin, config)

    assert set(states(engine, campaign_id).values()) == {"cancelled"}
    assert not standin.state.attempts


async def test_scheduled_campaign_waits_for_its_time(engine, standin, config) -> None:
    add_subscribers(engine, ["1"])
    info = campaigns.create_campaign(engine, "hẹn giờ", "Tin", start_at=utcnow() + timedelta(hours=3))
    campaigns.send_campaign(engine, info.id)

    await run_worker(engine, standin, config)
    assert states(engine, info.id) == {}

    later = utcnow() + timedelta(hours=4)
    await run_worker(engine, standin, config, clock=lambda: later)
    assert states(engine, info.id) == {"1": "sent"}
