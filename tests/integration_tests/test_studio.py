"""`langgraph dev` (what LangGraph Studio talks to) serves the graph from langgraph.json."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import NOW
from tests.integration_tests.conftest import ROOT, free_port


@pytest.fixture
def dev_server(isolated_data_dir: Path) -> Iterator[str]:
    port = free_port()
    binary = shutil.which("langgraph") or str(Path(os.sys.executable).parent / "langgraph")
    env = {
        **os.environ,
        "TASKAGENT_TIERS": "emergency",
        "TASKAGENT_DATA_DIR": str(isolated_data_dir),
    }
    log = open(isolated_data_dir.parent / "langgraph-dev.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [binary, "dev", "--port", str(port), "--no-browser", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (
                isolated_data_dir.parent / "langgraph-dev.log"
            ).read_text()[-2000:]
            time.sleep(0.5)
        else:
            pytest.fail("langgraph dev did not start within 90 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_langgraph_dev_serves_the_graph_and_keeps_the_thread(dev_server: str) -> None:
    with httpx.Client(base_url=dev_server, timeout=60) as client:
        assistants = client.post("/assistants/search", json={}).json()
        assert [a["graph_id"] for a in assistants] == ["taskagent"]
        thread = client.post("/threads", json={}).json()["thread_id"]

        def run(text: str) -> dict:
            body = {
                "assistant_id": "taskagent",
                "context": {"now": NOW},
                "input": {"messages": [{"role": "user", "content": text}]},
            }
            return client.post(f"/threads/{thread}/runs/wait", json=body).json()

        first = run("Create a high-priority task to review the Q4 budget due Friday")
        assert "__error__" not in first, first
        assert first["messages"][-1]["content"].startswith("Created task #1")
        assert first["tool_results"][0]["arguments"]["due_date"] == "2026-11-20"
        second = run("make it urgent")
        assert second["tool_results"][0]["arguments"] == {"task_id": 1, "priority": "urgent"}
        assert len(second["messages"]) == 4  # the thread kept the first turn
