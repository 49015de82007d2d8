"""The model-tier client: primary and fallback models reached through LiteLLM.

Each model tier is a deployment in one ``litellm.Router`` (per-tier timeout,
retries) wrapped as a LangChain chat model, so the plan node calls any tier the
same way (``bind_tools(...).ainvoke(...)``) and unit tests can swap in a fake chat
model. Tier order and fallthrough are the graph's job (plan → fallback node);
this module adds a small circuit breaker so a tier that keeps failing is skipped
for ``cooldown_time`` seconds instead of costing a timeout on every turn.

LiteLLM is imported lazily: it takes seconds to import, and the emergency tier,
unit tests and ``--help`` never need it.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from taskagent.settings import MODEL_TIERS, Settings, get_settings

log = logging.getLogger(__name__)

# LiteLLM must not try to download its cost map at import: these machines are offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")


class TierError(RuntimeError):
    """A model tier could not produce an answer; the message says why, in one line."""


class RouterChatModel(BaseChatModel):
    """A LangChain chat model that sends every request to one tier of a LiteLLM router."""

    tier: str
    router: Any
    max_tokens: int = 200

    @property
    def _llm_type(self) -> str:
        return "taskagent-litellm-router"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        if tool_choice:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise NotImplementedError("TaskAgent calls model tiers asynchronously")

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request: dict[str, Any] = {
            "model": self.tier,
            "messages": convert_to_openai_messages(messages),
            "temperature": 0,
            "max_tokens": self.max_tokens,
            **kwargs,
        }
        if stop:
            request["stop"] = stop
        try:
            response = await self.router.acompletion(**request)
        except Exception as exc:  # every failure mode becomes one plain line
            raise TierError(describe_failure(exc)) from exc
        return ChatResult(generations=[ChatGeneration(message=to_ai_message(response, self.tier))])


def to_ai_message(response: Any, tier: str) -> AIMessage:
    """Convert an OpenAI-format completion into an AIMessage, keeping bad calls visible.

    Calls whose arguments are not JSON land in ``invalid_tool_calls`` with the raw
    text, so verify can count them and ask for a repair.
    """
    import json

    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError) as exc:
        raise TierError(f"{tier} returned a response without choices") from exc
    calls, invalid = [], []
    for raw in getattr(message, "tool_calls", None) or []:
        function = getattr(raw, "function", None)
        name = getattr(function, "name", None) or ""
        arguments = getattr(function, "arguments", None)
        call_id = getattr(raw, "id", None) or f"call_{uuid.uuid4().hex[:12]}"
        if isinstance(arguments, dict):
            calls.append(tool_call(name=name, args=arguments, id=call_id))
            continue
        try:
            parsed = json.loads(arguments or "{}")
            if not isinstance(parsed, dict):
                raise ValueError("arguments are not a JSON object")
            calls.append(tool_call(name=name, args=parsed, id=call_id))
        except ValueError as exc:
            invalid.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=str(exc)))
    content = getattr(message, "content", None) or ""
    return AIMessage(
        content=content if isinstance(content, str) else json.dumps(content),
        tool_calls=calls,
        invalid_tool_calls=invalid,
        response_metadata={"tier": tier, "model": getattr(response, "model", None)},
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
    if any(marker in lowered for marker in ("auth", "401", "403", "api key", "permission")):
        return "refused the credentials"
    return "failed unexpectedly (details in the server log)"


# --- router and circuit breaker -------------------------------------------------------

# One router per distinct tier configuration: evals re-read the settings per case, and every
# LiteLLM Router registers global callbacks (a router per read hit LiteLLM's limit of 100).
_routers: dict[str, Any] = {}
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


def build_router(settings: Settings) -> Any:
    """A LiteLLM router with one deployment per enabled model tier."""
    from litellm import Router

    return Router(
        model_list=litellm_model_list(settings),
        num_retries=settings.router.num_retries,
        retry_after=int(settings.router.retry_after),
        # Cooldowns are ours (below), per tier, so one tier's outage is visible in state.
        disable_cooldowns=True,
    )


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
    key = json.dumps([litellm_model_list(settings), settings.router.model_dump()], default=str)
    if key not in _routers:
        _routers[key] = build_router(settings)
    return RouterChatModel(
        tier=tier, router=_routers[key], max_tokens=settings.tiers[tier].max_tokens
    )


def warm(tiers: list[str] | None = None) -> None:
    """Import LiteLLM and build the router now, so the first turn is not slowed by it."""
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
