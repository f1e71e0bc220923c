"""A real HTTP server on 127.0.0.1 that plays scripted answers (one-stop-shop API, Rasa)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Tuple


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list → JSON; str → raw text
    delay: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes


@dataclass
class StubServer:
    """``script[path]`` is a list of answers played in order; the last one repeats."""

    script: Dict[str, List[Answer]] = field(default_factory=dict)
    requests: List[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append(Request(self.command, self.path, dict(self.headers), body))
                path = self.path.split("?", 1)[0]
                answers = stub.script.get(path) or [Answer(404, {"error": "not found"})]
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if answer.delay:
                    time.sleep(answer.delay)
                payload = (
                    answer.body.encode() if isinstance(answer.body, str) else json.dumps(answer.body).encode()
                )
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # do not wait for deliberately slow answers
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Tuple[Any, ...]) -> None:
        self.server.shutdown()
        self.server.server_close()
