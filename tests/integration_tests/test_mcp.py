"""The MCP server with the official MCP Python client, over stdio and streamable HTTP."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration_tests.api_server import SECRET, running
from tests.integration_tests.conftest import ROOT
from ui.api.security import create_token

pytestmark = pytest.mark.integration

EXPECTED_TOOLS = {
    "create_task",
    "list_tasks",
    "update_task",
    "complete_task",
    "delete_task",
    "create_project",
    "get_calendar",
    "create_reminder",
    "ask_agent",
}


async def exercise(session) -> None:  # type: ignore[no-untyped-def]
    await session.initialize()
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == EXPECTED_TOOLS
    assert tools["create_task"].inputSchema["required"] == ["title"]
    assert "confirm" in tools["delete_task"].inputSchema["required"]

    created = await session.call_tool(
        "create_task", {"title": "From MCP", "priority": "high", "due_date": "2026-12-01"}
    )
    assert not created.isError
    task = json.loads(created.content[0].text)["task"]
    assert task["priority"] == "high" and task["due_date"] == "2026-12-01"

    bad = await session.call_tool("create_task", {"title": "x", "priority": "super"})
    assert bad.isError and "priority must be one of" in bad.content[0].text

    unconfirmed = await session.call_tool("delete_task", {"task_id": task["id"]})
    assert unconfirmed.isError and "confirm: true" in unconfirmed.content[0].text

    asked = await session.call_tool("ask_agent", {"message": "show my tasks"})
    turn = json.loads(asked.content[0].text)
    assert turn["tool_calls"][0]["name"] == "list_tasks" and "From MCP" in turn["response"]

    pending = json.loads(
        (await session.call_tool("ask_agent", {"message": f"delete task {task['id']}"}))
        .content[0]
        .text
    )
    assert pending["confirmation_required"] is not None
    done = await session.call_tool(
        "ask_agent", {"message": "", "thread_id": pending["thread_id"], "confirm": True}
    )
    assert json.loads(done.content[0].text)["response"].startswith("Deleted task")


async def test_stdio(tmp_path: Path) -> None:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ui.cli", "mcp"],
        cwd=str(ROOT),
        env={**os.environ, "TASKAGENT_DATA_DIR": str(tmp_path), "TASKAGENT_TIERS": "emergency"},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await exercise(session)


async def test_streamable_http_requires_a_jwt_and_acts_as_its_user(tmp_path: Path) -> None:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    with running(["mcp", "--transport", "http"], tmp_path / "data", "/mcp") as base:
        url = base + "/mcp"
        async with httpx.AsyncClient() as plain:
            anonymous = await plain.post(
                url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"Accept": "application/json, text/event-stream"},
            )
        assert anonymous.status_code == 401
        token = create_token("mcp-user", 1, SECRET, minutes=10)
        async with (
            httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
            streamable_http_client(url, http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await exercise(session)
        expired = create_token("mcp-user", 1, SECRET, minutes=-1)
        async with httpx.AsyncClient() as plain:
            rejected = await plain.post(
                url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={
                    "Authorization": f"Bearer {expired}",
                    "Accept": "application/json, text/event-stream",
                },
            )
        assert rejected.status_code == 401
