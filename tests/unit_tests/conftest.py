"""Unit-test helpers: a fresh graph with InMemorySaver and a fake model per test."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph import models
from graph.builder import build_graph
from taskagent.settings import reset_settings
from tests.fakes import ScriptedChatModel


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> dict[str, ScriptedChatModel]:
    """Scripted primary and fallback tiers in place of LiteLLM."""
    fakes = {"primary": ScriptedChatModel(), "fallback": ScriptedChatModel()}
    monkeypatch.setenv("TASKAGENT_FALLBACK_MODEL", "openai/scripted-fallback")
    reset_settings()

    def load(tier: str) -> Any:
        return fakes[tier]

    monkeypatch.setattr(models, "load_chat_model", load)
    return fakes


@pytest.fixture
def app() -> Any:
    """A freshly compiled graph with an in-memory checkpointer."""
    return build_graph(checkpointer=InMemorySaver())


@pytest.fixture(autouse=True)
def no_intent_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests load no model: the classifier is off unless a test scripts one."""
    from graph import intents

    monkeypatch.setenv("TASKAGENT_INTENT_CLASSIFIER", "off")
    intents.load_classifier.cache_clear()
