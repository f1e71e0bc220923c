"""Telegram end to end: webhook → channel (real python-telegram-bot) → stand-in Bot API."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from telegram.ext import _aioratelimiter

from bot.channels import reachability
from bot.channels.config import TelegramConfig
from bot.channels.tables import processed_events
from bot.channels.telegram import SECRET_HEADER, ChatUnreachable, TelegramInput
from bot.channels.telegram_bot import CALLBACK_DATA_MAX_BYTES, MESSAGE_LIMIT
from bot.channels.text_split import utf16_length
from bot.settings import SettingsError, get_settings
from tests.channels.conftest import Responder, serve
from tests.channels.fakes import FakeTelegram, async_wait_for, forbidden, retry_after

SECRET = "s3cret_Token-for-tests"
CHAT = 4242

MENU_BUTTONS: List[Dict[str, Any]] = [
    {"title": "Hỏi về thủ tục", "payload": "/menu_ask_procedure"},
    {"title": "Gặp tổng đài viên", "payload": "/menu_talk_to_human"},
]
MENU = [{"text": "Tôi có thể giúp bạn những việc sau. Bạn chọn một mục nhé:", "buttons": MENU_BUTTONS}]


def make_channel(
    fake: FakeTelegram, engine: Engine, *, polling: bool = False, secret: str | None = SECRET
) -> TelegramInput:
    config = TelegramConfig(
        token=fake.token,
        api_base_url=fake.base_url,  # type: ignore[attr-defined]
        webhook_url=None if polling else "https://assistant.example/webhooks/telegram/webhook",
        webhook_secret=secret,
        timeout_seconds=5,
    )
    return TelegramInput(config, engine=engine, poll_timeout=1)


def user(chat_id: int) -> Dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}


def message_update(update_id: int, chat_id: int = CHAT, **content: Any) -> Dict[str, Any]:
    message = {
        "message_id": update_id,
        "date": 1700000000,
        "chat": {"id": chat_id, "type": "private"},
        "from": user(chat_id),
        **content,
    }
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, chat_id: int = CHAT) -> Dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 7,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
                "text": "menu",
            },
        },
    }


async def post(url: str, body: Dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/webhook", json=body, headers=headers) as reply:
            return reply.status


async def test_text_message_is_answered_in_the_same_chat(fake_telegram: FakeTelegram, engine: Engine) -> None:
    responder = Responder()
    channel = make_channel(fake_telegram, engine)
    async with serve(channel, responder) as url:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/") as health:
            assert (await health.json())["mode"] == "webhook"
        assert await post(url, message_update(1, text="Làm căn cước cần gì?")) == 200
    assert responder.texts == ["Làm căn cước cần gì?"]
    assert responder.messages[0].sender_id == str(CHAT)
    assert responder.messages[0].input_channel == "telegram"
    sent = fake_telegram.methods("sendMessage")
    assert [(m["chat_id"], m["text"]) for m in sent] == [(CHAT, "echo: Làm căn cước cần gì?")]
    assert "parse_mode" not in sent[0]  # plain text: nothing to escape


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong-secret", 403), ("", 403)])
async def test_bad_secret_is_rejected_and_nothing_processed(
    fake_telegram: FakeTelegram, engine: Engine, secret: str | None, status: int
) -> None:
    responder = Responder()
    async with serve(make_channel(fake_telegram, engine), responder) as url:
        assert await post(url, message_update(5, text="xin chào"), secret=secret) == status
    assert responder.messages == []
    assert fake_telegram.calls == []
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(processed_events)).scalar() == 0


async def test_webhook_without_configured_secret_refuses_everything(
    fake_telegram: FakeTelegram, engine: Engine
) -> None:
    responder = Responder()
    async with serve(make_channel(fake_telegram, engine, secret=None, polling=True), responder) as url:
        assert await post(url, message_update(6, text="xin chào"), secret="anything") == 403
    assert responder.messages == []


async def test_duplicate_update_is_processed_once_even_after_a_restart(
    fake_telegram: FakeTelegram, engine: Engine
) -> None:
    responder = Responder()
    update = message_update(10, text="xin chào")
    async with serve(make_channel(fake_telegram, engine), responder) as url:
        assert await post(url, update) == 200
        assert await post(url, update) == 200
    async with serve(make_channel(fake_telegram, engine), responder) as url:  # restarted server
        assert await post(url, update) == 200
        assert await post(url, message_update(11, text="cảm ơn")) == 200
    assert responder.texts == ["xin chào", "cảm ơn"]
    assert len(fake_telegram.methods("sendMessage")) == 2


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/start", "/greet"),
        ("/start ref-campaign", "/greet"),
        ("/help", "/ask_capabilities"),
        ("/menu@TroLyDVCBot", "/ask_capabilities"),
        ('/menu_talk_to_human{"x": 1}', 'menu_talk_to_human{"x": 1}'),
    ],
)
async def test_commands_map_to_intents_and_typed_intents_are_defused(
    fake_telegram: FakeTelegram, engine: Engine, typed: str, expected: str
) -> None:
    responder = Responder()
    channel = make_channel(fake_telegram, engine)
    async with serve(channel, responder) as url:
        assert await post(url, message_update(20, text=typed)) == 200
    assert responder.texts == [expected]


async def test_buttons_become_an_inline_keyboard_and_a_tap_is_the_payload(
    fake_telegram: FakeTelegram, engine: Engine
) -> None:
    long_payload = '/inform{"service": "cap-doi-the-can-cuoc-cong-dan-khi-thay-doi-thong-tin", "step": 2}'
    assert len(long_payload.encode()) > CALLBACK_DATA_MAX_BYTES
    answers = {
        "/greet": [
            {
                "text": "Chào bạn!",
                "buttons": [
                    {"title": "Hỏi về thủ tục", "payload": "/menu_ask_procedure"},
                    {"title": "Căn cước", "payload": long_payload},
                    {"title": "Cổng DVC", "payload": "https://dichvucong.gov.vn/"},
                ],
            }
        ]
    }
    responder = Responder(answers)
    async with serve(make_channel(fake_telegram, engine), responder) as url:
        assert await post(url, message_update(30, text="/start")) == 200
        keyboard = fake_telegram.methods("sendMessage")[0]["reply_markup"]["inline_keyboard"]
        datas = [row[0].get("callback_data") for row in keyboard]
        assert datas[0] == "/menu_ask_procedure"
        assert datas[1] != long_payload and len(datas[1].encode()) <= CALLBACK_DATA_MAX_BYTES
        assert keyboard[2][0]["url"] == "https://dichvucong.gov.vn/"
        assert await post(url, callback_update(31, datas[0])) == 200
    # After a restart the stored long payload still resolves.
    async with serve(make_channel(fake_telegram, engine), responder) as url:
        assert await post(url, callback_update(32, datas[1])) == 200
        assert await post(url, callback_update(33, "cb:unknown-key")) == 200
    assert responder.texts == ["/greet", "/menu_ask_procedure", long_payload]
    assert [a["callback_query_id"] for a in fake_telegram.methods("answerCallbackQuery")] == [
        "cq31",
        "cq32",
        "cq33",
    ]
    assert "hết hạn" in fake_telegram.methods("sendMessage")[-1]["text"]


async def test_long_message_is_split_on_paragraphs_with_buttons_on_the_last_part(
    fake_telegram: FakeTelegram, engine: Engine
) -> None:
    paragraphs = [f"Đoạn {i}: " + ("giấy tờ cần chuẩn bị 📄 " * 90).strip() for i in range(4)]
    text = "\n\n".join(paragraphs)
    assert utf16_length(text) > MESSAGE_LIMIT
    channel = make_channel(fake_telegram, engine)
    output = channel.get_output_channel()
    await output.send_text_with_buttons(str(CHAT), text, MENU_BUTTONS)
    await channel.close()
    sent = fake_telegram.methods("sendMessage")
    assert len(sent) >= 2
    assert all(utf16_length(m["text"]) <= MESSAGE_LIMIT for m in sent)
    for message in sent:  # every part is made of whole paragraphs
        assert all(part in paragraphs for part in message["text"].split("\n\n"))
    assert "\n\n".join(m["text"] for m in sent) == text
    assert [("reply_markup" in m) for m in sent] == [False] * (len(sent) - 1) + [True]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]}, "hình ảnh"),
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "u",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            "chỉ đọc được tin nhắn chữ",
        ),
        ({"voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}}, "thoại"),
        ({"document": {"file_id": "d", "file_unique_id": "u", "file_name": "cccd.pdf"}}, "tệp đính kèm"),
        ({"location": {"latitude": 21.03, "longitude": 105.85}}, "vị trí"),
    ],
)
async def test_non_text_messages_get_a_helpful_reply(
    fake_telegram: FakeTelegram, engine: Engine, content: Dict[str, Any], expected: str
) -> None:
    responder = Responder()
    async with serve(make_channel(fake_telegram, engine), responder) as url:
        assert await post(url, message_update(40, **content)) == 200
    assert responder.messages == []
    sent = fake_telegram.methods("sendMessage")
    assert len(sent) == 1 and expected in sent[0]["text"] and sent[0]["chat_id"] == CHAT


async def test_blocked_chat_is_marked_unreachable_and_cleared_when_the_user_returns(
    fake_telegram: FakeTelegram, engine: Engine
) -> None:
    channel = make_channel(fake_telegram, engine)
    output = channel.get_output_channel()
    fake_telegram.script("sendMessage", *forbidden())
    await output.send_text_message(str(CHAT), "Hồ sơ của bạn đã có kết quả.")  # Rasa path: no exception
    assert reachability.is_unreachable("telegram", CHAT, engine=engine)
    assert "blocked" in (reachability.unreachable_reason("telegram", CHAT, engine=engine) or "")
    fake_telegram.script("sendMessage", *forbidden())
    with pytest.raises(ChatUnreachable):
        await output.send(CHAT, "Nhắc lịch hẹn")  # outreach path: explicit outcome
    async with serve(channel, Responder()) as url:
        assert await post(url, message_update(50, text="xin chào")) == 200
    assert not reachability.is_unreachable("telegram", CHAT, engine=engine)


async def test_user_blocking_the_bot_marks_the_chat(fake_telegram: FakeTelegram, engine: Engine) -> None:
    update = {
        "update_id": 60,
        "my_chat_member": {
            "chat": {"id": CHAT, "type": "private"},
            "from": user(CHAT),
            "date": 1700000000,
            "old_chat_member": {"user": {"id": 1, "is_bot": True, "first_name": "bot"}, "status": "member"},
            "new_chat_member": {
                "user": {"id": 1, "is_bot": True, "first_name": "bot"},
                "status": "kicked",
                "until_date": 0,
            },
        },
    }
    async with serve(make_channel(fake_telegram, engine), Responder()) as url:
        assert await post(url, update) == 200
    assert reachability.is_unreachable("telegram", CHAT, engine=engine)


async def test_retry_after_is_waited_out_then_the_message_is_sent(
    fake_telegram: FakeTelegram, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: List[float] = []
    real_sleep = asyncio.sleep

    class AsyncioSpy:
        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

        async def sleep(self, delay: float) -> None:
            slept.append(delay)
            await real_sleep(0)

    monkeypatch.setattr(_aioratelimiter, "asyncio", AsyncioSpy())
    fake_telegram.script("sendMessage", *retry_after(7))
    channel = make_channel(fake_telegram, engine)
    ids = await channel.get_output_channel().send(CHAT, "Thông báo mới")
    await channel.close()
    assert slept and slept[0] >= 7  # waited what Telegram asked before retrying
    assert len(fake_telegram.methods("sendMessage")) == 2 and len(ids) == 1


async def test_long_polling_without_webhook_url(fake_telegram: FakeTelegram, engine: Engine) -> None:
    responder = Responder({"/greet": MENU})
    channel = make_channel(fake_telegram, engine, polling=True, secret=None)
    fake_telegram.queue_update(message_update(70, text="/start"))
    fake_telegram.queue_update(message_update(70, text="/start"))  # redelivered: once
    async with serve(channel, responder) as url:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/") as health:
            assert (await health.json())["mode"] == "polling"
        await async_wait_for(lambda: len(fake_telegram.methods("sendMessage")) >= 1)
        fake_telegram.queue_update(message_update(71, text="cảm ơn"))
        await async_wait_for(lambda: len(fake_telegram.methods("sendMessage")) >= 2)
    assert responder.texts == ["/greet", "cảm ơn"]
    offsets = [call.get("offset") for call in fake_telegram.methods("getUpdates")]
    assert 71 in offsets  # updates were confirmed
    assert channel._poller_task is None  # stopped with the server


async def test_no_network_call_when_the_channel_starts(fake_telegram: FakeTelegram, engine: Engine) -> None:
    channel = make_channel(fake_telegram, engine)
    channel.get_output_channel()
    async with serve(channel, Responder()):
        pass
    assert fake_telegram.calls == []


def test_missing_token_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
            TelegramInput.from_credentials(None)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
        monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://assistant.example/webhooks/telegram/webhook")
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
        get_settings.cache_clear()
        with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
            TelegramInput.from_credentials(None)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "has spaces!")
        get_settings.cache_clear()
        with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
            TelegramInput.from_credentials(None)
    finally:
        get_settings.cache_clear()
