"""The handoff store on SQLite and PostgreSQL: request, take, reply, release, stored replies."""

from __future__ import annotations

import logging
import time
import unicodedata

import pytest
from sqlalchemy.engine import Engine

from bot.console.handoff import (
    MAX_TRANSCRIPT_ITEMS,
    STORED,
    HandoffInputError,
    HandoffStore,
    HandoffUnavailable,
)
from bot.db import make_engine

SENDER = "84912345678"


def transcript(start: float) -> list[dict]:
    return [
        {"role": "user", "text": unicodedata.normalize("NFD", "Tôi muốn gặp cán bộ"), "time": start},
        {"role": "bot", "text": "Bạn chờ chút nhé.", "time": start + 1},
        {"role": "system", "text": "ignored", "time": start + 2},
        {"role": "user", "text": "   ", "time": start + 3},
        "not a dict",
        {"role": "user", "text": "Số CCCD của tôi là 001099012345", "time": "2026-01-02T03:04:05Z"},
    ]


def test_request_keeps_clean_transcript_and_reuses_the_active_ticket(
    any_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = HandoffStore(any_engine)
    start = time.time() - 60
    with caplog.at_level(logging.DEBUG):
        ticket = store.request_handoff(SENDER, "telegram", transcript(start))
    assert ticket.created and ticket.status == "open" and ticket.channel == "telegram"
    texts = [m.text for m in ticket.messages]
    assert "Tôi muốn gặp cán bộ" in texts  # stored NFC
    assert "Số CCCD của tôi là 001099012345" in texts  # personal data kept as written…
    assert len(texts) == 3
    logged = caplog.text
    assert (
        "001099012345" not in logged and SENDER not in logged and "gặp cán bộ" not in logged
    )  # …never logged
    assert "…5678" in logged

    again = store.request_handoff(
        SENDER,
        "telegram",
        [*transcript(start), {"role": "user", "text": "Còn ai không?", "time": time.time()}],
    )
    assert again.id == ticket.id and not again.created
    assert [m.text for m in again.messages].count("Tôi muốn gặp cán bộ") == 1
    assert again.messages[-1].text == "Còn ai không?"
    # Another channel with the same id is another conversation.
    other = store.request_handoff(SENDER, "zalo", [])
    assert other.id != ticket.id
    assert [t.id for t in store.list_open()] == [ticket.id, other.id]
    assert ticket.citizen_notice.startswith("Mình đã chuyển")


def test_transcript_is_capped(any_engine: Engine) -> None:
    items = [{"role": "user", "text": f"tin {i}", "time": 1_700_000_000 + i} for i in range(80)]
    ticket = HandoffStore(any_engine).request_handoff("web-1", "rest", items)
    assert len(ticket.messages) == MAX_TRANSCRIPT_ITEMS and ticket.messages[-1].text == "tin 79"


def test_take_reply_release(any_engine: Engine) -> None:
    store = HandoffStore(any_engine)
    ticket = store.request_handoff(SENDER, "telegram", [{"role": "user", "text": "Giúp tôi", "time": 1}])
    assert store.staff_reply(ticket.id, "Lan", "   ").outcome == "empty"
    assert store.staff_reply(ticket.id, "Lan", "x" * 2001).outcome == "too_long"
    assert store.take(ticket.id, "Lan") == "taken"
    assert store.take(ticket.id, "Lan") == "already_yours"
    assert store.take(ticket.id, "Minh") == "taken_by_other"
    assert store.staff_reply(ticket.id, "Minh", "Chào bạn").outcome == "taken_by_other"
    result = store.staff_reply(ticket.id, "Lan", "Chào bạn, mình là Lan.")
    assert result.outcome == "recorded" and result.message is not None
    assert result.message.role == "staff" and result.message.delivery == "pending"
    store.mark_delivery(result.message.id, "sent")
    fetched = store.get(ticket.id)
    assert fetched is not None and fetched.status == "taken" and fetched.taken_by == "Lan"
    assert fetched.messages[-1].delivery == "sent" and fetched.messages[-1].staff_name == "Lan"

    assert store.release(ticket.id, "Lan") == "released"
    assert store.release(ticket.id, "Lan") == "already_closed"
    assert store.staff_reply(ticket.id, "Lan", "còn đó không").outcome == "closed"
    assert store.take(ticket.id, "Lan") == "closed"
    assert store.list_open() == []
    # After release a new request opens a new ticket.
    assert store.request_handoff(SENDER, "telegram", []).id != ticket.id
    assert store.take("nope", "Lan") == "not_found" and store.release("nope", "Lan") == "not_found"
    assert store.get("x" * 100) is None


def test_reply_on_an_open_ticket_takes_it(any_engine: Engine) -> None:
    store = HandoffStore(any_engine)
    ticket = store.request_handoff(SENDER, "zalo", [])
    assert store.staff_reply(ticket.id, "Minh", "Chào bạn").outcome == "recorded"
    assert store.take(ticket.id, "Lan") == "taken_by_other"


def test_stored_replies_are_handed_out_once(any_engine: Engine) -> None:
    store = HandoffStore(any_engine)
    ticket = store.request_handoff("web-visitor-1", "rest", [])
    reply = store.staff_reply(ticket.id, "Lan", "Bạn cần giúp gì?").message
    assert reply is not None
    store.mark_delivery(reply.id, STORED)
    assert store.take_stored_replies("web-visitor-2") == []
    assert [m.text for m in store.take_stored_replies("web-visitor-1")] == ["Bạn cần giúp gì?"]
    assert store.take_stored_replies("web-visitor-1") == []


def test_bad_input_and_unreachable_database() -> None:
    store = HandoffStore(make_engine("sqlite:///:memory:"))  # no tables: the database "is down"
    with pytest.raises(HandoffInputError):
        store.request_handoff("", "rest", [])
    with pytest.raises(HandoffInputError):
        store.request_handoff("a", "", [])
    with pytest.raises(HandoffUnavailable):
        store.request_handoff("a", "rest", [])
