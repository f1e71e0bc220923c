"""Zalo end to end: signed webhook → channel → real ZaloClient → stand-in OA and OAuth APIs."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Optional

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.channels import reachability
from bot.channels.config import ZaloConfig
from bot.channels.storage import utcnow
from bot.channels.tables import processed_events, zalo_oa_tokens
from bot.channels.zalo import SIGNATURE_HEADER, ZaloInput, ZaloOutput, zalo_signature
from bot.channels.zalo_api import (
    TEXT_LIMIT,
    ZaloApiError,
    ZaloClient,
    ZaloRateLimited,
    ZaloUserUnreachable,
)
from bot.channels.zalo_tokens import TokenState, ZaloTokenStore
from tests.channels.conftest import Responder, serve
from tests.channels.fakes import FakeZalo

OA_SECRET = "oa-secret-key"
USER = "8412345678901234567"

MENU = [
    {
        "text": "Chào bạn! Tôi là trợ lý dịch vụ công.",
        "buttons": [
            {"title": "Hỏi về thủ tục", "payload": "/menu_ask_procedure"},
            {"title": "Cổng DVC", "payload": "https://dichvucong.gov.vn/"},
        ],
    }
]


class SimulatedCrash(BaseException):
    """The process dies here (not an error any code would catch)."""


def make_client(
    fake: FakeZalo,
    engine: Engine,
    *,
    access: Optional[str] = "access-0",
    refresh: Optional[str] = "refresh-0",
    store: ZaloTokenStore | None = None,
) -> ZaloClient:
    return ZaloClient(
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        tokens=store or ZaloTokenStore(engine, seed_access_token=access, seed_refresh_token=refresh),
        api_base_url=fake.url,  # type: ignore[attr-defined]
        oauth_base_url=fake.url,  # type: ignore[attr-defined]
        timeout=5,
    )


def make_channel(fake: FakeZalo, engine: Engine, client: ZaloClient | None = None) -> ZaloInput:
    client = client or make_client(fake, engine)
    return ZaloInput(
        ZaloConfig(fake.app_id, OA_SECRET),
        client,
        engine=engine,
        output=ZaloOutput(client, engine=engine, rate_limit_wait=0),
    )


def text_event(msg_id: str, text: str, user: str = USER) -> Dict[str, Any]:
    return {
        "app_id": "1234567890",
        "sender": {"id": user},
        "recipient": {"id": "oa-1"},
        "event_name": "user_send_text",
        "message": {"msg_id": msg_id, "text": text},
        "timestamp": "1700000000000",
    }


async def post_event(url: str, event: Dict[str, Any], *, signature: Optional[str] = "valid") -> int:
    raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if signature == "valid":
        headers[SIGNATURE_HEADER] = zalo_signature(
            "1234567890", raw, str(event.get("timestamp", "")), OA_SECRET
        )
    elif signature is not None:
        headers[SIGNATURE_HEADER] = signature
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/webhook", data=raw, headers=headers) as reply:
            return reply.status


async def test_text_message_is_answered_through_the_oa_api(fake_zalo: FakeZalo, engine: Engine) -> None:
    responder = Responder()
    channel = make_channel(fake_zalo, engine)
    async with serve(channel, responder) as url:
        assert await post_event(url, text_event("m1", "Làm hộ chiếu hết bao nhiêu tiền?")) == 200
        await channel.drain()
    assert responder.texts == ["Làm hộ chiếu hết bao nhiêu tiền?"]
    assert responder.messages[0].sender_id == USER and responder.messages[0].input_channel == "zalo"
    token, body = fake_zalo.sent[0]
    assert token == "access-0"
    assert body == {
        "recipient": {"user_id": USER},
        "message": {"text": "echo: Làm hộ chiếu hết bao nhiêu tiền?"},
    }


@pytest.mark.parametrize("signature", [None, "mac=" + "0" * 64, "garbage", ""])
async def test_bad_signature_is_rejected_and_nothing_processed(
    fake_zalo: FakeZalo, engine: Engine, signature: Optional[str]
) -> None:
    responder = Responder()
    channel = make_channel(fake_zalo, engine)
    async with serve(channel, responder) as url:
        assert await post_event(url, text_event("m2", "xin chào"), signature=signature) == 401
        # A valid signature over a different body does not carry over.
        event = text_event("m3", "xin chào")
        good = zalo_signature("1234567890", json.dumps(event).encode(), event["timestamp"], OA_SECRET)
        tampered = dict(event, message={"msg_id": "m3", "text": "chuyển tiền"})
        assert await post_event(url, tampered, signature=good) == 401
        await channel.drain()
    assert responder.messages == [] and fake_zalo.sent == []
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(processed_events)).scalar() == 0


async def test_duplicate_message_is_processed_once_even_after_a_restart(
    fake_zalo: FakeZalo, engine: Engine
) -> None:
    responder = Responder()
    event = text_event("m10", "xin chào")
    channel = make_channel(fake_zalo, engine)
    async with serve(channel, responder) as url:
        assert await post_event(url, event) == 200
        assert await post_event(url, event) == 200
        await channel.drain()
    restarted = make_channel(fake_zalo, engine)
    async with serve(restarted, responder) as url:
        assert await post_event(url, event) == 200
        await restarted.drain()
    assert responder.texts == ["xin chào"]
    assert len(fake_zalo.sent) == 1


async def test_follow_gets_the_welcome_with_buttons_in_zalo_shape(
    fake_zalo: FakeZalo, engine: Engine
) -> None:
    responder = Responder({"/greet": MENU})
    channel = make_channel(fake_zalo, engine)
    follow = {
        "app_id": "1234567890",
        "oa_id": "oa-1",
        "follower": {"id": USER},
        "event_name": "follow",
        "timestamp": "1700000000001",
    }
    async with serve(channel, responder) as url:
        assert await post_event(url, follow) == 200
        await channel.drain()
    assert responder.texts == ["/greet"]
    message = fake_zalo.sent[0][1]["message"]
    assert message["text"] == MENU[0]["text"]
    assert message["attachment"] == {
        "type": "template",
        "payload": {
            "buttons": [
                {"title": "Hỏi về thủ tục", "type": "oa.query.hide", "payload": "/menu_ask_procedure"},
                {
                    "title": "Cổng DVC",
                    "type": "oa.open.url",
                    "payload": {"url": "https://dichvucong.gov.vn/"},
                },
            ]
        },
    }


@pytest.mark.parametrize(
    ("event_name", "expected"),
    [
        ("user_send_image", "hình ảnh"),
        ("user_send_sticker", "chỉ đọc được tin nhắn chữ"),
        ("user_send_audio", "thoại"),
        ("user_send_file", "tệp"),
    ],
)
async def test_other_user_events_get_a_helpful_reply(
    fake_zalo: FakeZalo, engine: Engine, event_name: str, expected: str
) -> None:
    responder = Responder()
    channel = make_channel(fake_zalo, engine)
    event = dict(text_event("m20", ""), event_name=event_name)
    event["message"] = {"msg_id": "m20", "attachments": [{"type": "image", "payload": {"url": "https://x"}}]}
    async with serve(channel, responder) as url:
        assert await post_event(url, event) == 200
        await channel.drain()
    assert responder.messages == []
    assert len(fake_zalo.texts()) == 1 and expected in fake_zalo.texts()[0]


async def test_unfollow_and_unreachable_users_are_marked(fake_zalo: FakeZalo, engine: Engine) -> None:
    channel = make_channel(fake_zalo, engine)
    unfollow = {
        "app_id": "1234567890",
        "follower": {"id": "u-left"},
        "event_name": "unfollow",
        "timestamp": "1700000000002",
    }
    async with serve(channel, Responder()) as url:
        assert await post_event(url, unfollow) == 200
        await channel.drain()
    assert reachability.is_unreachable("zalo", "u-left", engine=engine)

    fake_zalo.unreachable_users.add("u-gone")
    await channel.output.send_text_message("u-gone", "Hồ sơ đã có kết quả")  # Rasa path: no exception
    assert "-213" in (reachability.unreachable_reason("zalo", "u-gone", engine=engine) or "")
    with pytest.raises(ZaloUserUnreachable) as caught:
        await channel.output.send("u-gone", "Nhắc lịch")
    assert caught.value.permanent
    await channel.close()


async def test_negative_error_with_http_200_is_an_error(fake_zalo: FakeZalo, engine: Engine) -> None:
    client = make_client(fake_zalo, engine)
    fake_zalo.scripted_sends.append({"error": -201, "message": "user_id is invalid"})
    with pytest.raises(ZaloApiError) as caught:
        await client.send_text(USER, "xin chào")
    assert caught.value.code == -201 and caught.value.permanent
    fake_zalo.scripted_sends.append({"error": -32, "message": "Your application reached limit call api"})
    with pytest.raises(ZaloRateLimited) as limited:
        await client.send_text(USER, "xin chào")
    assert limited.value.transient and limited.value.retry_after is None
    answer = await client.send_text(USER, "xin chào")
    assert answer["error"] == 0 and answer["data"]["message_id"]
    await client.aclose()


async def test_output_waits_out_rate_limits(fake_zalo: FakeZalo, engine: Engine) -> None:
    channel = make_channel(fake_zalo, engine)
    fake_zalo.scripted_sends.extend([{"error": -32, "message": "limit"}] * 2)
    await channel.output.send(USER, "Thông báo")
    assert fake_zalo.texts() == ["Thông báo"]
    await channel.close()


async def test_long_text_is_split_and_buttons_go_last(fake_zalo: FakeZalo, engine: Engine) -> None:
    client = make_client(fake_zalo, engine)
    text = "\n\n".join(f"Bước {i}: " + "nộp hồ sơ trực tuyến trên Cổng Dịch vụ công. " * 20 for i in range(6))
    await client.send_text(USER, text, [{"title": "Hỏi tiếp", "payload": "/menu_ask_procedure"}])
    bodies = [body["message"] for _, body in fake_zalo.sent]
    assert len(bodies) >= 3 and all(len(m["text"]) <= TEXT_LIMIT for m in bodies)
    assert ["attachment" in m for m in bodies] == [False] * (len(bodies) - 1) + [True]
    assert " ".join(m["text"] for m in bodies).split() == text.split()
    await client.aclose()


async def test_invalid_token_error_refreshes_then_retries(fake_zalo: FakeZalo, engine: Engine) -> None:
    client = make_client(fake_zalo, engine, access="stale-access")
    await client.send_text(USER, "xin chào")
    assert len(fake_zalo.refreshes) == 1
    refresh = fake_zalo.refreshes[0]
    assert refresh == {
        "secret_key": fake_zalo.app_secret,
        "app_id": fake_zalo.app_id,
        "grant_type": "refresh_token",
        "refresh_token": "refresh-0",
    }
    assert fake_zalo.sent[0][0] == "access-1"
    with engine.connect() as connection:
        row = connection.execute(sa.select(zalo_oa_tokens)).one()
    assert (row.access_token, row.refresh_token) == ("access-1", "refresh-1")
    assert row.access_expires_at > utcnow() + timedelta(hours=24)
    await client.aclose()


async def test_token_is_refreshed_before_it_expires(fake_zalo: FakeZalo, engine: Engine) -> None:
    store = ZaloTokenStore(engine, seed_access_token="access-0", seed_refresh_token="refresh-0")
    store.load()
    with engine.begin() as connection:
        connection.execute(
            sa.update(zalo_oa_tokens).values(access_expires_at=utcnow() + timedelta(minutes=5))
        )
    client = make_client(fake_zalo, engine, store=store)
    await client.send_text(USER, "xin chào")
    assert len(fake_zalo.refreshes) == 1
    assert [token for token, _ in fake_zalo.sent] == ["access-1"]  # the old one was never used
    await client.aclose()


async def test_new_refresh_token_is_persisted_before_use_and_survives_a_crash(
    fake_zalo: FakeZalo, engine: Engine
) -> None:
    seen_in_db: list[TokenState] = []

    def crash_right_after_persisting(state: TokenState) -> None:
        with engine.connect() as connection:
            row = connection.execute(sa.select(zalo_oa_tokens)).one()
        seen_in_db.append(
            TokenState(row.access_token, row.access_expires_at, row.refresh_token, row.generation)
        )
        raise SimulatedCrash

    store = ZaloTokenStore(
        engine,
        seed_access_token="stale",
        seed_refresh_token="refresh-0",
        after_persist=crash_right_after_persisting,
    )
    client = make_client(fake_zalo, engine, store=store)
    with pytest.raises(SimulatedCrash):
        await client.send_text(USER, "xin chào")
    assert fake_zalo.sent == []  # the new access token was not used before the crash…
    assert seen_in_db[0].refresh_token == "refresh-1" == fake_zalo.refresh_token  # …but was stored
    await client.aclose()

    restarted = make_client(fake_zalo, engine, access="stale", refresh="refresh-0")  # same settings
    await restarted.send_text(USER, "xin chào")
    assert len(fake_zalo.refreshes) == 1  # the spent refresh token was never sent again
    assert fake_zalo.sent[0][0] == "access-1"
    await restarted.aclose()


async def test_concurrent_refreshes_are_serialised(fake_zalo: FakeZalo, engine: Engine) -> None:
    fake_zalo.refresh_delay = 0.1
    first = make_client(fake_zalo, engine, access="stale")
    second = make_client(fake_zalo, engine, access="stale")  # another worker on the same database
    await asyncio.gather(
        *(client.send_text(USER, f"tin {i}") for i in range(4) for client in (first, second))
    )
    assert len(fake_zalo.refreshes) == 1
    assert {token for token, _ in fake_zalo.sent} == {"access-1"} and len(fake_zalo.sent) == 8
    await first.aclose()
    await second.aclose()


async def test_rejected_refresh_token_is_a_permanent_error(fake_zalo: FakeZalo, engine: Engine) -> None:
    client = make_client(fake_zalo, engine, access="stale", refresh="revoked")
    with pytest.raises(ZaloApiError) as caught:
        await client.send_text(USER, "xin chào")
    assert caught.value.code == -14014 and caught.value.permanent
    with engine.connect() as connection:
        assert connection.execute(sa.select(zalo_oa_tokens.c.refresh_token)).scalar() == "revoked"
    await client.aclose()


async def test_a_new_refresh_token_in_settings_reseeds_the_store(fake_zalo: FakeZalo, engine: Engine) -> None:
    client = make_client(fake_zalo, engine, access="stale", refresh="refresh-0")
    await client.send_text(USER, "một")
    await client.aclose()
    # Operator re-authorised the OA and put the fresh pair in the environment.
    fake_zalo.refresh_token = "operator-refresh"
    fake_zalo.valid_access_tokens = {"operator-access"}
    client = make_client(fake_zalo, engine, access="operator-access", refresh="operator-refresh")
    await client.send_text(USER, "hai")
    assert [token for token, _ in fake_zalo.sent] == ["access-1", "operator-access"]
    await client.aclose()


async def test_failed_commit_after_refresh_leaves_a_recovery_file(
    fake_zalo: FakeZalo, engine: Engine, tmp_path: Path
) -> None:
    store = ZaloTokenStore(
        engine, seed_access_token="stale", seed_refresh_token="refresh-0", recovery_dir=tmp_path
    )
    store.load()
    with engine.begin() as connection:  # the new pair cannot be written
        connection.execute(
            sa.text(
                "CREATE TRIGGER no_update BEFORE UPDATE OF refresh_token ON zalo_oa_tokens "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    client = make_client(fake_zalo, engine, store=store)
    with pytest.raises(sa.exc.DatabaseError):
        await client.send_text(USER, "xin chào")
    recovery = tmp_path / "zalo_refresh_token.recovery"
    assert recovery.read_text().strip() == "refresh-1" == fake_zalo.refresh_token
    assert oct(recovery.stat().st_mode & 0o777) == "0o600"
    await client.aclose()
