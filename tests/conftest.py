"""Shared fixtures. Tests that need a trained model use the one `make train` builds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Dict, List

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "models" / "tro-ly.tar.gz"

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL_PATH.exists():
        pytest.fail(f"{MODEL_PATH} is missing: run `make train` (make test does it first)")
    return MODEL_PATH


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


RASA = Path(sys.executable).parent / "rasa"


def start_server(
    args: List[str], env: Dict[str, str], log: IO[bytes], health_url: str, timeout: float = 180
) -> subprocess.Popen:
    """Start a server process and wait until ``health_url`` answers; fail with the log's name."""
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env=dict(os.environ, RASA_TELEMETRY_ENABLED="false", **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{args[:3]} exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(health_url, timeout=5):
                return process
        except OSError:
            time.sleep(0.3)
    stop_process(process)
    raise RuntimeError(f"{args[:3]} did not start in time; see {log.name}")


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """Ask a server to stop (SIGTERM), kill it if it does not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (.ci/run starts one)")
    return url


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    """A real `rasa run actions` on a free port, with its own migrated SQLite database."""
    workdir = tmp_path_factory.mktemp("actions")
    server = ActionServer(workdir)
    yield server
    server.stop()


class ActionServer:
    def __init__(self, workdir: Path) -> None:
        from bot.db import migrate

        self.database_url = f"sqlite:///{workdir / 'actions.db'}"
        migrate(self.database_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self.log = (workdir / "actions.log").open("ab")
        self.process = start_server(
            [str(RASA), "run", "actions", "--actions", "actions", "--port", str(self.port)],
            {"DATABASE_URL": self.database_url},
            self.log,
            f"http://127.0.0.1:{self.port}/health",
        )

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@pytest.fixture
async def kept_sessions_closed() -> AsyncIterator[None]:
    """Close the action-server sessions ``bot.serving`` keeps on this test's event loop.

    Once any test has installed ``bot.serving`` (it patches Rasa for the whole process), Rasa's
    ``EndpointConfig`` keeps one HTTP session per event loop; a test driving an agent in-process
    must close it before pytest closes the test's loop (uvloop refuses to close with open sockets).
    """
    yield
    serving = sys.modules.get("bot.serving")
    if serving is not None:
        await serving.close_kept_sessions()
