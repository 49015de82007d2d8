"""Shared fixtures: every test gets its own data directory, settings read afresh from its
environment, and a clean circuit breaker. Settings are read once: a test or fixture that
changes the environment afterwards calls ``reset_settings()``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import models
from taskagent.settings import reset_settings

NOW = "2026-11-18T10:00:00"  # a Wednesday; "Friday" is 2026-11-20


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TASKAGENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key in list(os.environ):
        if key.startswith(("TASKAGENT_PRIMARY_", "TASKAGENT_FALLBACK_", "TASKAGENT_ROUTER_")):
            monkeypatch.delenv(key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    models.reset_circuit()
    reset_settings()
    yield tmp_path / "data"
    models.reset_circuit()
    reset_settings()
