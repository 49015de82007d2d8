"""REST API settings, all from the environment (documented in .env.example)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass


class ConfigError(RuntimeError):
    """The service cannot start with this configuration; the message says why."""


@dataclass(frozen=True)
class APISettings:
    secret_key: str
    access_token_expire_minutes: float = 30
    token_rate_limit: int = 5  # per minute, per client IP: /token and /users/signup
    agent_rate_limit: int = 10  # per minute, per user: agent endpoints
    default_rate_limit: int = 300  # per minute: everything else (so every response has headers)
    algorithm: str = "HS256"
    dev_mode: bool = False
    health_rate_limit: int = 6  # per minute, per user: the deep /health check (model pings)
    login_failure_limit: int = 10  # failed sign-ins per account per window, then 429
    login_failure_window_minutes: int = 15
    mcp_rate_limit: int = 60  # per minute, per user: every request to the MCP HTTP server
    max_body_bytes: int = 64 * 1024  # larger request bodies get 413
    # Proxies (IPs or CIDRs) whose X-Forwarded-For is believed; none by default, so the
    # address limits key on is the TCP peer's.
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> APISettings:
        dev = os.environ.get("TASKAGENT_DEV", "").lower() in ("1", "true", "yes")
        key = os.environ.get("SECRET_KEY", "")
        if not key:
            if not dev:
                raise ConfigError(
                    "SECRET_KEY is not set; set it (openssl rand -hex 32) "
                    "or run with TASKAGENT_DEV=1."
                )
            key = secrets.token_hex(32)
            print(
                "dev mode: generated a throwaway SECRET_KEY; tokens will not survive a restart",
                flush=True,
            )
        if len(key) < 32 and not dev:
            raise ConfigError("SECRET_KEY is too short; use at least 32 characters.")
        return cls(
            secret_key=key,
            access_token_expire_minutes=float(os.environ.get("ACCESS_TOKEN_EXPIRE_MINUTES", 30)),
            token_rate_limit=int(os.environ.get("TOKEN_RATE_LIMIT", 5)),
            agent_rate_limit=int(os.environ.get("AGENT_RATE_LIMIT", 10)),
            default_rate_limit=int(os.environ.get("DEFAULT_RATE_LIMIT", 300)),
            dev_mode=dev,
            health_rate_limit=int(os.environ.get("HEALTH_RATE_LIMIT", 6)),
            login_failure_limit=int(os.environ.get("LOGIN_FAILURE_LIMIT", 10)),
            login_failure_window_minutes=int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", 15)),
            mcp_rate_limit=int(os.environ.get("MCP_RATE_LIMIT", 60)),
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", 64 * 1024)),
            trusted_proxies=tuple(
                part.strip()
                for part in os.environ.get("TRUSTED_PROXIES", "").split(",")
                if part.strip()
            ),
        )
