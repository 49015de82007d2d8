"""Integration fixtures: free ports, the CLI as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from taskagent.settings import reset_settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `taskagent ...` in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


@pytest.fixture
def offline_primary(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the primary tier at a closed port so nothing is started or reached."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("TASKAGENT_PRIMARY_API_BASE", url)
    monkeypatch.setenv("TASKAGENT_PRIMARY_MANAGED", "false")
    # the failover path is under test: the arbitration must not settle the turn first
    monkeypatch.setenv("TASKAGENT_ARBITRATION", "off")
    reset_settings()
    return url


@pytest.fixture
def rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the agent on the rule planner alone: CLI tests about plumbing, not models."""
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    reset_settings()
