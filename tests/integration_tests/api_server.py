"""Start `taskagent api` (or `taskagent mcp --transport http`) in a real process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.integration_tests.conftest import ROOT, free_port

SECRET = "test-secret-key-0123456789abcdef0123456789abcdef"


@contextmanager
def running(command: list[str], data_dir: Path, probe: str, **env: str) -> Iterator[str]:
    port = free_port()
    log_path = data_dir.parent / f"{command[0]}-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "TASKAGENT_DATA_DIR": str(data_dir),
        "SECRET_KEY": SECRET,
        "TASKAGENT_TIERS": "emergency",
        **env,
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", *command, "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert process.poll() is None, log_path.read_text()[-3000:]
                try:
                    httpx.get(base + probe, timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
