"""Every setting in one place, one section per concern: the database, the model tiers and
their router, the agent's run defaults (behind :class:`graph.context.Context`), the REST/MCP API.

``taskagent.yaml`` (or the file ``TASKAGENT_CONFIG`` names) holds the defaults of the tiers,
router and agent; environment variables override single values, so secrets never need to be
written down (``.env.example`` lists every name; an empty one counts as unset).
:func:`get_settings` reads the file and the environment once; :func:`reset_settings` forgets
them (tests, evals that switch data directories). A bad value is a :class:`ConfigError` that
names the variable and never echoes the value; keys are ``SecretStr``, hidden in any repr.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

TIER_ORDER = ("primary", "fallback", "emergency")
MODEL_TIERS = ("primary", "fallback")
_ROOT = Path(__file__).resolve().parent.parent
_CONFIG = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)


class ConfigError(RuntimeError):
    """The service cannot start with this configuration; the message says why."""


class _FromFile(BaseSettings):
    """A section whose defaults come from the YAML file: the environment beats them."""

    model_config = _CONFIG

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(**_CONFIG, str_strip_whitespace=True)

    data_dir: Path = Field(Path(".taskagent"), validation_alias="TASKAGENT_DATA_DIR")
    url: str = Field("", validation_alias="DATABASE_URL")  # PostgreSQL for store + checkpoints
    chat_url: str = Field("", validation_alias="TASKAGENT_CHAT_DATABASE_URL")  # web chat history


class TierSettings(_FromFile):
    """How to reach one model tier's OpenAI-compatible endpoint (``TASKAGENT_PRIMARY_*``,
    ``..._FALLBACK_*``)."""

    model: str = ""
    api_base: str = ""
    api_key: SecretStr = SecretStr("")
    timeout: float = 10.0
    max_tokens: int = 200
    managed: bool = False  # start the embedded server for this endpoint when it is down

    @property
    def enabled(self) -> bool:
        return bool(self.model)


class RouterSettings(_FromFile):
    model_config = SettingsConfigDict(env_prefix="TASKAGENT_ROUTER_")

    num_retries: int = 1
    retry_after: int = 0
    allowed_fails: int = 2
    cooldown_time: float = Field(30, validation_alias="TASKAGENT_ROUTER_COOLDOWN")


class AgentSettings(_FromFile):
    """The defaults of :class:`graph.context.Context`'s fields, from ``TASKAGENT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TASKAGENT_")

    user: str = "local"
    now: str = ""
    tiers: str = ",".join(TIER_ORDER)
    history_messages: int = 4
    max_plan_steps: int = 3
    max_repairs: int = 1
    # Adapters that save history (REST, MCP) refuse longer messages up front, so an oversized
    # one never reaches a checkpoint.
    max_message_chars: int = 4000
    arbitration: str = "rules-first"  # chosen on dev: docs/model.md, the ablation
    classifier_confidence: float = 0.8


class APISettings(BaseSettings):
    """The REST API and MCP over HTTP: SECRET_KEY (32+ characters) unless TASKAGENT_DEV."""

    model_config = _CONFIG
    algorithm: ClassVar[str] = "HS256"

    secret_key: SecretStr = SecretStr("")
    dev_mode: bool = Field(False, validation_alias="TASKAGENT_DEV")
    access_token_expire_minutes: float = 30
    token_rate_limit: int = 5  # per minute, per client IP: /token and /users/signup
    agent_rate_limit: int = 10  # per minute, per user: agent endpoints
    default_rate_limit: int = 300  # per minute: everything else (so every response has headers)
    health_rate_limit: int = 6  # per minute, per user: the deep /health check (model pings)
    login_failure_limit: int = 10  # failed sign-ins per account per window, then 429
    login_failure_window_minutes: int = 15
    mcp_rate_limit: int = 60  # per minute, per user: every request to the MCP HTTP server
    max_body_bytes: int = 64 * 1024  # larger request bodies get 413
    # Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed; none by
    # default, so the address limits key on is the TCP peer's.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return (
            tuple(filter(None, map(str.strip, value.split(","))))
            if isinstance(value, str)
            else value
        )

    @model_validator(mode="after")
    def _check_key(self) -> APISettings:
        if not self.secret_key.get_secret_value():
            if not self.dev_mode:
                raise ConfigError(
                    "SECRET_KEY is not set; set it (openssl rand -hex 32) "
                    "or run with TASKAGENT_DEV=1."
                )
            object.__setattr__(self, "secret_key", SecretStr(secrets.token_hex(32)))
            print(
                "dev mode: generated a throwaway SECRET_KEY; tokens will not survive a restart",
                flush=True,
            )
        if len(self.secret_key.get_secret_value()) < 32 and not self.dev_mode:
            raise ConfigError("SECRET_KEY is too short; use at least 32 characters.")
        return self


