"""Process-wide settings: model tiers, router behaviour and agent limits.

One YAML file (``taskagent.yaml``, or the file named by ``TASKAGENT_CONFIG``) holds
the defaults; environment variables override single values, so secrets never need
to be written down. The per-run knobs live in :mod:`graph.context`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TIER_ORDER = ("primary", "fallback", "emergency")
MODEL_TIERS = ("primary", "fallback")
_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TierSettings:
    """How to reach one model tier through LiteLLM."""

    name: str
    model: str
    api_base: str = ""
    api_key: str = ""
    timeout: float = 10.0
    max_tokens: int = 200
    managed: bool = False  # start the embedded server for this endpoint when it is down

    @property
    def enabled(self) -> bool:
        return bool(self.model)


@dataclass(frozen=True)
class RouterSettings:
    num_retries: int = 1
    retry_after: int = 0
    allowed_fails: int = 2
    cooldown_time: float = 30


@dataclass(frozen=True)
class Settings:
    tiers: dict[str, TierSettings] = field(default_factory=dict)
    router: RouterSettings = field(default_factory=RouterSettings)
    agent: dict[str, Any] = field(default_factory=dict)


def config_path() -> Path:
    return Path(os.environ.get("TASKAGENT_CONFIG", _ROOT / "taskagent.yaml"))


def _env(name: str, default: Any) -> Any:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return type(default)(value) if default is not None and not isinstance(default, str) else value


def _tier(name: str, raw: dict[str, Any]) -> TierSettings:
    prefix = f"TASKAGENT_{name.upper()}_"
    api_key = os.environ.get(prefix + "API_KEY", "")
    if name == "fallback" and not api_key:
        api_key = os.environ.get("OPENAI_API_KEY", "")
    return TierSettings(
        name=name,
        model=_env(prefix + "MODEL", str(raw.get("model") or "")),
        api_base=_env(prefix + "API_BASE", str(raw.get("api_base") or "")),
        api_key=api_key or ("sk-local" if name == "primary" else ""),
        timeout=_env(prefix + "TIMEOUT", float(raw.get("timeout", 10))),
        max_tokens=_env(prefix + "MAX_TOKENS", int(raw.get("max_tokens", 200))),
        managed=str(_env(prefix + "MANAGED", str(raw.get("managed", False)))).lower()
        in ("1", "true", "yes"),
    )


def _load(path: Path, env_items: tuple[tuple[str, str], ...]) -> Settings:
    raw: dict[str, Any] = yaml.safe_load(path.read_text()) if path.exists() else {}
    models = raw.get("models") or {}
    router = raw.get("router") or {}
    return Settings(
        tiers={name: _tier(name, models.get(name) or {}) for name in MODEL_TIERS},
        router=RouterSettings(
            num_retries=_env("TASKAGENT_ROUTER_NUM_RETRIES", int(router.get("num_retries", 1))),
            retry_after=int(router.get("retry_after", 0)),
            allowed_fails=_env(
                "TASKAGENT_ROUTER_ALLOWED_FAILS", int(router.get("allowed_fails", 2))
            ),
            cooldown_time=_env("TASKAGENT_ROUTER_COOLDOWN", float(router.get("cooldown_time", 30))),
        ),
        agent=dict(raw.get("agent") or {}),
    )


_cached_load = cache(_load)


def load_settings() -> Settings:
    """Settings for the current file and environment (re-read when either changes)."""
    relevant = tuple(
        sorted((k, v) for k, v in os.environ.items() if k.startswith(("TASKAGENT_", "OPENAI_")))
    )
    return _cached_load(config_path(), relevant)


def primary_endpoint() -> tuple[str, str, str]:
    """(api_base, served model name, api key) of the primary tier."""
    tier = load_settings().tiers["primary"]
    name = tier.model.split("/", 1)[1] if tier.model.startswith("openai/") else tier.model
    return tier.api_base, name, tier.api_key or "sk-local"
