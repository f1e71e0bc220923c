"""The outreach worker: claims due deliveries in batches and sends them through rate-limited
channel senders, committing the attempt before each HTTP call and the result right after it.

One message per chat is in flight at a time; every database call runs on one dedicated thread
so the event loop keeps sending while SQL runs. Memory is bounded by the batch size and the
rates, never by the number of subscribers.

Throughput: the rate limiter right before the HTTP call (the lane's gate) is the only pacing.
Upstream of it a few sends per lane are kept prepared — their attempt already committed — so a
slow commit (an fsync on a busy disk, a batch claim) does not leave the gate idle: an idle gate is
rate lost for good, since the limiter never lets a burst make up for it. Attempts and results are
committed together, one transaction per round (see batching.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
import os
import resource
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.outreach import campaigns, reminders
from bot.outreach.batching import SendJournal
from bot.outreach.config import OutreachConfig
from bot.outreach.guards import kill_switch_on
from bot.outreach.limits import PerChatSpacing, RateLimiter
from bot.outreach.models import CampaignState, DeliveryState, campaigns_t, deliveries_t, utcnow
from bot.outreach.senders.base import Sender, SendOutcome
from bot.outreach.senders.telegram import TelegramConfigError
from bot.outreach.store import Claimed, DeliveryStore

log = logging.getLogger(__name__)
T = TypeVar("T")

HOUSEKEEPING_SECONDS = 1.0
RULES_SECONDS = 3600.0
IDLE_POLL_SECONDS = 0.5
# Sends kept prepared ahead of each lane's gate, in seconds of its rate (at least a few, at most
# the configured concurrency). A worker killed mid-run leaves at most these plus the sends in
# flight 'uncertain'.
PREPARE_AHEAD_SECONDS = 0.5
MIN_PREPARED = 4


class WorkerLockError(RuntimeError):
    """Another worker already runs on this SQLite database."""


@dataclass
class WorkerStats:
    outcomes: dict[str, int] = field(default_factory=dict)
    requeued_at_start: int = 0
    uncertain_at_start: int = 0
    stopped_because: str = ""
    peak_rss_kb: int = 0

    def count(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Lane:
    """Per-channel queue of claimed rows, with the channel's limits and the chats in flight."""

    def __init__(self, sender: Sender, rate: float, spacing: PerChatSpacing, concurrency: int) -> None:
        self.sender = sender
        # The strict limiter, right before the HTTP call.
        self.gate = RateLimiter(rate)
        # Sends dispatched but not yet through the gate (their attempt is being or was committed).
        self.prepared = asyncio.Semaphore(
            min(concurrency, max(MIN_PREPARED, math.ceil(rate * PREPARE_AHEAD_SECONDS)))
        )
        self.spacing = spacing
        self.pending: deque[Claimed] = deque()
        self.busy: set[str] = set()
        self.wakeup = asyncio.Event()

    def pick(self) -> tuple[Claimed | None, float]:
        """The first row whose chat is free and rested, else (None, seconds worth waiting)."""
        wait = 1.0
        for _ in range(len(self.pending)):
            row = self.pending.popleft()
            ready_in = 0.0 if row.chat_id not in self.busy else 0.05
            ready_in = max(ready_in, self.spacing.ready_in(row.chat_id))
            if ready_in <= 0:
                return row, 0.0
            wait = min(wait, ready_in)
            self.pending.append(row)
        return None, wait


def _sqlite_path(engine: Engine) -> str | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return None if not database or database == ":memory:" else database