@dataclass(frozen=True, eq=False)
class Settings:
    database: DatabaseSettings
    tiers: dict[str, TierSettings]
    router: RouterSettings
    agent: AgentSettings

    @cached_property
    def api(self) -> APISettings:
        """Read on first use: only the API needs SECRET_KEY."""
        return _read(APISettings)


Section = TypeVar("Section", bound=BaseSettings)


def _read(cls: type[Section], prefix: str | None = None, **values: Any) -> Section:
    """One section from the environment over ``values`` (the file's, keyed like its fields)."""
    aliases = {
        name: str(f.validation_alias) for name, f in cls.model_fields.items() if f.validation_alias
    }
    try:
        return cls(
            _env_prefix=prefix, **{aliases.get(k, k): v for k, v in values.items() if v is not None}
        )
    except ValidationError as exc:  # name the variable, never echo the value (it may be a key)
        start = prefix or cls.model_config.get("env_prefix", "")
        reasons = []
        for error in exc.errors(include_input=False):
            name = str(error["loc"][0]) if error["loc"] else ""
            variable = name if name in aliases.values() else (start + name).upper()
            reasons.append(f"{variable}: {error['msg']}")
        source = f"the environment or {config_path()}" if values else "the environment"
        raise ConfigError(f"bad setting in {source}: {'; '.join(reasons)}") from None


def config_path() -> Path:
    return Path(os.environ.get("TASKAGENT_CONFIG") or _ROOT / "taskagent.yaml")


@cache
def get_settings() -> Settings:
    """The settings, read from the file and the environment on first use."""
    path = config_path()
    raw: dict[str, Any] = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
    models = raw.get("models") or {}
    keys = {"primary": "sk-local", "fallback": os.environ.get("OPENAI_API_KEY", "")}
    return Settings(
        database=_read(DatabaseSettings),
        tiers={  # an api_key comes from the environment only, never the file
            name: _read(
                TierSettings,
                f"TASKAGENT_{name.upper()}_",
                **{**(models.get(name) or {}), "api_key": key},
            )
            for name, key in keys.items()
        },
        router=_read(RouterSettings, **(raw.get("router") or {})),
        agent=_read(AgentSettings, **(raw.get("agent") or {})),
    )


def reset_settings() -> None:
    """Forget the settings read so far: the next :func:`get_settings` reads them again."""
    get_settings.cache_clear()


def data_dir() -> Path:
    """The data directory (``TASKAGENT_DATA_DIR``, default ``.taskagent``), created on first use."""
    path = get_settings().database.data_dir.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_url() -> str | None:
    """``DATABASE_URL`` when it points at PostgreSQL, else None."""
    url = get_settings().database.url
    return url if url.startswith(("postgres://", "postgresql://", "postgresql+")) else None


def database_url() -> str:
    """The SQLAlchemy URL of the task store."""
    url = get_settings().database.url
    if not url:
        return f"sqlite:///{data_dir() / 'taskagent.db'}"
    # Accept the libpq spellings and pick the psycopg 3 driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def primary_endpoint() -> tuple[str, str, str]:
    """(api_base, served model name, api key) of the primary tier."""
    tier = get_settings().tiers["primary"]
    name = tier.model.split("/", 1)[1] if tier.model.startswith("openai/") else tier.model
    return tier.api_base, name, tier.api_key.get_secret_value() or "sk-local"
