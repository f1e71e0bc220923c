"""A tiny local HTTP server speaking just enough of the Elasticsearch 8 API for the real client."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple


@dataclass
class StubCluster:
    requests: List[Tuple[str, str, Any]] = field(default_factory=list)
    indices: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # name → {"aliases": set, "docs": {}}
    bulk_fail_ids: Set[str] = field(default_factory=set)
    search_status: int = 200
    search_hits: List[Dict[str, Any]] = field(default_factory=list)

    def calls(self) -> List[Tuple[str, str]]:
        return [(method, path) for method, path, _ in self.requests if path != "/"]


def _handler(cluster: StubCluster) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            if not raw:
                return None
            if self.path.split("?")[0].endswith("_bulk"):
                return [json.loads(line) for line in raw.splitlines() if line.strip()]
            return json.loads(raw)

        def _route(self) -> None:
            path = self.path.split("?")[0]
            body = self._body()
            cluster.requests.append((self.command, path, body))
            parts = [p for p in path.split("/") if p]
            if not parts:
                return self._send(200, {"version": {"number": "8.19.0"}, "tagline": "You Know, for Search"})
            if parts == ["_bulk"]:
                return self._bulk(body or [])
            if parts == ["_aliases"]:
                for action in body["actions"]:
                    ((kind, spec),) = action.items()
                    aliases = cluster.indices[spec["index"]]["aliases"]
                    (aliases.add if kind == "add" else aliases.discard)(spec["alias"])
                return self._send(200, {"acknowledged": True})
            if parts[0] == "_alias":
                owners = {
                    n: {"aliases": {parts[1]: {}}}
                    for n, i in cluster.indices.items()
                    if parts[1] in i["aliases"]
                }
                if not owners:
                    return self._send(404, {"error": f"alias [{parts[1]}] missing", "status": 404})
                return self._send(200, owners)
            if len(parts) == 1 and self.command == "PUT":
                cluster.indices[parts[0]] = {"aliases": set(), "docs": {}, "body": body}
                return self._send(200, {"acknowledged": True, "index": parts[0]})
            if len(parts) == 1 and self.command == "DELETE":
                cluster.indices.pop(parts[0], None)
                return self._send(200, {"acknowledged": True})
            if parts[-1] == "_refresh":
                return self._send(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
            if parts[-1] == "_search":
                if cluster.search_status != 200:
                    error = {"type": "search_phase_execution_exception", "reason": "all shards failed"}
                    return self._send(
                        cluster.search_status, {"error": error, "status": cluster.search_status}
                    )
                return self._send(200, {"took": 1, "timed_out": False, "hits": {"hits": cluster.search_hits}})
            return self._send(400, {"error": f"stub does not know {self.command} {path}", "status": 400})

        def _bulk(self, lines: List[Dict[str, Any]]) -> None:
            items = []
            for meta, source in zip(lines[::2], lines[1::2], strict=True):
                ((op, spec),) = meta.items()
                doc_id = spec["_id"]
                if doc_id in cluster.bulk_fail_ids:
                    error = {"type": "mapper_parsing_exception", "reason": "failed to parse field [body]"}
                    items.append(
                        {op: {"_index": spec["_index"], "_id": doc_id, "status": 400, "error": error}}
                    )
                else:
                    cluster.indices[spec["_index"]]["docs"][doc_id] = source
                    items.append(
                        {op: {"_index": spec["_index"], "_id": doc_id, "status": 201, "result": "created"}}
                    )
            errors = any("error" in next(iter(i.values())) for i in items)
            self._send(200, {"took": 1, "errors": errors, "items": items})

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _route

    return Handler


class StubServer:
    def __init__(self, cluster: Optional[StubCluster] = None) -> None:
        self.cluster = cluster or StubCluster()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.cluster))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
