"""ZaloSender over an in-test client with the real Zalo exception classes; the rate limiter
checked with a fake clock (no wall-clock assertions)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot.channels.zalo_api import ZaloApiError, ZaloRateLimited, ZaloUserUnreachable
from bot.outreach.limits import PerChatSpacing, RateLimiter
from bot.outreach.senders.telegram import TelegramConfigError, classify_answer
from bot.outreach.senders.zalo import ZaloSender


class ScriptedZaloClient:
    """Implements the ZaloClient protocol; raises what the script says for each user."""

    def __init__(self, script: dict[str, BaseException]) -> None:
        self.script = script
        self.sent: list[tuple[str, str, Any]] = []

    async def send_text(self, user_id: str, text: str, buttons: list[dict] | None = None) -> dict:
        if user_id in self.script:
            raise self.script[user_id]
        self.sent.append((user_id, text, buttons))
        return {"error": 0, "message": "Success", "data": {"message_id": "m1", "user_id": user_id}}


async def test_zalo_sender_maps_the_client_outcomes() -> None:
    client = ScriptedZaloClient(
        {
            "limited": ZaloRateLimited(7.0),
            "limited-unknown": ZaloRateLimited(None),
            "gone": ZaloUserUnreachable(),
            "server": ZaloApiError(-1, "HTTP 503", http_status=503),
            "refused": ZaloApiError(-124, "invalid param"),
            "odd": RuntimeError("socket closed"),
        }
    )
    sender = ZaloSender(client)

    ok = await sender.send("42", "Xin chào", [{"text": "Mở", "url": "https://dichvucong.gov.vn/"}])
    assert ok.kind == "sent"
    assert client.sent == [("42", "Xin chào", [{"title": "Mở", "url": "https://dichvucong.gov.vn/"}])]
    assert (await sender.send("limited", "x", None)).seconds == 7.0
    assert (await sender.send("limited-unknown", "x", None)).kind == "retry_after"
    assert (await sender.send("gone", "x", None)).kind == "unreachable"
    assert (await sender.send("server", "x", None)).kind == "transient"
    assert (await sender.send("refused", "x", None)).kind == "failed"
    assert (await sender.send("odd", "x", None)).kind == "uncertain"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(rate: float, sends: int) -> list[float]:
    """Send times a limiter allows when the caller always waits exactly the delay it is told."""
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock)
    times: list[float] = []
    while len(times) < sends:
        wait = limiter.delay()
        if wait > 0:
            clock.now += wait
            continue
        for window in limiter.windows:
            window.times.append(clock.now)
        times.append(clock.now)
        clock.now += 0.0001  # a tiny cost per send
    return times


def max_in_any_window(times: list[float], width: float = 1.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_no_one_second_window_exceeds_the_limit() -> None:
    for rate in (1, 30, 1000):
        times = simulate(rate, rate * 5)
        assert max_in_any_window(times) <= rate
        achieved = len(times) / (times[-1] - times[0])
        # Headroom for jitter costs at most 5 % at high rates and ~12 % at Telegram's 30/s.
        assert achieved >= (0.95 if rate >= 100 else 0.85) * rate * (len(times) - 1) / len(times)
        # Bursts are capped too: no tenth of a second holds much more than a tenth of the rate.
        assert max_in_any_window(times, 0.1) <= math.ceil(rate * 0.1) + 1


def test_pause_blocks_until_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(30, clock=clock)
    limiter.pause(5)
    assert limiter.delay() == 5
    clock.now = 5
    assert limiter.delay() == 0


def test_per_chat_spacing_forgets_old_chats() -> None:
    clock = FakeClock()
    spacing = PerChatSpacing(1.0, clock=clock)
    for i in range(1000):
        spacing.record(str(i))
        clock.now += 0.01
    assert spacing.ready_in("999") > 0.9
    assert spacing.ready_in("0") == 0
    assert len(spacing.next_ok) < 200  # memory bounded by the chats of the last second


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, b'{"ok": true, "result": {"message_id": 1}}', "sent"),
        (429, b'{"ok": false, "error_code": 429, "parameters": {"retry_after": 3}}', "retry_after"),
        (
            403,
            b'{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}',
            "unreachable",
        ),
        (
            400,
            b'{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}',
            "unreachable",
        ),
        (
            400,
            b'{"ok": false, "error_code": 400, "description": "Bad Request: message is too long"}',
            "failed",
        ),
        (502, b"<html>Bad Gateway</html>", "transient"),
        (500, b'{"ok": false, "error_code": 500, "description": "Internal Server Error"}', "transient"),
        (200, b"not json", "uncertain"),
    ],
)
def test_telegram_answers_map_to_outcomes(status: int, body: bytes, kind: str) -> None:
    outcome = classify_answer(status, body)
    assert outcome.kind == kind
    if kind == "retry_after":
        assert outcome.seconds == 3.0


@pytest.mark.parametrize("status", [401, 404])
def test_a_refused_token_stops_the_worker(status: int) -> None:
    with pytest.raises(TelegramConfigError):
        classify_answer(status, b'{"ok": false, "error_code": %d, "description": "Unauthorized"}' % status)
