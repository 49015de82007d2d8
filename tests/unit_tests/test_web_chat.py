"""The web chat's pure parts: the /tasks table, steps, the answer footer, commands, accounts.

No browser and no Chainlit server here (``tests/integration_tests/test_web_chat.py`` has
those); these are the helpers ``ui/app.py`` is made of.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nodes.execute import CANCELLED
from taskagent.store import default_store
from ui import render
from ui.api.security import verify_password
from ui.cli import app as cli

TASK = {
    "id": 3,
    "title": "Budgeting | Q1",
    "priority": "high",
    "due_date": "2026-11-20",
    "status": "in_progress",
    "project_id": 1,
}


def test_tasks_table_is_markdown_with_one_row_per_task() -> None:
    other = TASK | {"id": 4, "title": "Call Sam", "priority": "normal", "due_date": None}
    table = render.tasks_table([TASK, other | {"project_id": None, "status": "pending"}])
    lines = table.splitlines()
    assert lines[0] == "**Your open tasks (2)**"
    assert lines[2] == "| # | Task | Priority | Due | Status | Project |"
    assert lines[4] == "| 3 | Budgeting \\| Q1 | high | 2026-11-20 | in progress | #1 |"
    assert lines[5] == "| 4 | Call Sam | normal | – | pending | – |"


def test_tasks_table_says_when_there_is_nothing_or_more() -> None:
    assert render.tasks_table([]) == render.NO_TASKS
    assert "showing the first 1" in render.tasks_table([TASK], count=60)


def test_an_execute_step_shows_arguments_and_results_as_json_ready_data() -> None:
    view = render.StepView(node="execute", keys=["tool_results"])
    view.add_call(
        {
            "name": "create_task",
            "arguments": {"title": "Budgeting"},
            "ok": True,
            "result": {"task": {"id": 1}},
        }
    )
    assert view.input() == [{"tool": "create_task", "arguments": {"title": "Budgeting"}}]
    assert view.output() == [{"tool": "create_task", "ok": True, "result": {"task": {"id": 1}}}]
    assert not view.is_error


def test_a_failed_call_marks_the_step_but_a_cancelled_delete_does_not() -> None:
    failed = render.StepView(node="execute")
    failed.add_call(
        {"name": "update_task", "arguments": {}, "ok": False, "result": {"error": "not found"}}
    )
    assert failed.is_error
    cancelled = render.StepView(node="execute")
    cancelled.add_call(
        {"name": "delete_task", "arguments": {}, "ok": False, "result": {"error": CANCELLED}}
    )
    assert not cancelled.is_error


def test_other_nodes_show_the_state_they_updated() -> None:
    view = render.StepView(node="classify", keys=["intents", "route", "tier"])
    assert view.input() == {"node": "classify"}
    assert view.output() == {"updated": ["intents", "route", "tier"]}


def test_the_footer_shows_tier_latency_and_tools() -> None:
    done = {
        "tier": "primary",
        "latency_ms": 812.4,
        "tool_calls": [{"name": "create_task"}],
        "tier_log": [],
    }
    assert render.turn_footer(done) == "*tier: primary · 812 ms · tools: create_task*"


def test_a_fallback_adds_a_small_note_with_the_reason() -> None:
    done = {
        "tier": "emergency",
        "latency_ms": 20_000,
        "tool_calls": [],
        "tier_log": [{"tier": "primary", "outcome": "failed", "reason": "timed out"}],
    }
    footer = render.turn_footer(done)
    assert footer.endswith(
        "*↪ Fallback: answered by the emergency tier (primary failed: timed out).*"
    )
    assert render.fallback_note("emergency", []) is None  # emergency by choice: no note
    long = [{"tier": "primary", "outcome": "failed", "reason": "x" * 500}]
    assert len(render.fallback_note("emergency", long) or "") < 160


def test_commands_come_from_the_menu_or_typed() -> None:
    assert render.parse_command("tasks", "") == "tasks"
    assert render.parse_command(None, " /reset ") == "reset"
    assert render.parse_command(None, "/TASKS") == "tasks"
    assert render.parse_command(None, "show my /tasks") is None
    assert render.parse_command("unknown", "hello") is None


def test_four_starters_and_the_headline_request() -> None:
    assert len(render.STARTERS) == 4
    assert render.STARTERS[0]["message"] == (
        "Create a project Q1 Goals and add a task for budgeting due Friday"
    )


def test_reset_moves_to_a_new_langgraph_thread() -> None:
    assert render.langgraph_thread("abc") == "chat-abc"
    assert render.langgraph_thread("abc", 2) == "chat-abc-r2"


def test_user_add_creates_an_argon2_account_once(isolated_data_dir: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["user", "add", "carol", "--password-stdin"], input="s3cret-pass\n")
    assert done.exit_code == 0, done.output
    account = default_store().find_user("carol")
    assert account and account["password_hash"].startswith("$argon2")
    assert verify_password("s3cret-pass", account["password_hash"])
    again = runner.invoke(cli, ["user", "add", "carol", "--password-stdin"], input="other-pass\n")
    assert again.exit_code == 1
    short = runner.invoke(cli, ["user", "add", "dave", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and default_store().find_user("dave") is None


def test_the_local_default_account_gets_its_first_password_only(
    isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.cli import _local_account

    store = default_store()
    store.ensure_user("local")  # the CLI's password-less user, with its tasks
    monkeypatch.setenv("TASKAGENT_UI_USER", "local")
    monkeypatch.setenv("TASKAGENT_UI_PASSWORD", "first-pass-123")
    _local_account()
    account = store.find_user("local")
    assert account and verify_password("first-pass-123", account["password_hash"])
    monkeypatch.setenv("TASKAGENT_UI_PASSWORD", "attacker-pass")
    _local_account()  # a password already set is never replaced
    account = store.find_user("local")
    assert account and verify_password("first-pass-123", account["password_hash"])


def test_ui_refuses_to_start_without_an_auth_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHAINLIT_AUTH_SECRET", raising=False)
    monkeypatch.setenv("CHAINLIT_ENV_FILE", str(tmp_path / "no.env"))  # keep a local .env out
    done = CliRunner().invoke(cli, ["ui", "--port", "1"])
    assert done.exit_code == 1 and "CHAINLIT_AUTH_SECRET" in done.output


def test_each_node_step_shows_what_the_node_decided() -> None:
    from langchain_core.messages import AIMessage
    from langgraph.types import Overwrite

    from graph.agent import step_detail

    draft = AIMessage(
        content="", tool_calls=[{"name": "list_tasks", "args": {"status": "pending"}, "id": "c0"}]
    )
    plan = step_detail("plan", {"draft": draft, "tier": "primary", "plan_error": None})
    assert plan == {
        "tier": "primary",
        "draft": {"tool_calls": [{"name": "list_tasks", "arguments": {"status": "pending"}}]},
    }
    verify = step_detail(
        "verify", {"json_checks": Overwrite([]), "verify_error": "bad id", "pending_calls": []}
    )
    assert verify == {"verify_error": "bad id"}
    view = render.StepView(node="plan", keys=["draft", "tier"], detail=plan)
    assert view.output() == plan and view.input() == {"node": "plan"}
