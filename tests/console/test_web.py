"""The console over HTTP (its Sanic blueprint, served in-process): login, sessions, CSRF,
throttling, no route without login, the handoff API delivering into a Rasa channel."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.console.auth import authenticate
from bot.console.services import ConsoleServices
from tests.console.helpers import PASSWORD, ConsoleClient, client_for, console_app

BASE = "/webhooks/console"
API_ROUTES = [
    ("GET", "/api/me"),
    ("POST", "/api/chat"),
    ("GET", "/api/knowledge?q=khai+sinh"),
    ("POST", "/api/dossiers/lookup"),
    ("GET", "/api/handoffs"),
    ("GET", "/api/handoffs/abc"),
    ("POST", "/api/handoffs/abc/take"),
    ("POST", "/api/handoffs/abc/reply"),
    ("POST", "/api/handoffs/abc/release"),
]


async def test_nothing_is_reachable_without_login(client: ConsoleClient) -> None:
    page = await client.http.get(f"{BASE}/")
    assert page.status_code == 303 and page.headers["location"] == "login"
    assert (await client.http.get(BASE)).headers["location"] == "console/"
    assert (await client.http.get(f"{BASE}/static/console.js")).status_code == 401
    assert (await client.http.get(f"{BASE}/static/console.css")).status_code == 200
    assert (await client.http.get(f"{BASE}/static/../channel.py")).status_code == 404
    for method, path in API_ROUTES:
        answer = await client.http.request(method, BASE + path, json={})
        assert answer.status_code == 401, (method, path)
        assert "đăng nhập" in answer.json()["error"]
    # A forged cookie is no session.
    client.http.cookies.set("tro_ly_console", "forged")
    assert (await client.http.get(f"{BASE}/api/me")).status_code == 401


async def test_login_sets_a_strict_http_only_cookie_and_logout_ends_the_session(
    client: ConsoleClient,
) -> None:
    answer = await client.login(name="NGUYỄN LAN")
    assert answer.status_code == 303 and answer.headers["location"] == "./"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("tro_ly_console="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http and CONSOLE_COOKIE_SECURE unset
    page = await client.http.get(f"{BASE}/")
    assert page.status_code == 200 and "Bảng điều khiển tổng đài" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert (await client.http.get(f"{BASE}/static/console.js")).status_code == 200
    me = (await client.http.get(f"{BASE}/api/me")).json()
    assert me["name"] == "Nguyễn Lan" and len(me["csrf_token"]) == 64
    assert (await client.http.get(f"{BASE}/login")).headers["location"] == "./"

    # Logout needs the CSRF token too.
    assert (await client.http.post(f"{BASE}/logout")).status_code == 403
    out = await client.post(f"{BASE}/logout")
    assert out.status_code == 303 and out.headers["location"] == "login"
    assert (await client.http.get(f"{BASE}/api/me")).status_code == 401


async def test_secure_cookie_over_https_or_by_setting(services: ConsoleServices, staff_account: Any) -> None:
    async for console in client_for(console_app(services), scheme="https"):
        answer = await console.login()
        assert any("Secure" in c for c in answer.headers.get_list("set-cookie"))
    services.cookie_secure = True
    async for console in client_for(console_app(services)):
        answer = await console.login()
        assert all("Secure" in c for c in answer.headers.get_list("set-cookie"))


async def test_login_form_needs_its_csrf_token_and_escapes_input(client: ConsoleClient) -> None:
    forged = await client.http.post(
        f"{BASE}/login", data={"name": "Nguyễn Lan", "password": PASSWORD, "csrf_token": "guess"}
    )
    assert forged.status_code == 403 and "hết hạn" in forged.text
    assert "tro_ly_console=" not in " ".join(forged.headers.get_list("set-cookie")).replace(
        "tro_ly_console_login", ""
    )
    hostile = await client.login(name='"><script>alert(1)</script>', password="sai-mật-khẩu-rồi")
    assert hostile.status_code == 401
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in hostile.text


async def test_state_changes_need_the_session_csrf_token(client: ConsoleClient) -> None:
    await client.login()
    missing = await client.http.post(f"{BASE}/api/handoffs/abc/take")
    assert missing.status_code == 403 and "mã bảo vệ" in missing.json()["error"]
    wrong = await client.http.post(f"{BASE}/api/handoffs/abc/take", headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    right = await client.post(f"{BASE}/api/handoffs/abc/take")
    assert right.status_code == 404 and right.json()["outcome"] == "not_found"


async def test_brute_force_is_throttled_without_logging_passwords(
    client: ConsoleClient, caplog: pytest.LogCaptureFixture
) -> None:
    for attempt in range(5):
        answer = await client.login(password=f"sai-mật-khẩu-{attempt}")
        assert answer.status_code == 401
    blocked = await client.login()  # even the right password is refused now
    assert blocked.status_code == 429
    assert "Bạn đã đăng nhập sai quá nhiều lần" in blocked.text
    assert "sai-mật-khẩu" not in caplog.text and PASSWORD not in caplog.text
    assert "Console login failed" in caplog.text


async def test_knowledge_cards_show_sources_dates_and_gaps(client: ConsoleClient) -> None:
    await client.login()
    assert (await client.http.get(f"{BASE}/api/knowledge?q=")).status_code == 400
    answer = await client.http.get(f"{BASE}/api/knowledge", params={"q": "làm lại căn cước cần giấy tờ gì"})
    assert answer.status_code == 200
    card = answer.json()["cards"][0]
    assert card["id"] == "cap-doi-cap-lai-the-can-cuoc"
    sections = {s["key"]: s for s in card["sections"]}
    assert {"documents", "fee", "processing_time", "agency", "legal_basis"} <= set(sections)
    documents = sections["documents"]
    assert documents["items"] and documents["sources"] and documents["checked"].count("/") == 2
    assert "Giấy tờ cần có" in card["copy_text"] and card["official_url"] in card["copy_text"]
    for section in card["sections"]:
        assert section["gap"] == (not section["items"])


class PushChannel(InputChannel):
    """A Rasa input channel that can push, like Telegram or Zalo: what it sends is kept."""

    sent: List[Dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return "pushy"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return Blueprint("pushy_webhook")

    def get_output_channel(self) -> CollectingOutputChannel:
        output = CollectingOutputChannel()
        output.messages = PushChannel.sent
        return output


@pytest.fixture
async def push_client(services: ConsoleServices, staff_account: Any) -> AsyncIterator[ConsoleClient]:
    PushChannel.sent = []
    async for console in client_for(console_app(services, [PushChannel()])):
        await console.login()
        yield console


async def test_reply_goes_into_the_citizens_channel(
    push_client: ConsoleClient, services: ConsoleServices
) -> None:
    ticket = services.handoffs.request_handoff(
        "chat-42", "pushy", [{"role": "user", "text": "Giúp tôi", "time": 1}]
    )
    queue = (await push_client.http.get(f"{BASE}/api/handoffs")).json()["tickets"]
    assert [t["id"] for t in queue] == [ticket.id] and queue[0]["sender"] == "…t-42"
    assert queue[0]["preview"] == "Giúp tôi"
    taken = await push_client.post(f"{BASE}/api/handoffs/{ticket.id}/take")
    assert taken.json()["outcome"] == "taken"
    reply = await push_client.post(
        f"{BASE}/api/handoffs/{ticket.id}/reply", json={"text": "Chào bạn, mình là Lan."}
    )
    assert reply.status_code == 200 and reply.json()["delivery"] == "sent"
    assert PushChannel.sent == [{"recipient_id": "chat-42", "text": "Chào bạn, mình là Lan."}]
    detail = (await push_client.http.get(f"{BASE}/api/handoffs/{ticket.id}")).json()["ticket"]
    assert "sender_id" not in detail
    assert [(m["role"], m["delivery"]) for m in detail["messages"]] == [("user", None), ("staff", "sent")]
    # No agent loaded: the conversation cannot be resumed, so the ticket stays open.
    release = await push_client.post(f"{BASE}/api/handoffs/{ticket.id}/release")
    assert release.status_code == 503 and services.handoffs.get(ticket.id).status == "taken"  # type: ignore[union-attr]


async def test_rest_replies_wait_for_the_citizens_poll(
    push_client: ConsoleClient, services: ConsoleServices
) -> None:
    ticket = services.handoffs.request_handoff("web-uuid-1", "rest", [])
    reply = await push_client.post(
        f"{BASE}/api/handoffs/{ticket.id}/reply", json={"text": "Bạn chờ chút nhé"}
    )
    assert reply.json()["delivery"] == "stored"
    public = push_client.http.cookies.clear() or push_client.http  # the citizen has no console session
    polled = await public.post(f"{BASE}/replies", json={"sender": "web-uuid-1"})
    assert [m["text"] for m in polled.json()["messages"]] == ["Bạn chờ chút nhé"]
    assert (await public.post(f"{BASE}/replies", json={"sender": "web-uuid-1"})).json()["messages"] == []
    assert (await public.post(f"{BASE}/replies", json={})).status_code == 400


async def test_unknown_channel_is_reported_as_failed(
    push_client: ConsoleClient, services: ConsoleServices
) -> None:
    ticket = services.handoffs.request_handoff("123", "zalo", [])
    reply = await push_client.post(f"{BASE}/api/handoffs/{ticket.id}/reply", json={"text": "Chào bạn"})
    assert reply.status_code == 502 and reply.json()["delivery"] == "failed"


async def test_chat_without_a_model_answers_503(client: ConsoleClient) -> None:
    await client.login()
    assert (await client.post(f"{BASE}/api/chat", json={"message": ""})).status_code == 400
    answer = await client.post(f"{BASE}/api/chat", json={"message": "xin chào", "conversation": "abc"})
    assert answer.status_code == 503 and "Trợ lý" in answer.json()["error"]


async def test_authenticate_hook_guards_another_blueprint(
    services: ConsoleServices, staff_account: Any
) -> None:
    app = console_app(services)
    outreach = Blueprint("outreach_stand_in", url_prefix="/outreach")

    @outreach.route("/campaigns", methods=["GET", "POST"])
    async def campaigns(request: Request) -> Any:
        if not authenticate(request):
            return response.json({"error": "login"}, status=401)
        return response.json({"staff": request.ctx.console_staff})

    app.blueprint(outreach)
    async for console in client_for(app):
        assert (await console.http.get("/outreach/campaigns")).status_code == 401
        await console.login()
        assert (await console.http.get("/outreach/campaigns")).json() == {"staff": "Nguyễn Lan"}
        assert (await console.http.post("/outreach/campaigns")).status_code == 401  # no CSRF token
        assert (await console.post("/outreach/campaigns")).status_code == 200
