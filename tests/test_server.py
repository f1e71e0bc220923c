"""The real Rasa server: REST channel, HTTP API, conversations kept across a restart."""

from __future__ import annotations

import json
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from tests.conftest import RASA, free_port, start_server, stop_process

pytestmark = pytest.mark.slow


def post(port: int, sender: str, message: str) -> List[Any]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return list(json.loads(response.read()))


def get_json(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


class Server:
    def __init__(self, model: Path, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.log = log.open("ab")
        self.process = start_server(
            [
                str(RASA),
                "run",
                "--model",
                str(model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--enable-api",
                "--port",
                str(self.port),
            ],
            {"DATABASE_URL": database_url},
            self.log,
            f"http://127.0.0.1:{self.port}/status",
        )

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trackers.db'}"


@pytest.fixture
def server(model_path: Path, database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(model_path, database_url, tmp_path / "rasa.log")
    yield running
    running.stop()


def status_of(port: int, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_console_and_outreach_endpoints_are_served_behind_the_login(server: Server) -> None:
    assert status_of(server.port, "/webhooks/console/") in (302, 303)
    assert status_of(server.port, "/webhooks/console/login") == 200
    assert status_of(server.port, "/webhooks/outreach/topics") == 401
    assert status_of(server.port, "/webhooks/outreach/campaigns") == 401


def test_rest_channel_greets_in_every_form_and_restart_keeps_the_conversation(
    server: Server, model_path: Path, database_url: str, tmp_path: Path
) -> None:
    for text in ("xin chào", "xin chao", unicodedata.normalize("NFD", "xin chào")):
        replies = post(server.port, "citizen-1", text)
        assert replies[0]["text"].startswith(("Xin chào!", "Chào bạn!")), replies
    before = get_json(server.port, "/conversations/citizen-1/tracker")
    user_turns = [e for e in before["events"] if e["event"] == "user"]
    assert len(user_turns) == 3

    server.stop()
    restarted = Server(model_path, database_url, tmp_path / "rasa-restarted.log")
    try:
        after = get_json(restarted.port, "/conversations/citizen-1/tracker")
        assert [e["text"] for e in after["events"] if e["event"] == "user"] == [e["text"] for e in user_turns]
        assert post(restarted.port, "citizen-1", "cảm ơn")[0]["text"].startswith("Không có gì")
    finally:
        restarted.stop()