class Worker:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        config: OutreachConfig,
        *,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_result: Callable[[str], None] | None = None,
        timezone_name: str = "Asia/Ho_Chi_Minh",
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.config = config
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self.on_result = on_result
        self.timezone_name = timezone_name
        self.store = DeliveryStore(engine, self.worker_id, config)
        self.stats = WorkerStats()
        self._stopping = False
        self._halted = False
        self._fatal: BaseException | None = None
        self._lock_file: Any = None

    # --- running --------------------------------------------------------------------------------
    def request_stop(self) -> None:
        self._stopping = True

    async def run(self, *, until_idle: bool = False, max_seconds: float | None = None) -> WorkerStats:
        """Send until stopped (SIGINT/SIGTERM, ``max_seconds``), or with ``until_idle`` until nothing
        is left to send now (also when quiet hours or the kill switch block sending)."""
        self._take_sqlite_lock()
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outreach-db")
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._lanes = {
            channel: _Lane(
                sender,
                self.config.limits[channel].rate,
                PerChatSpacing(self.config.limits[channel].per_chat_rate),
                self.config.concurrency,
            )
            for channel, sender in self.senders.items()
        }
        self._journal: SendJournal[int, tuple[Claimed, SendOutcome]] = SendJournal(self._write_journal)
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.request_stop)
                installed.append(sig)
        try:
            reconciled = await self._db(self.store.reconcile, self.clock(), not self.store.is_postgres)
            self.stats.requeued_at_start = reconciled.requeued
            self.stats.uncertain_at_start = reconciled.uncertain
            if reconciled.uncertain:
                log.warning(
                    "%d deliveries were in flight when a worker stopped: marked 'uncertain', not resent "
                    "(see `python -m bot outreach report`)",
                    reconciled.uncertain,
                )
            for sender in self.senders.values():
                await sender.start()
            self._journal.start()
            dispatchers = [asyncio.create_task(self._dispatch(lane)) for lane in self._lanes.values()]
            try:
                await self._main_loop(until_idle, max_seconds)
            finally:
                self._stopping = True
                for lane in self._lanes.values():
                    lane.wakeup.set()
                await asyncio.gather(*dispatchers, return_exceptions=True)
                if self._inflight:
                    await asyncio.gather(*self._inflight, return_exceptions=True)
                await self._release_held()
                await self._journal.stop()
                for sender in self.senders.values():
                    with contextlib.suppress(Exception):
                        await sender.close()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            self._db_thread.shutdown(wait=True)
            self._release_sqlite_lock()
            self.stats.peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self._fatal is not None:
            raise self._fatal
        return self.stats

    async def _main_loop(self, until_idle: bool, max_seconds: float | None) -> None:
        started = time.monotonic()
        last_housekeeping = last_rules = last_lease = -1e9
        while not self._stopping and self._fatal is None:
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                self.stats.stopped_because = "max_seconds"
                return
            tick = time.monotonic()
            now = self.clock()
            blocked = await self._blocked(now)
            if blocked:
                if not self._halted:
                    log.info("outreach sending stopped: %s", blocked)
                self._halted = True
                await self._release_held()
                if until_idle:
                    self.stats.stopped_because = blocked
                    return
                await asyncio.sleep(IDLE_POLL_SECONDS)
                continue
            self._halted = False
            if tick - last_rules >= RULES_SECONDS:
                last_rules = tick
                await self._db(reminders.run_id_card_rule, self.engine, now, self.timezone_name)
            if tick - last_housekeeping >= HOUSEKEEPING_SECONDS:
                last_housekeeping = tick
                await self._db(campaigns.activate_due, self.engine, now)
                await self._db(campaigns.finish_due, self.engine, now)
                await self._drop_held_of_stopped_campaigns()
            if tick - last_lease >= self.config.lease.total_seconds() / 3:
                last_lease = tick
                await self._db(self.store.renew_leases, now)
                if self.store.is_postgres:  # rows of a worker that died elsewhere
                    await self._db(self.store.reconcile, now, False)
            held = self._held_count()
            if held < self.config.batch_size:
                claimed = await self._db(self.store.claim, now, self.config.batch_size)
                for row in claimed:
                    lane = self._lanes.get(row.channel)
                    if lane is None:
                        await self._db(
                            self.store.record_results,
                            [(row, SendOutcome.failed(f"no sender configured for {row.channel}"))],
                            self.clock(),
                        )
                        continue
                    lane.pending.append(row)
                    lane.wakeup.set()
                if claimed:
                    continue
            if until_idle and self._held_count() == 0 and not self._inflight:
                if not await self._db(self._work_left, self.clock()):
                    await self._db(campaigns.finish_due, self.engine, self.clock())
                    self.stats.stopped_because = "idle"
                    return
            await asyncio.sleep(0.02 if self._held_count() else IDLE_POLL_SECONDS / 5)

    async def _dispatch(self, lane: _Lane) -> None:
        while not self._stopping:
            if self._halted:
                await asyncio.sleep(0.05)
                continue
            row, wait = lane.pick()
            if row is None:
                lane.wakeup.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(lane.wakeup.wait(), timeout=wait)
                continue
            await lane.prepared.acquire()
            await self._slots.acquire()
            if self._halted or self._stopping:
                self._slots.release()
                lane.prepared.release()
                lane.pending.appendleft(row)
                continue
            lane.busy.add(row.chat_id)
            lane.spacing.record(row.chat_id)
            task = asyncio.create_task(self._deliver(lane, row))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _deliver(self, lane: _Lane, row: Claimed) -> None:
        prepared = True
        try:
            try:
                ours = await self._journal.attempt(row.id)
            except Exception:
                log.exception("could not record the attempt of delivery %s; not sending it", row.id)
                return  # stays 'sending' without an attempt: re-queued by reconciliation
            if not ours:
                return  # no longer ours (lease lost): never send
            await lane.gate.acquire()
            lane.prepared.release()
            prepared = False
            try:
                outcome = await asyncio.wait_for(
                    lane.sender.send(row.chat_id, row.text, row.buttons or None),
                    timeout=self.config.send_timeout + 5,
                )
            except asyncio.TimeoutError:
                outcome = SendOutcome.uncertain("send did not finish in time")
            except TelegramConfigError as exc:
                # The token was refused: nothing was delivered. Retry later, stop this worker.
                outcome = SendOutcome.transient(str(exc))
                self._fatal = exc
                self._stopping = True
            except Exception as exc:
                log.exception("sender raised for delivery %s", row.id)
                outcome = SendOutcome.uncertain(f"sender error: {type(exc).__name__}")
            if outcome.kind == "retry_after":
                lane.gate.pause(outcome.seconds)
            await self._journal.result((row, outcome))
            self.stats.count(outcome.kind)
            if self.on_result is not None:
                self.on_result(outcome.kind)
        finally:
            if prepared:
                lane.prepared.release()
            lane.busy.discard(row.chat_id)
            self._slots.release()
            lane.wakeup.set()

    # --- helpers --------------------------------------------------------------------------------
    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db_thread, lambda: fn(*args))

    async def _write_journal(
        self, ids: Sequence[int], results: Sequence[tuple[Claimed, SendOutcome]]
    ) -> list[bool]:
        ours = await self._db(self.store.write_journal, list(ids), list(results), self.clock())
        return [i in ours for i in ids]

    async def _blocked(self, now: datetime) -> str:
        if await self._db(kill_switch_on, self.engine, self.config.kill_switch):
            return "kill_switch"
        if self.config.quiet_hours.is_quiet(now):
            return "quiet_hours"
        return ""

    def _held_count(self) -> int:
        return sum(len(lane.pending) for lane in self._lanes.values())

    async def _release_held(self) -> None:
        ids = [row.id for lane in self._lanes.values() for row in lane.pending]
        for lane in self._lanes.values():
            lane.pending.clear()
        if ids:
            await self._db(self.store.release, ids, self.clock())

    async def _drop_held_of_stopped_campaigns(self) -> None:
        campaign_ids = {r.campaign_id for lane in self._lanes.values() for r in lane.pending if r.campaign_id}
        if not campaign_ids:
            return
        states = await self._db(self.store.campaign_states, campaign_ids)
        stopped = {cid for cid, state in states.items() if state != CampaignState.RUNNING}
        if not stopped:
            return
        ids: list[int] = []
        for lane in self._lanes.values():
            keep = deque(r for r in lane.pending if r.campaign_id not in stopped)
            ids += [r.id for r in lane.pending if r.campaign_id in stopped]
            lane.pending = keep
        await self._db(self.store.release, ids, self.clock())
        # Cancelled campaigns: what was released is closed like the rest of their queue.
        for cid in stopped:
            if states[cid] == CampaignState.CANCELLED:
                await self._db(_close_cancelled, self.engine, cid)

    def _work_left(self, now: datetime) -> bool:
        d, c = deliveries_t.c, campaigns_t.c
        with self.engine.connect() as conn:
            open_rows = conn.execute(
                sa.select(d.id)
                .select_from(deliveries_t.outerjoin(campaigns_t, c.id == d.campaign_id))
                .where(
                    d.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
                    sa.or_(d.campaign_id.is_(None), c.state == CampaignState.RUNNING),
                )
                .limit(1)
            ).first()
            due_campaign = conn.execute(
                sa.select(c.id)
                .where(c.state == CampaignState.SCHEDULED, sa.or_(c.start_at.is_(None), c.start_at <= now))
                .limit(1)
            ).first()
        return open_rows is not None or due_campaign is not None

    def _take_sqlite_lock(self) -> None:
        path = _sqlite_path(self.engine)
        if path is None:
            return
        lock_path = Path(path + ".outreach-worker.lock")
        handle = lock_path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WorkerLockError(
                f"another outreach worker is running on {path}; SQLite allows one worker "
                "(use PostgreSQL via DATABASE_URL for several)"
            ) from None
        self._lock_file = handle

    def _release_sqlite_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None


def _close_cancelled(engine: Engine, campaign_id: int) -> None:
    d = deliveries_t.c
    with engine.begin() as conn:
        conn.execute(
            deliveries_t.update()
            .where(d.campaign_id == campaign_id, d.state == DeliveryState.QUEUED)
            .values(state=DeliveryState.CANCELLED, last_error="campaign cancelled", updated_at=utcnow())
        )
