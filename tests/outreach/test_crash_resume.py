"""Exactly-once in practice: the real worker as a subprocess, killed with SIGKILL mid-campaign,
restarted; every subscriber gets one message except the few reported 'uncertain', none gets two.
On PostgreSQL, two workers at once never send a message twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import make_engine
from bot.outreach.models import deliveries_t

from .conftest import ROOT, add_subscribers, clean_postgres
from .helpers import start_campaign, states

CONCURRENCY = 8


def worker_env(database_url: str, base_url: str, rate: int = 200) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN="123:CRASHTEST",
        TELEGRAM_API_BASE_URL=base_url,
        OUTREACH_TELEGRAM_RATE=str(rate),
        OUTREACH_CONCURRENCY=str(CONCURRENCY),
        OUTREACH_BATCH_SIZE="50",
        OUTREACH_QUIET_START="00:00",
        OUTREACH_QUIET_END="00:00",  # equal: no quiet hours in this test
        OUTREACH_KILL_SWITCH="false",
        LOG_LEVEL="WARNING",
    )
    return env


def start_worker(env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "outreach", "worker", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_kill_9_mid_campaign_then_restart_sends_each_message_at_most_once(sqlite_url, standin) -> None:
    engine = make_engine(sqlite_url)
    chats = [str(5_000 + i) for i in range(300)]
    add_subscribers(engine, chats)
    campaign_id = start_campaign(engine, "chịu lỗi")
    standin.call(lambda state: setattr(state, "delay", 0.03))  # keep some sends in flight
    env = worker_env(sqlite_url, standin.base_url)

    first = start_worker(env)
    try:
        wait_until(lambda: sum(standin.state.delivered.values()) >= 100, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    delivered_at_kill = sum(standin.state.delivered.values())
    assert delivered_at_kill < len(chats), "the worker finished before it could be killed"

    second = start_worker(env, "--until-idle")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()

    final = states(engine, campaign_id)
    uncertain = {chat for chat, state in final.items() if state == "uncertain"}
    delivered = standin.state.delivered
    assert all(count == 1 for count in delivered.values()), "a subscriber received two messages"
    assert len(uncertain) <= CONCURRENCY  # at most the sends in flight at the kill
    for chat in chats:
        if chat not in uncertain:
            assert final[chat] == "sent"
            assert delivered.get(chat) == 1
    # The attempt is committed before the HTTP call, so anything not uncertain was provably re-queued.
    assert set(final.values()) <= {"sent", "uncertain"}
    engine.dispose()


@pytest.mark.postgres
def test_two_workers_on_postgres_never_double_send(postgres_url, standin, tmp_path: Path) -> None:
    engine = clean_postgres(postgres_url)
    chats = [str(9_000 + i) for i in range(600)]
    add_subscribers(engine, chats)
    campaign_id = start_campaign(engine, "hai worker")
    standin.call(lambda state: setattr(state, "delay", 0.005))
    # Hold every send until both workers have claimed work: on a loaded machine the second worker
    # may start after the first has sent all 600 at 200/s, and then there is nothing to share.
    standin.call(lambda state: state.close_gate())
    env = worker_env(postgres_url, standin.base_url, rate=200)
    env["OUTREACH_SEND_TIMEOUT_SECONDS"] = "120"  # a held send must not time out into 'uncertain'

    workers = [
        start_worker(env, "--until-idle", "--name", f"w{i}", "--stats-json", str(tmp_path / f"w{i}.json"))
        for i in range(2)
    ]

    def claimers() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count(sa.distinct(deliveries_t.c.worker_id)))).scalar()

    try:
        try:
            wait_until(lambda: claimers() == 2, timeout=90)
        finally:
            standin.call(lambda state: state.open_gate())
        for worker in workers:
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err.decode()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)

    assert standin.state.delivered == {chat: 1 for chat in chats}
    assert set(states(engine, campaign_id).values()) == {"sent"}
    sent_by = [json.loads((tmp_path / f"w{i}.json").read_text())["outcomes"].get("sent", 0) for i in range(2)]
    assert sum(sent_by) == len(chats)
    assert min(sent_by) > 0, f"one worker did all the work: {sent_by}"
    assert claimers() == 2
    engine.dispose()
