"""The trained assistant in-process: first conversations and bad input."""

from __future__ import annotations

import unicodedata
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.utils.endpoints import EndpointConfig

from tests.conftest import ActionServer

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("kept_sessions_closed")]

GREETINGS = ("Xin chào!", "Chào bạn!")
MENU_PAYLOADS = {"/menu_ask_procedure", "/menu_check_dossier", "/menu_subscribe", "/menu_talk_to_human"}


@pytest.fixture(scope="module")
def agent(model_path: Path, action_server: ActionServer) -> Agent:
    return Agent.load(str(model_path), action_endpoint=EndpointConfig(action_server.url))


async def say(agent: Agent, text: str) -> List[Dict[str, Any]]:
    return await agent.handle_text(text, sender_id=f"test-{uuid.uuid4().hex}") or []


@pytest.mark.parametrize(
    "text", ["xin chào", "xin chao", unicodedata.normalize("NFD", "xin chào"), "Chào bạn"]
)
async def test_greeting_in_any_form(agent: Agent, text: str) -> None:
    replies = await say(agent, text)
    assert replies, "no reply"
    assert replies[0]["text"].startswith(GREETINGS)
    assert {b["payload"] for b in replies[-1].get("buttons", [])} == MENU_PAYLOADS


@pytest.mark.parametrize(
    ("text", "reply_start"),
    [
        ("cảm ơn nhiều nha", "Không có gì"),
        ("tam biet", "Chào bạn, chúc bạn"),
        ("có phải người thật không", "Tôi là trợ lý ảo"),
        ("ban lam duoc gi", "Tôi có thể:"),
    ],
)
async def test_chitchat(agent: Agent, text: str, reply_start: str) -> None:
    replies = await say(agent, text)
    assert replies[0]["text"].startswith(reply_start)


async def test_out_of_scope_is_redirected_to_the_menu(agent: Agent) -> None:
    replies = await say(agent, "kể chuyện cười đi bạn")
    assert replies[0]["text"].startswith("Xin lỗi, việc này nằm ngoài phạm vi")
    assert {b["payload"] for b in replies[-1]["buttons"]} == MENU_PAYLOADS


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀🙏",
        "x" * 5000,
        ("tôi muốn hỏi về giấy tờ nhà đất " * 200)[:5000],
        "<script>alert('xss')</script>",
        "<img src=x onerror=alert(1)>",
        "I want to renew my ID card please",
        "\x00\x01\x02 hello \x7f",
        "\u200b\u200b\u200b",
        "' OR 1=1; DROP TABLE events; --",
    ],
)
async def test_bad_input_gets_an_answer_and_no_markup_is_echoed(agent: Agent, text: str) -> None:
    replies = await say(agent, text)
    assert replies, f"no reply to {text[:30]!r}"
    for reply in replies:
        body = reply.get("text", "")
        assert "<script" not in body and "<img" not in body and "onerror" not in body
        assert "Traceback" not in body
