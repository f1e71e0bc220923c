"""The console in a real headless Chromium (Debian's package, driven by Playwright) against a real
`rasa run` with the trained model: login, ask the bot, search, take a handoff and reply, logout.

One Rasa server and one browser for this module (module scope: Playwright's sync API keeps its own
event loop running, which must end before the asyncio tests of other modules); each test gets a fresh
browser context (no shared cookies).
Screenshots of failures land in var/test-screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from bot.console.handoff import HandoffStore
from bot.db import make_engine
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "test-screenshots"
RASA = str(Path(sys.executable).parent / "rasa")
STAFF, STAFF_PASSWORD = "Cán bộ Thử", "mật-khẩu-kiểm-thử-2026"
TIMEOUT_MS = 30_000


class RasaServer:
    """`rasa run` with the REST channel and the console, on a throw-away SQLite database."""

    def __init__(self, model: Path, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{workdir / 'assistant.db'}"
        credentials = workdir / "credentials.yml"
        credentials.write_text("rest:\nbot.console.channel.ConsoleInput:\n", encoding="utf-8")
        self.log_path = workdir / "rasa.log"
        env = dict(
            os.environ,
            DATABASE_URL=self.database_url,
            RASA_TELEMETRY_ENABLED="false",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
        )
        added = subprocess.run(
            [sys.executable, "-m", "bot", "staff", "add", STAFF, "--password-stdin"],
            cwd=ROOT,
            env=env,
            input=STAFF_PASSWORD + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert added.returncode == 0, added.stderr
        self.log = self.log_path.open("ab")
        command = [RASA, "run", "--model", str(model), "--endpoints", "endpoints.yml"]
        command += ["--credentials", str(credentials), "--enable-api", "--port", str(self.port)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rasa run exited with {self.process.returncode}; see {self.log_path}")
            try:
                self.get("/status")
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"rasa run did not start in time; see {self.log_path}")

    def request(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    def get(self, path: str) -> Any:
        return self.request(path)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def rasa_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaServer]:
    server = RasaServer(model_path, tmp_path_factory.mktemp("console-browser"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: run scripts/install-chromium.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, rasa_server: RasaServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(base_url=rasa_server.base, locale="vi-VN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=rasa_server.base)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def login(page: Any) -> None:
    page.goto("/webhooks/console/")
    page.wait_for_url(re.compile(r"/webhooks/console/login$"))
    page.fill("#name", STAFF.lower())
    page.fill("#password", STAFF_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='true']")
    assert page.text_content("#staff-name") == STAFF


def test_login_ask_the_bot_search_and_logout(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/webhooks/console/")
    page.fill("#name", STAFF)
    page.fill("#password", "sai-mật-khẩu-rồi")
    page.click("#login-submit")
    expect(page.locator("p.error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    login(page)

    # Ask the assistant (the real model answers through the console channel).
    page.fill("#chat-input", "xin chào")
    page.press("#chat-input", "Enter")
    answer = page.locator("#chat-log .msg.bot .text").first
    expect(answer).to_have_text(re.compile(r"^(Xin chào!|Chào bạn!)"))

    # Search the knowledge base and copy a card.
    page.click("[data-tab='knowledge']")
    page.fill("#kb-input", "làm lại căn cước cần giấy tờ gì")
    page.press("#kb-input", "Enter")
    card = page.locator("article.card[data-service='cap-doi-cap-lai-the-can-cuoc']")
    expect(card.locator("h3")).to_contain_text("Cấp đổi, cấp lại thẻ căn cước")
    expect(card.locator("[data-section='documents'] li").first).to_be_visible()
    expect(card.locator("[data-section='fee'] .meta")).to_contain_text("Kiểm tra ngày")
    expect(card.locator("a", has_text="Trang chính thức")).to_have_attribute("href", re.compile(r"^https://"))
    card.locator(".copy-card").click()
    expect(page.locator("#kb-status")).to_have_text("Đã sao chép.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Cấp đổi, cấp lại thẻ căn cước") and "Giấy tờ cần có:" in copied

    # Log out: the session is gone, the console is out of reach again.
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/webhooks/console/login$"))
    page.goto("/webhooks/console/")
    page.wait_for_url(re.compile(r"/webhooks/console/login$"))
    assert page.request.get("/webhooks/console/api/handoffs").status == 401


def test_take_a_handoff_reply_and_hand_back(page: Any, rasa_server: RasaServer) -> None:
    from playwright.sync_api import expect

    citizen = f"web-{uuid.uuid4().hex}"
    rasa_server.request("/webhooks/rest/webhook", {"sender": citizen, "message": "xin chào"})
    # What the handoff action does: pause the conversation, queue it with its transcript.
    rasa_server.request(f"/conversations/{citizen}/tracker/events", {"event": "pause"})
    engine = make_engine(rasa_server.database_url)
    store = HandoffStore(engine)
    ticket = store.request_handoff(
        citizen,
        "rest",
        [
            {"role": "user", "text": "xin chào", "time": time.time() - 5},
            {"role": "user", "text": "Cho tôi gặp cán bộ <b>ngay</b>", "time": time.time() - 2},
        ],
    )
    # The citizen keeps writing while paused: the bot stays silent, the console shows it.
    assert (
        rasa_server.request("/webhooks/rest/webhook", {"sender": citizen, "message": "Còn ai ở đó không?"})
        == []
    )

    login(page)
    page.click("[data-tab='handoffs']")
    entry = page.locator(f"[data-ticket='{ticket.id}']")
    expect(entry).to_contain_text("Cho tôi gặp cán bộ <b>ngay</b>")
    expect(page.locator("#handoff-badge")).to_have_text(re.compile(r"^[1-9]\d*$"))
    entry.click()
    transcript = page.locator("#handoff-transcript")
    expect(transcript).to_contain_text("Cho tôi gặp cán bộ <b>ngay</b>")  # shown as text, not markup
    assert transcript.locator("b").count() == 0
    expect(transcript).to_contain_text("Còn ai ở đó không?")

    page.click("#handoff-take")
    expect(page.locator("#handoff-status")).to_have_text("Bạn đã nhận cuộc trò chuyện này.")
    page.fill("#handoff-reply", "Chào bạn, mình là cán bộ tổng đài. Bạn cần hỏi gì ạ?")
    page.click("#handoff-reply-form button[type='submit']")
    expect(page.locator("#handoff-status")).to_contain_text("Đã lưu")
    expect(transcript.locator("li.staff")).to_contain_text("Chào bạn, mình là cán bộ tổng đài.")

    # The REST citizen's client polls and gets the reply once.
    polled = rasa_server.request("/webhooks/console/replies", {"sender": citizen})
    assert [m["text"] for m in polled["messages"]] == ["Chào bạn, mình là cán bộ tổng đài. Bạn cần hỏi gì ạ?"]

    page.click("#handoff-release")
    expect(page.locator("#handoff-status")).to_have_text("Đã trả cuộc trò chuyện lại cho trợ lý.")
    events = [e["event"] for e in rasa_server.get(f"/conversations/{citizen}/tracker")["events"]]
    assert "pause" in events and events.index("resume") > events.index("pause")
    with engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM console_handoff_tickets WHERE id = :id"), {"id": ticket.id}
        ).scalar_one()
    assert status == "closed"
    # The assistant answers the citizen again.
    replies = rasa_server.request("/webhooks/rest/webhook", {"sender": citizen, "message": "xin chào"})
    assert replies and replies[0]["text"].startswith(("Xin chào!", "Chào bạn!"))
    engine.dispose()
