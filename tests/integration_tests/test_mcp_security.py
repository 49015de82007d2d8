"""The MCP HTTP server's limits, against a running `taskagent mcp --transport http`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration_tests.api_server import SECRET, running
from ui.api.security import create_token

pytestmark = pytest.mark.integration

ACCEPT = {"Accept": "application/json, text/event-stream"}


def list_tools(http: httpx.Client, url: str, user: str, uid: int) -> httpx.Response:
    token = create_token(user, uid, SECRET, minutes=10)
    return http.post(
        url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers=ACCEPT | {"Authorization": f"Bearer {token}"},
    )


def test_mcp_http_requests_are_rate_limited_per_user_and_bodies_capped(tmp_path: Path) -> None:
    with (
        running(
            ["mcp", "--transport", "http"],
            tmp_path / "data",
            "/mcp",
            MCP_RATE_LIMIT="5",
            TASKAGENT_INTENT_CLASSIFIER="off",
        ) as base,
        httpx.Client(timeout=60) as http,
    ):
        url = base + "/mcp"
        codes = [list_tools(http, url, "alice", 1).status_code for _ in range(6)]
        assert 429 not in codes[:5] and codes[5] == 429, codes
        assert list_tools(http, url, "bob", 2).status_code != 429  # per user, not global

        token = create_token("carol", 3, SECRET, minutes=10)
        big = http.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "create_task", "arguments": {"title": "x" * 70_000}},
            },
            headers=ACCEPT | {"Authorization": f"Bearer {token}"},
        )
        assert big.status_code == 413
