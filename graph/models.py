"""The model-tier client: primary and fallback models as ``langchain_openai.ChatOpenAI``.

Every model tier speaks the OpenAI chat API: our embedded llama.cpp adapter, vLLM, a hosted
model, or the LiteLLM proxy (``taskagent proxy``) in front of any other provider. ChatOpenAI
brings the timeout, the retries and the parsing of tool calls (arguments that are not JSON land
in ``invalid_tool_calls`` with the raw text, so verify counts them and asks for one repair), and
the plan node calls every tier the same way (``bind_tools(...).ainvoke(...)``), so unit tests
can swap in a fake chat model. Tier order and fallthrough are the graph's job (plan → fallback
node); this module adds a small circuit breaker so a tier that keeps failing is skipped for
``cooldown_time`` seconds instead of costing a timeout on every turn. (LiteLLM's Router has
cooldowns too, but only for calls made through it; the graph must see a tier's state to skip
it, log why and report it in ``/health``.)
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from taskagent.settings import MODEL_TIERS, Settings, TierSettings, get_settings

log = logging.getLogger(__name__)

# The LiteLLM proxy must not try to download its cost map: these machines are offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")


class TierError(RuntimeError):
    """A model tier could not produce an answer; the message says why, in one line."""


def openai_model_name(model: str) -> str:
    """``openai/taskagent`` is LiteLLM's spelling (kept in settings for the proxy's config);
    the OpenAI API itself wants ``taskagent``."""
    return model.removeprefix("openai/")


def chat_model_for(tier: TierSettings, num_retries: int) -> ChatOpenAI:
    """A ChatOpenAI client for one tier's endpoint."""
    api_key = tier.api_key.get_secret_value()
    return ChatOpenAI(
        model=openai_model_name(tier.model),
        base_url=tier.api_base or None,
        # a local endpoint needs no key, but the client insists on one; a hosted one without
        # its own key reads OPENAI_API_KEY, as the OpenAI SDK does
        api_key=api_key or ("not-needed" if tier.api_base else None),  # type: ignore[arg-type]
        timeout=tier.timeout,
        max_retries=num_retries,
        temperature=0,
        max_tokens=tier.max_tokens,  # type: ignore[call-arg]
        # the plan node needs the whole call before it can verify it: never stream, even
        # inside a graph run whose events are streamed
        disable_streaming=True,
    )


def describe_failure(exc: BaseException) -> str:
    """A short category for why a tier (or a health check) failed: down, slow, or garbage.

    It reaches users (tier logs, ``/health``), so it never carries the exception's text,
    which can hold hosts, credentials or keys; that goes to the server log instead.
    """
    name = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else ""
    log.warning("model tier failure: %s: %s", name, text[:500])
    lowered = (name + " " + text).lower()
    if "timeout" in lowered or "timed out" in lowered:
        return "timed out"
    if any(
        marker in lowered
        for marker in (
            "connection refused",
            "connecterror",
            "connection error",
            "all connection attempts",
            "name or service not known",
        )
    ):
        return "unreachable (connection refused)"
    if "json" in lowered or "decode" in lowered or "choices" in lowered:
        return "returned a malformed response"
    if "ratelimit" in lowered or "429" in lowered:
        return "rate limited"
    if any(
        marker in lowered for marker in ("auth", "401", "403", "api key", "api_key", "permission")
    ):
        return "refused the credentials"
    return "failed unexpectedly (details in the server log)"


# --- clients and circuit breaker -----------------------------------------------------

# One client per distinct tier configuration: evals re-read the settings per case, and each
# client holds its own connection pool.
_clients: dict[str, BaseChatModel] = {}
_failures: dict[str, list[float]] = {}
_cooldown_until: dict[str, float] = {}


