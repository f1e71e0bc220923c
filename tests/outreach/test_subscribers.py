"""Opt-in and opt-out as the Rasa actions call them, with the consent record."""

from __future__ import annotations

import sqlalchemy as sa

from bot.outreach import TOPICS, subscribe, unsubscribe, unsubscribe_message
from bot.outreach.models import consent_events_t, utcnow
from bot.outreach.subscribers import mark_unreachable

from .helpers import subscriber


def events(engine) -> list[tuple[str, str, str]]:
    c = consent_events_t.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(c.event, c.source, c.topics).order_by(c.id))]


def test_topics_have_vietnamese_labels() -> None:
    labels = {t.id: t.label for t in TOPICS}
    assert labels["dich_vu_moi"] == "Dịch vụ công trực tuyến mới"
    assert labels["nhac_giay_to"] == "Nhắc hạn giấy tờ của tôi"
    assert labels["ky_nang_so"] == "Mẹo kỹ năng số"


def test_subscribe_records_consent_and_confirms_in_vietnamese(any_engine) -> None:
    result = subscribe(
        "telegram", "42", ["ky_nang_so", "dich_vu_moi"], province="Hà Nội", birth_year=1990, engine=any_engine
    )

    assert result.outcome == "subscribed"
    assert result.topics == ("dich_vu_moi", "ky_nang_so")
    assert "Dịch vụ công trực tuyến mới, Mẹo kỹ năng số" in result.message
    assert "hủy đăng ký" in result.message
    row = subscriber(any_engine, "42")
    assert row.status == "active"
    assert row.consent_source == "chat"
    assert row.consent_at is not None
    assert row.topics == ";dich_vu_moi;ky_nang_so;"
    assert (row.province, row.province_key, row.birth_year) == ("Hà Nội", "ha noi", 1990)
    assert events(any_engine) == [("subscribe", "chat", ";dich_vu_moi;ky_nang_so;")]


def test_changing_topics_updates_and_keeps_known_place(any_engine) -> None:
    subscribe("telegram", "42", ["dich_vu_moi"], province="Hà Nội", engine=any_engine)
    result = subscribe("telegram", "42", ["nhac_giay_to"], engine=any_engine)

    assert result.outcome == "updated"
    assert "Nhắc hạn giấy tờ của tôi" in result.message
    row = subscriber(any_engine, "42")
    assert row.topics == ";nhac_giay_to;"
    assert row.province == "Hà Nội"


def test_bad_input_gets_a_vietnamese_message_and_changes_nothing(any_engine) -> None:
    assert subscribe("telegram", "1", [], engine=any_engine).message.startswith("Bạn vui lòng chọn")
    assert subscribe("telegram", "1", ["bong_da"], engine=any_engine).outcome == "invalid"
    assert (
        "Năm sinh" in subscribe("telegram", "1", ["dich_vu_moi"], birth_year=3000, engine=any_engine).message
    )
    assert subscriber(any_engine, "1") is None


def test_unsubscribe_then_subscribe_again(any_engine) -> None:
    subscribe("zalo", "77", ["dich_vu_moi"], engine=any_engine)

    assert unsubscribe("zalo", "77", engine=any_engine) is True
    assert "đã hủy đăng ký" in unsubscribe_message(True)
    assert subscriber(any_engine, "77", "zalo").status == "unsubscribed"
    assert unsubscribe("zalo", "77", engine=any_engine) is False  # already out
    assert "chưa đăng ký" in unsubscribe_message(False)
    assert unsubscribe("telegram", "never", engine=any_engine) is False

    again = subscribe("zalo", "77", ["ky_nang_so"], engine=any_engine)
    assert again.outcome == "subscribed"
    assert subscriber(any_engine, "77", "zalo").status == "active"
    assert [e[0] for e in events(any_engine)] == ["subscribe", "unsubscribe", "subscribe"]


def test_subscribing_again_in_chat_clears_the_unreachable_mark(any_engine) -> None:
    subscribe("telegram", "5", ["dich_vu_moi"], engine=any_engine)
    with any_engine.begin() as conn:
        mark_unreachable(
            conn, subscriber(any_engine, "5").id, "forbidden: bot was blocked by the user", utcnow()
        )
    assert subscriber(any_engine, "5").unreachable is True

    subscribe("telegram", "5", ["dich_vu_moi"], engine=any_engine)  # they wrote to us: reachable again

    assert subscriber(any_engine, "5").unreachable is False
