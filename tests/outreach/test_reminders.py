"""Reminder rules: ID card renewal ages, birth registration, results waiting; consent; dedupe."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bot.outreach import remind_birth_registration, remind_result_waiting, subscribe, unsubscribe
from bot.outreach.models import reminders_t, utcnow
from bot.outreach.reminders import run_id_card_rule

from .conftest import add_subscribers
from .helpers import run_worker, states

NOW = datetime(2026, 6, 1, 3, 0)  # 10:00 in Hà Nội


def reminders(engine) -> list[tuple[str, str, str]]:
    r = reminders_t.c
    with engine.connect() as conn:
        return [tuple(x) for x in conn.execute(sa.select(r.rule, r.dedupe_key, r.text).order_by(r.id))]


def test_id_card_rule_picks_the_renewal_ages_once(any_engine) -> None:
    for chat, year in (("a", 2001), ("b", 1986), ("c", 1966), ("d", 2012), ("e", 1990), ("f", None)):
        add_subscribers(any_engine, [chat], topics=["nhac_giay_to"], birth_year=year)
    add_subscribers(any_engine, ["g"], topics=["dich_vu_moi"], birth_year=2001)  # no consent for reminders

    assert run_id_card_rule(any_engine, NOW) == 4  # turning 25, 40, 60 and 14 in 2026
    assert run_id_card_rule(any_engine, NOW) == 0  # idempotent

    made = reminders(any_engine)
    assert sorted(key for _, key, _ in made) == ["id_card:14", "id_card:25", "id_card:40", "id_card:60"]
    text = dict((key, text) for _, key, text in made)["id_card:25"]
    assert "năm 2026 bạn đủ 25 tuổi" in text
    assert "https://dichvucong.gov.vn/" in text
    assert set(states(any_engine).values()) == {"queued"}
    assert set(states(any_engine)) == {"a", "b", "c", "d"}


def test_birth_registration_reminder(any_engine) -> None:
    subscribe("telegram", "1", ["nhac_giay_to"], engine=any_engine)
    born = NOW.date() - timedelta(days=10)

    first = remind_birth_registration("telegram", "1", born, engine=any_engine, now=NOW)
    again = remind_birth_registration("telegram", "1", born, engine=any_engine, now=NOW)

    assert first.outcome == "created"
    assert again.outcome == "duplicate"
    [(rule, _, text)] = reminders(any_engine)
    assert rule == "birth_registration"
    assert f"chậm nhất ngày {(born + timedelta(days=60)):%d/%m/%Y}" in text
    assert (
        remind_birth_registration(
            "telegram", "1", NOW.date() - timedelta(days=61), engine=any_engine, now=NOW
        ).outcome
        == "too_late"
    )
    assert (
        remind_birth_registration(
            "telegram", "1", NOW.date() + timedelta(days=5), engine=any_engine, now=NOW
        ).outcome
        == "invalid"
    )


def test_reminders_need_consent_for_their_topic(any_engine) -> None:
    subscribe("telegram", "2", ["dich_vu_moi"], engine=any_engine)
    assert (
        remind_result_waiting("telegram", "2", "X-1", date(2026, 5, 20), engine=any_engine).outcome
        == "not_subscribed"
    )
    assert (
        remind_result_waiting("zalo", "nobody", "X-1", date(2026, 5, 20), engine=any_engine).outcome
        == "not_subscribed"
    )
    subscribe("telegram", "3", ["nhac_giay_to"], engine=any_engine)
    unsubscribe("telegram", "3", engine=any_engine)
    assert (
        remind_result_waiting("telegram", "3", "X-1", date(2026, 5, 20), engine=any_engine).outcome
        == "not_subscribed"
    )
    assert (
        remind_result_waiting("telegram", "3", " ", date(2026, 5, 20), engine=any_engine).outcome == "invalid"
    )
    assert reminders(any_engine) == []


async def test_result_waiting_reminder_is_delivered_once(engine, standin, config) -> None:
    subscribe("telegram", "4", ["nhac_giay_to"], engine=engine)
    code = "000.00.17.H26-260501-0001"

    assert remind_result_waiting("telegram", "4", code, date(2026, 5, 20), engine=engine).outcome == "created"
    assert (
        remind_result_waiting("telegram", "4", code, date(2026, 5, 20), engine=engine).outcome == "duplicate"
    )
    await run_worker(engine, standin, config)

    [message] = standin.state.messages["4"]
    assert code in message["text"]
    assert "từ ngày 20/05/2026" in message["text"]
    assert states(engine) == {"4": "sent"}


async def test_reminders_respect_quiet_hours_too(engine, standin, config) -> None:
    from .test_guard_rails import DEFAULT_QUIET, utc_for_hanoi

    subscribe("telegram", "5", ["nhac_giay_to"], engine=engine)
    remind_result_waiting("telegram", "5", "Y-2", utcnow(), engine=engine)
    night = utc_for_hanoi(23, 0)

    await run_worker(engine, standin, config.with_(quiet_hours=DEFAULT_QUIET), clock=lambda: night)

    assert not standin.state.attempts
