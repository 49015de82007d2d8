"""Finding 6: health reports and tier logs carry a short category, never raw exception text.

The exception's text (which can hold hosts, DSNs, keys) goes to the server log only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import graph.health as health
from graph.models import describe_failure
from taskagent.settings import reset_settings

SECRET = "postgresql://admin:hunter2@10.0.0.7/tasks"


class Broken:
    """A chat model (and a store) whose every call fails with a secret in the message."""

    def __init__(self, exc: Exception):
        self.exc = exc

    async def ainvoke(self, *_: Any) -> Any:
        raise self.exc

    def ping(self) -> None:
        raise self.exc


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError(f"could not connect to {SECRET}"),
        ValueError(f"bad key sk-live-1234 for {SECRET}"),
        KeyError(SECRET),
    ],
)
def test_describe_failure_never_echoes_the_exception_text(
    exc: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    reason = describe_failure(exc)
    assert "hunter2" not in reason and "sk-live" not in reason and "10.0.0.7" not in reason
    assert len(reason) < 60
    assert "hunter2" in caplog.text


def test_describe_failure_still_names_the_common_categories() -> None:
    assert describe_failure(TimeoutError(f"read from {SECRET} timed out")) == "timed out"
    assert describe_failure(ConnectionError(f"Connection refused: {SECRET}")).startswith(
        "unreachable"
    )


async def test_the_deep_health_report_has_categories_not_exception_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TASKAGENT_FALLBACK_MODEL", "openai/some-fallback")
    reset_settings()
    monkeypatch.setattr(
        health, "load_chat_model", lambda tier: Broken(RuntimeError(f"{tier} via {SECRET}"))
    )
    monkeypatch.setattr(health, "default_store", lambda: Broken(OSError(f"cannot open {SECRET}")))
    report = await health.check_health()
    text = json.dumps(report)
    assert "hunter2" not in text and "10.0.0.7" not in text
    assert report["database"]["status"] == "down" and report["database"]["error"]
    assert report["tiers"]["primary"]["status"] == "down"
    assert report["tiers"]["fallback"]["status"] == "down"
    assert "hunter2" in caplog.text  # details for the operator, in the server log
