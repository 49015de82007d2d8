"""The CPU engine: llama.cpp in-process through xllamacpp's prebuilt wheel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

MODEL_ALIAS = "taskagent"


class LlamaCppEngine:
    """llama.cpp with one model loaded; ``complete`` blocks, so call it from a thread."""

    def __init__(
        self,
        model_path: Path,
        ctx: int = 2048,
        threads: int | None = None,
        alias: str = MODEL_ALIAS,
    ):
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = ctx
        params.model_alias = {alias}
        params.cpuparams.n_threads = threads or min(os.cpu_count() or 2, 4)
        params.cpuparams_batch.n_threads = params.cpuparams.n_threads
        # llama.cpp's own HTTP listener is not used; keep it on an ephemeral loopback port.
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        self.model_name = alias
        self.model_path = model_path
        self._server = xllamacpp.Server(params)

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._server.handle_chat_completions(request | {"model": self.model_name})
