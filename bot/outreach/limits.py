"""Rate limits measured on sliding windows, so no window of one second ever holds more than the
limit (a token bucket would allow twice the limit across a refill boundary)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

# Extra length added to each window to absorb scheduling and network jitter between our clock and
# the platform's: about three message intervals, at least 20 ms, at most 100 ms.
MIN_WINDOW_MARGIN = 0.02
MAX_WINDOW_MARGIN = 0.1


def window_margin(rate: float) -> float:
    return max(MIN_WINDOW_MARGIN, min(MAX_WINDOW_MARGIN, 3.0 / rate))


# A short window caps bursts at a tenth of the rate, which spreads sends evenly inside the second.
BURST_FRACTION = 0.1
# Messages held back per window on top of the margin, so that scheduling jitter on either side (a
# busy CPU delays one send and not the next) cannot squeeze one more message into a one-second
# window at the platform: at least one, half a percent at high rates. (It was 2 %, on top of the
# margin: the two together capped 1,000/s at 961/s before any other loss.)
HEADROOM = 0.005


def per_window(rate: float) -> int:
    """Sends allowed per (one second + margin) window."""
    return max(1, math.floor(rate) - max(1, math.ceil(rate * HEADROOM)))


class _Window:
    def __init__(self, count: int, seconds: float) -> None:
        self.count = max(1, count)
        self.seconds = seconds
        self.times: deque[float] = deque(maxlen=self.count)

    def wait(self, now: float) -> float:
        if len(self.times) < self.count:
            return 0.0
        return max(0.0, self.times[0] + self.seconds - now)


class RateLimiter:
    """At most ``rate`` sends in any window of one second; ``pause(seconds)`` stops everything
    (used for a platform's RetryAfter). Memory is bounded by the rate, not by the traffic."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        margin = window_margin(rate)
        per_second = per_window(rate)
        self.windows = [_Window(per_second, 1.0 + margin)]
        burst = math.ceil(per_second * BURST_FRACTION)
        if burst >= 2:  # same rate as the one-second window, over a tenth of the time
            self.windows.append(_Window(burst, burst / per_second * (1.0 + margin)))
        if rate < 1:  # e.g. 0.5/s: one send per 1/rate seconds
            self.windows = [_Window(1, 1.0 / rate + margin)]
        self.paused_until = 0.0
        self._turn = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def delay(self) -> float:
        now = self.clock()
        return max([self.paused_until - now, *(w.wait(now) for w in self.windows)])

    async def acquire(self) -> None:
        # One waiter at a time, first come first served: with hundreds of sends queued at the
        # gate, waking them all for every free slot would cost more CPU than the sends.
        async with self._turn:
            while True:
                wait = self.delay()
                if wait <= 0:
                    now = self.clock()
                    for window in self.windows:
                        window.times.append(now)
                    return
                await asyncio.sleep(wait)


class PerChatSpacing:
    """Minimum interval between two sends to the same chat; forgets chats once it has passed."""

    def __init__(self, per_chat_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_chat_rate + MIN_WINDOW_MARGIN
        self.clock = clock
        self.next_ok: dict[str, float] = {}
        self._last_prune = 0.0

    def ready_in(self, chat_id: str) -> float:
        until = self.next_ok.get(chat_id)
        return 0.0 if until is None else max(0.0, until - self.clock())

    def record(self, chat_id: str) -> None:
        now = self.clock()
        self.next_ok[chat_id] = now + self.interval
        if now - self._last_prune > self.interval:
            self.next_ok = {chat: t for chat, t in self.next_ok.items() if t > now}
            self._last_prune = now
