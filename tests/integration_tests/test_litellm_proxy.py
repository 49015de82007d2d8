"""`taskagent proxy`: the LiteLLM proxy over our tiers, used by an external OpenAI client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration_tests.conftest import ROOT, free_port
from tests.integration_tests.scripted_server import ScriptedServer, tool_reply

MASTER_KEY = "sk-test-master-key"


@pytest.fixture
def tiers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with ScriptedServer(mode="ok") as primary, ScriptedServer(mode="ok") as fallback:
        yield primary, fallback


def start_proxy(primary: str, fallback: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "TASKAGENT_DATA_DIR": str(data_dir),
        "TASKAGENT_PRIMARY_API_BASE": primary,
        "TASKAGENT_PRIMARY_MODEL": "openai/scripted",
        "TASKAGENT_FALLBACK_API_BASE": fallback,
        "TASKAGENT_FALLBACK_MODEL": "openai/scripted-fallback",
        "TASKAGENT_FALLBACK_API_KEY": "sk-fallback",
        "TASKAGENT_ROUTER_NUM_RETRIES": "0",
        "LITELLM_MASTER_KEY": MASTER_KEY,
    }
    log = open(data_dir.parent / "proxy.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "proxy", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, (data_dir.parent / "proxy.log").read_text()[-2000:]
        try:
            if httpx.get(base + "/health/liveliness", timeout=1).status_code == 200:
                return process, base + "/v1"
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    pytest.fail("the LiteLLM proxy did not start within 90 s")


@pytest.mark.parametrize("primary_mode", ["ok", "error"])
def test_openai_client_through_the_proxy_fails_over(
    tiers: tuple[ScriptedServer, ScriptedServer], isolated_data_dir: Path, primary_mode: str
) -> None:
    from openai import OpenAI

    primary, fallback = tiers
    primary.mode = primary_mode
    primary.replies = [tool_reply(("list_tasks", {"status": "pending"}))]
    fallback.replies = [tool_reply(("list_tasks", {"status": "completed"}))]
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    process, base = start_proxy(primary.base_url, fallback.base_url, isolated_data_dir)
    try:
        rejected = httpx.post(
            f"{base}/chat/completions",
            headers={"Authorization": "Bearer sk-wrong"},
            json={"model": "taskagent", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert rejected.status_code in (400, 401)
        client = OpenAI(base_url=base, api_key=MASTER_KEY)
        reply = client.chat.completions.create(
            model="taskagent",
            messages=[{"role": "user", "content": "show my tasks"}],
            tools=[
                {
                    "type": "function",
                    "function": {"name": "list_tasks", "parameters": {"type": "object"}},
                }
            ],
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    arguments = reply.choices[0].message.tool_calls[0].function.arguments
    expected = "pending" if primary_mode == "ok" else "completed"
    assert expected in arguments
    assert (len(fallback.requests) == 1) == (primary_mode == "error")


def test_proxy_refuses_to_start_without_a_master_key(isolated_data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "ui.cli", "proxy", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "LITELLM_MASTER_KEY" in done.stderr
