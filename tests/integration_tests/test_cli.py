"""The `taskagent` CLI in real processes: JSON shape, memory across restarts, confirmations."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import NOW
from tests.integration_tests.conftest import run_cli

HEADLINE = "Create a high-priority task to review the Q4 budget due Friday"


def ask_json(*args: str) -> dict:
    done = run_cli("ask", "--json", "--now", NOW, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ask_json_creates_the_task_and_answers_in_one_sentence(offline_primary: str) -> None:
    out = ask_json(HEADLINE, "--thread", "cli")
    assert set(out) >= {"response", "tool_calls", "tier", "latency_ms"}
    call = out["tool_calls"][0]
    assert call["name"] == "create_task"
    assert call["arguments"] == {
        "title": "Review the Q4 budget",
        "priority": "high",
        "due_date": "2026-11-20",
    }
    assert call["result"]["task"]["id"] == 1
    assert out["response"].count(". ") == 0 and out["response"].endswith(".")
    assert out["tier"] == "emergency" and out["tier_log"][0]["tier"] == "primary"


def test_a_thread_survives_a_process_restart(rules_only: None, isolated_data_dir: Path) -> None:
    first = ask_json(HEADLINE, "--thread", "memory")
    task_id = first["tool_calls"][0]["result"]["task"]["id"]
    # A brand-new process: only the SQLite checkpoint links the two turns.
    second = ask_json("actually make it urgent", "--thread", "memory")
    assert second["tool_calls"][0]["name"] == "update_task"
    assert second["tool_calls"][0]["arguments"] == {"task_id": task_id, "priority": "urgent"}
    assert (isolated_data_dir / "checkpoints.sqlite").exists()
    # Another thread has no such memory: "it" means nothing there, so it asks.
    other = ask_json("make it urgent", "--thread", "elsewhere")
    assert [call["name"] for call in other["tool_calls"]] == ["list_tasks"]
    assert "Which task" in other["response"]


def test_delete_asks_and_no_cancels(rules_only: None) -> None:
    ask_json("add a task to renew the passport", "--thread", "del")
    cancelled = ask_json("delete task 1", "--thread", "del", "--no")
    assert cancelled["response"] == "Okay, I didn't delete anything."
    listed = ask_json("show my tasks", "--thread", "del")
    assert listed["tool_calls"][0]["result"]["count"] == 1


def test_a_pending_delete_can_be_confirmed_later(rules_only: None) -> None:
    ask_json("add a task to renew the passport", "--thread", "later")
    pending = ask_json("delete task 1", "--thread", "later")  # no tty, no --yes: it waits
    assert pending["confirmation_required"]["tool_calls"] == [
        {"name": "delete_task", "arguments": {"task_id": 1}}
    ]
    done = run_cli("confirm", "yes", "--thread", "later", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["response"].startswith("Deleted task #1")
    nothing = run_cli("confirm", "yes", "--thread", "later")
    assert nothing.returncode == 1 and "Nothing is waiting" in nothing.stderr


def test_bad_now_is_a_one_line_error(rules_only: None) -> None:
    done = run_cli("ask", "hello", "--now", "yesterday-ish")
    assert done.returncode == 2 and "ISO datetime" in done.stderr and "Traceback" not in done.stderr


def test_chat_repl_shows_tools_tier_and_latency(rules_only: None) -> None:
    script = "add a task to book flights\nshow my tasks\nhealth\nquit\n"
    done = run_cli("chat", "--tiers", "emergency", stdin=script)
    assert done.returncode == 0, done.stderr
    assert "Created task #1 “Book flights”" in done.stdout
    assert "[tools: create_task · tier: emergency" in done.stdout
    assert '"database"' in done.stdout and "Bye." in done.stdout


def test_health_reports_each_tier(offline_primary: str) -> None:
    done = run_cli("health", "--json")
    report = json.loads(done.stdout)
    assert report["database"]["status"] == "up"
    assert report["tiers"]["primary"]["status"] == "down"
    assert report["tiers"]["fallback"]["status"] == "disabled"
    assert report["status"] == "degraded" and done.returncode == 0
