"""Real servers for the benchmarks: the action server and the Rasa server, on free local ports.

Both run as subprocesses from the repository root on a temporary migrated SQLite database, the
way ``scripts/run.sh`` starts them (same serving environment: :data:`SERVING_ENV`), except that
the Rasa server gets its own endpoints file pointing at the benchmark's action server. Only
127.0.0.1 is used. ``Assistant(..., workers=2)`` runs several Sanic workers with the Redis lock
store on a throw-away ``redis-server``; ``root`` runs another checkout of the code (e.g. the
previous commit from ``git archive``) for before/after figures in the same run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, List, Optional, Type

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "HF_HUB_OFFLINE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# What scripts/run.sh sets for serving (one TensorFlow thread per process: the models are small,
# and several workers on 2 cores must not oversubscribe them).
SERVING_ENV = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1"}


def serving_env(root: Path) -> Dict[str, str]:
    """:data:`SERVING_ENV` when the checkout's scripts/run.sh sets it (older checkouts did not)."""
    run_sh = root / "scripts" / "run.sh"
    text = run_sh.read_text(encoding="utf-8") if run_sh.exists() else ""
    return dict(SERVING_ENV) if all(name in text for name in SERVING_ENV) else {}


class ServerError(RuntimeError):
    """A server did not start or stopped; the message names its log file."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MiB), from /proc."""
    total_kb = 0
    for one in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def _children(pid: int) -> List[int]:
    found: List[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            found.append(int(kid))
            found.extend(_children(int(kid)))
    return found


def post_message(port: int, sender: str, message: str, timeout: float = 60.0) -> List[Dict[str, Any]]:
    """One message through the REST channel; the bot's replies."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return list(json.loads(response.read()))


class _Process:
    name = "server"

    def __init__(self, workdir: Path, args: List[str], env: Dict[str, str], root: Path = ROOT) -> None:
        self.log_path = workdir / f"{self.name}.log"
        self._log = self.log_path.open("ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(args, cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise ServerError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


class ActionServer(_Process):
    """``rasa run actions --actions actions`` on a free port."""

    name = "actions"

    def __init__(self, workdir: Path, database_url: str, timeout: float = 120.0, root: Path = ROOT) -> None:
        self.port = free_port()
        self.webhook_url = f"http://127.0.0.1:{self.port}/webhook"
        env = dict(os.environ, **QUIET_ENV, **serving_env(root), DATABASE_URL=database_url)
        args = [RASA, "run", "actions", "--actions", "actions", "--port", str(self.port)]
        super().__init__(workdir, args, env, root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise ServerError(f"the action server did not start in {timeout:.0f} s; see {self.log_path}")


class RasaServer(_Process):
    """``rasa run --enable-api`` with a model, talking to ``action_url``.

    Waits until the REST channel answers a first message and records ``first_answer_s``: the time
    from the start of the process to that first answer.
    """

    name = "rasa"

    def __init__(
        self,
        workdir: Path,
        model: Path,
        database_url: str,
        action_url: str,
        label: str = "rasa",
        timeout: float = 240.0,
        first_message: str = "xin chào",
        root: Path = ROOT,
        workers: int = 1,
        redis_url: Optional[str] = None,
    ) -> None:
        self.name = label
        self.port = free_port()
        endpoints = workdir / f"{label}-endpoints.yml"
        endpoints.write_text(
            "tracker_store:\n  type: bot.tracker_store.SettingsTrackerStore\n"
            f'action_endpoint:\n  url: "{action_url}"\n'
            + ("lock_store:\n  type: bot.lock_store.SettingsLockStore\n" if redis_url else ""),
            encoding="utf-8",
        )
        env = dict(os.environ, **QUIET_ENV, **serving_env(root), DATABASE_URL=database_url)
        env.pop("REDIS_URL", None)
        env["SANIC_WORKERS"] = str(workers)
        if redis_url:
            env["REDIS_URL"] = redis_url
        args = [
            RASA,
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(root / "credentials.yml"),
            "--enable-api",
            "--port",
            str(self.port),
        ]
        super().__init__(workdir, args, env, root)
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                replies = post_message(self.port, "bench-first-answer", first_message, timeout=30)
            except (OSError, urllib.error.HTTPError, ValueError):
                time.sleep(0.2)
                continue
            if replies:
                self.first_answer_s = time.monotonic() - self.started_at
                return
            time.sleep(0.2)
        self.stop()
        raise ServerError(f"{label} gave no first answer in {timeout:.0f} s; see {self.log_path}")


class RedisServer(_Process):
    """Debian's ``redis-server`` on a free port, nothing saved to disk."""

    name = "redis"

    def __init__(self, workdir: Path, timeout: float = 30.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/1"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        super().__init__(workdir, args, dict(os.environ))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise ServerError(f"redis-server did not start in {timeout:.0f} s; see {self.log_path}")


class Assistant:
    """An action server and a Rasa server sharing one fresh, migrated SQLite database.

    ``workers`` > 1 starts a Redis server for the lock store; ``root`` is the code checkout to run.
    """

    def __init__(
        self, workdir: Path, model: Path, label: str = "rasa", root: Path = ROOT, workers: int = 1
    ) -> None:
        from bot.db import migrate

        workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = f"sqlite:///{workdir / 'bench.db'}"
        migrate(self.database_url)
        self.redis: Optional[RedisServer] = RedisServer(workdir) if workers > 1 else None
        self.actions: Optional[ActionServer] = None
        try:
            self.actions = ActionServer(workdir, self.database_url, root=root)
            self.rasa = RasaServer(
                workdir,
                model,
                self.database_url,
                self.actions.webhook_url,
                label,
                root=root,
                workers=workers,
                redis_url=self.redis.url if self.redis else None,
            )
        except BaseException:
            if self.actions is not None:
                self.actions.stop()
            if self.redis is not None:
                self.redis.stop()
            raise

    @property
    def port(self) -> int:
        return self.rasa.port

    def stop(self) -> None:
        self.rasa.stop()
        if self.actions is not None:
            self.actions.stop()
        if self.redis is not None:
            self.redis.stop()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()
