"""A scripted OpenAI-compatible chat server on loopback, for failover tests.

It speaks real HTTP so the tier client (ChatOpenAI), timeouts and parsing are exercised for
real; only the model's answers are scripted. Modes: ``ok`` (queued replies),
``slow`` (sleeps past the client's timeout), ``garbage`` (200 with a non-JSON body),
``error`` (HTTP 500).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tool_reply(*calls: tuple[str, dict[str, Any] | str]) -> dict[str, Any]:
    """A chat.completion body proposing tool calls (a str argument is sent verbatim)."""
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{i}",
                            "type": "function",
                            "function": {
                                "name": name,
                                "arguments": args if isinstance(args, str) else json.dumps(args),
                            },
                        }
                        for i, (name, args) in enumerate(calls)
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is the point of the "slow" mode


class ScriptedServer:
    def __init__(self, mode: str = "ok", delay: float = 5.0):
        self.mode = mode
        self.delay = delay
        self.replies: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(
                    200, json.dumps({"object": "list", "data": [{"id": "scripted"}]}).encode()
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                if server.mode == "slow":
                    time.sleep(server.delay)
                if server.mode == "garbage":
                    return self._send(200, b"<html>definitely not json", "text/html")
                if server.mode == "error":
                    return self._send(500, b'{"error": {"message": "boom"}}')
                reply = server.replies.pop(0) if server.replies else tool_reply(("list_tasks", {}))
                self._send(200, json.dumps(reply).encode())

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