def litellm_model_list(
    settings: Settings, names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One LiteLLM deployment per enabled model tier (``names`` renames the groups)."""
    names = names or {}
    return [
        {
            "model_name": names.get(name, name),
            "litellm_params": {
                "model": tier.model if "/" in tier.model else f"openai/{tier.model}",
                "api_base": tier.api_base or None,
                "api_key": tier.api_key.get_secret_value() or None,
                "timeout": tier.timeout,
                "stream_timeout": tier.timeout,
                "max_retries": 0,  # the router retries; the SDK must not retry on top
            },
        }
        for name, tier in settings.tiers.items()
        if tier.enabled
    ]


PROXY_NAMES = {"primary": "taskagent", "fallback": "taskagent-fallback"}


def litellm_proxy_config(settings: Settings) -> dict[str, Any]:
    """The LiteLLM proxy config for external OpenAI clients: model ``taskagent`` is the
    primary tier and fails over to the fallback tier with the same timeouts and retries.
    (The rule-based emergency tier lives in the agent, not behind the proxy.)"""
    model_list = litellm_model_list(settings, PROXY_NAMES)
    router: dict[str, Any] = {
        "num_retries": settings.router.num_retries,
        "retry_after": settings.router.retry_after,
        "allowed_fails": settings.router.allowed_fails,
        "cooldown_time": settings.router.cooldown_time,
    }
    if settings.tiers["fallback"].enabled:
        router["fallbacks"] = [{PROXY_NAMES["primary"]: [PROXY_NAMES["fallback"]]}]
    for entry in model_list:  # keep secrets out of the written file: read them from the env
        tier = "primary" if entry["model_name"] == PROXY_NAMES["primary"] else "fallback"
        if entry["litellm_params"].get("api_key"):
            entry["litellm_params"]["api_key"] = f"os.environ/TASKAGENT_{tier.upper()}_API_KEY"
    return {
        "model_list": model_list,
        "router_settings": router,
        "litellm_settings": {"drop_params": True},
    }


def enabled_tiers(settings: Settings | None = None) -> list[str]:
    settings = settings or get_settings()
    return [name for name in MODEL_TIERS if settings.tiers[name].enabled]


def load_chat_model(tier: str) -> BaseChatModel:
    """The chat model for a model tier (primary or fallback)."""
    settings = get_settings()
    if tier not in MODEL_TIERS or not settings.tiers[tier].enabled:
        raise TierError(f"{tier} tier is not configured")
    config = settings.tiers[tier]
    key = json.dumps(
        [tier, config.model_dump(), config.api_key.get_secret_value(), settings.router.num_retries],
        default=str,
    )
    if key not in _clients:
        _clients[key] = chat_model_for(config, settings.router.num_retries)
    return _clients[key]


def warm(tiers: list[str] | None = None) -> None:
    """Build the tiers' clients now, so the first turn is not slowed by it."""
    for tier in enabled_tiers():
        if tiers is None or tier in tiers:
            load_chat_model(tier)


def tier_gate(tier: str) -> str | None:
    """Why ``tier`` must be skipped right now, or None if it may be tried."""
    if tier == "emergency":
        return None
    settings = get_settings()
    if tier not in settings.tiers or not settings.tiers[tier].enabled:
        return "not configured"
    remaining = _cooldown_until.get(tier, 0) - time.monotonic()
    if remaining > 0:
        return f"cooling down after repeated failures ({remaining:.0f}s left)"
    return None


def record_failure(tier: str) -> None:
    """Count a failure; after ``allowed_fails`` in a row the tier cools down."""
    if tier == "emergency":
        return
    router = get_settings().router
    now = time.monotonic()
    recent = [t for t in _failures.get(tier, []) if now - t < max(router.cooldown_time, 1)] + [now]
    _failures[tier] = recent
    if len(recent) >= router.allowed_fails:
        _cooldown_until[tier] = now + router.cooldown_time
        _failures[tier] = []


def record_success(tier: str) -> None:
    _failures.pop(tier, None)
    _cooldown_until.pop(tier, None)


def reset_circuit() -> None:
    """Forget all failures and cooldowns (tests, `reset` in the REPL)."""
    _failures.clear()
    _cooldown_until.clear()
