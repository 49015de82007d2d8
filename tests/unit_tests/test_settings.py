"""taskagent.settings: one module, a section per concern, read once.

The YAML file gives the defaults, an environment variable beats it (an empty one counts as
unset), a bad value is a ConfigError that names the variable and never echoes the value, and
nothing changes until reset_settings().
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graph.context import Context
from taskagent.settings import (
    APISettings,
    ConfigError,
    database_url,
    get_settings,
    postgres_url,
    primary_endpoint,
    reset_settings,
)

KEY = "k" * 40
YAML = """
models:
  primary: {model: openai/mine, api_base: "http://h:1/v1", timeout: 3, managed: false,
            api_key: sk-in-the-file}
  fallback: {model: openai/other, max_tokens: 50}
router: {num_retries: 4, cooldown_time: 7}
agent: {max_repairs: 2, arbitration: "off"}
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "taskagent.yaml"
    path.write_text(YAML)
    monkeypatch.setenv("TASKAGENT_CONFIG", str(path))
    for name in ("TASKAGENT_MAX_REPAIRS", "TASKAGENT_ARBITRATION", "TASKAGENT_TIERS"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    return path


def test_the_shipped_yaml_gives_the_defaults() -> None:
    settings = get_settings()
    primary, fallback = settings.tiers["primary"], settings.tiers["fallback"]
    assert (primary.model, primary.timeout, primary.max_tokens, primary.managed) == (
        "openai/taskagent",
        8,
        128,
        True,
    )
    assert not fallback.enabled and fallback.timeout == 20
    assert (settings.router.num_retries, settings.router.cooldown_time) == (1, 30)
    assert primary_endpoint() == ("http://127.0.0.1:8765/v1", "taskagent", "sk-local")


def test_another_yaml_file_through_taskagent_config(config_file: Path) -> None:
    settings = get_settings()
    primary, fallback = settings.tiers["primary"], settings.tiers["fallback"]
    assert (primary.model, primary.api_base, primary.timeout, primary.managed) == (
        "openai/mine",
        "http://h:1/v1",
        3,
        False,
    )
    assert primary.api_key.get_secret_value() == "sk-local"  # keys never come from the file
    assert fallback.enabled and fallback.max_tokens == 50
    assert (settings.router.num_retries, settings.router.cooldown_time) == (4, 7)
    assert (Context().max_repairs, Context().arbitration) == (2, "off")


def test_the_environment_beats_the_file_and_an_empty_variable_is_unset(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKAGENT_PRIMARY_TIMEOUT", "9.5")
    monkeypatch.setenv("TASKAGENT_PRIMARY_MANAGED", "yes")
    monkeypatch.setenv("TASKAGENT_PRIMARY_API_BASE", "")
    monkeypatch.setenv("TASKAGENT_ROUTER_COOLDOWN", "11")
    monkeypatch.setenv("TASKAGENT_MAX_REPAIRS", "3")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    reset_settings()
    settings = get_settings()
    primary = settings.tiers["primary"]
    assert (primary.timeout, primary.managed, primary.api_base) == (9.5, True, "http://h:1/v1")
    assert settings.router.cooldown_time == 11 and Context().max_repairs == 3
    assert settings.tiers["fallback"].api_key.get_secret_value() == "sk-openai"
    monkeypatch.setenv("TASKAGENT_FALLBACK_API_KEY", "sk-own")
    reset_settings()
    assert get_settings().tiers["fallback"].api_key.get_secret_value() == "sk-own"


def test_settings_are_read_once_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("TASKAGENT_HISTORY_MESSAGES", "9")
    assert get_settings() is first and Context().history_messages == 4
    reset_settings()
    assert get_settings() is not first and Context().history_messages == 9


def test_an_explicit_context_field_wins_over_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    monkeypatch.setenv("TASKAGENT_NOW", "2026-01-02T03:04:05")
    reset_settings()
    assert Context().tier_order() == ["emergency"] and Context().now == "2026-01-02T03:04:05"
    assert Context(tiers="primary,emergency").tier_order() == ["primary", "emergency"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TASKAGENT_PRIMARY_TIMEOUT", "sk-secret-soon"),
        ("TASKAGENT_PRIMARY_MANAGED", "sk-secret-maybe"),
        ("TASKAGENT_ROUTER_COOLDOWN", "sk-secret-later"),
        ("TASKAGENT_MAX_PLAN_STEPS", "sk-secret-many"),
    ],
)
def test_a_bad_value_names_its_variable_and_not_the_value(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    reset_settings()
    with pytest.raises(ConfigError, match=variable) as raised:
        get_settings()
    assert "sk-secret" not in str(raised.value) and raised.value.__cause__ is None


def test_a_bad_value_in_the_file_is_a_config_error_too(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text("agent: {max_repairs: lots}\n")
    reset_settings()
    with pytest.raises(ConfigError, match=r"TASKAGENT_MAX_REPAIRS.*integer") as raised:
        get_settings()
    assert str(config_file) in str(raised.value)


def test_the_api_section_needs_a_long_secret_key_unless_dev(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SECRET_KEY", "TASKAGENT_DEV"):
        monkeypatch.delenv(name, raising=False)
    get_settings()  # everything but the API works without SECRET_KEY
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        _ = get_settings().api
    monkeypatch.setenv("SECRET_KEY", "short")
    reset_settings()
    with pytest.raises(ConfigError, match="too short"):
        _ = get_settings().api
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("TASKAGENT_DEV", "1")
    reset_settings()
    api = get_settings().api
    generated = api.secret_key.get_secret_value()
    assert api.dev_mode and len(generated) == 64 and get_settings().api is api
    assert "throwaway SECRET_KEY" in capsys.readouterr().out
    assert generated not in repr(get_settings()) + repr(api)


def test_the_api_section_reads_its_limits_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", KEY)
    monkeypatch.setenv("TOKEN_RATE_LIMIT", "7")
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    monkeypatch.setenv("TRUSTED_PROXIES", " 10.0.0.1, 10.1.0.0/16 ,")
    reset_settings()
    api = get_settings().api
    assert (api.token_rate_limit, api.max_body_bytes) == (7, 1024)
    assert api.trusted_proxies == ("10.0.0.1", "10.1.0.0/16")
    assert KEY not in repr(api) and api.algorithm == "HS256"
    assert APISettings(secret_key=KEY, token_rate_limit=100).token_rate_limit == 100
    monkeypatch.setenv("AGENT_RATE_LIMIT", "ten")
    reset_settings()
    with pytest.raises(ConfigError, match="AGENT_RATE_LIMIT"):
        _ = get_settings().api


def test_the_database_section(isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_url() == f"sqlite:///{isolated_data_dir / 'taskagent.db'}"
    assert postgres_url() is None and isolated_data_dir.is_dir()
    monkeypatch.setenv("DATABASE_URL", " postgres://u:p@h/db ")
    reset_settings()
    assert database_url() == "postgresql+psycopg://u:p@h/db"
    assert postgres_url() == "postgres://u:p@h/db"


def test_the_cli_reports_a_bad_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui import cli

    for name in ("SECRET_KEY", "TASKAGENT_DEV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["taskagent", "api", "--port", "1"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.startswith("error: SECRET_KEY is not set")
    assert "Traceback" not in err


def test_rereading_the_settings_keeps_one_client_per_tier_configuration() -> None:
    """Evals re-read the settings per case; a client per read would open a connection pool
    per case."""
    from graph.models import load_chat_model

    first = load_chat_model("primary")
    reset_settings()
    assert load_chat_model("primary") is first


def test_a_tier_is_a_chat_openai_client_on_its_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_openai import ChatOpenAI

    from graph.models import load_chat_model

    monkeypatch.setenv("TASKAGENT_PRIMARY_MODEL", "openai/taskagent")
    monkeypatch.setenv("TASKAGENT_PRIMARY_API_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("TASKAGENT_PRIMARY_TIMEOUT", "3")
    reset_settings()
    model = load_chat_model("primary")
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "taskagent" and model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.request_timeout == 3 and model.temperature == 0
