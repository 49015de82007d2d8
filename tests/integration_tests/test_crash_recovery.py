"""Data safety: an agent killed between a tool's commit and its checkpoint neither loses
nor duplicates the write when the thread is resumed.

A real subprocess runs one agent turn through ``graph.agent`` on the rule tier and dies
by SIGKILL right after ``create_task`` commits (the ``TASKAGENT_TEST_KILL_AFTER_COMMIT``
hook), before LangGraph can checkpoint the execute step. A second process resumes the
thread the LangGraph way (``ainvoke(None)`` re-runs the unfinished step).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from taskagent.settings import database_url
from taskagent.store import store_for
from taskagent.tools import KILL_AFTER_COMMIT_ENV
from tests.integration_tests.conftest import ROOT

pytestmark = pytest.mark.integration

THREAD = "crash-1"

TURN = """
import asyncio
from graph.agent import open_agent

async def main():
    async with open_agent(warm=False) as agent:
        await agent.ask({message!r}, thread_id={thread!r}, user="alice")

asyncio.run(main())
"""

RESUME = """
import asyncio, json
from graph.agent import open_agent

async def main():
    async with open_agent(warm=False) as agent:
        config = {{"configurable": {{"thread_id": {thread!r}}}}}
        before = await agent.graph.aget_state(config)
        output = await agent.graph.ainvoke(
            None, config, context=agent.context("alice", None, None)
        )
        print(json.dumps({{
            "next_before": list(before.next),
            "tool_results": output.get("tool_results") or [],
            "response": str(output["messages"][-1].content),
        }}, default=str))

asyncio.run(main())
"""


def python(code: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != KILL_AFTER_COMMIT_ENV}
    environment |= {
        "TASKAGENT_DATA_DIR": str(data_dir),
        "TASKAGENT_TIERS": "emergency",
        "TASKAGENT_INTENT_CLASSIFIER": "off",  # rules only: the same plan on every run
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def alice_tasks() -> list[dict[str, object]]:
    store = store_for(database_url())
    with store.session() as session:
        from sqlalchemy import select

        from taskagent.db import Task, User

        rows = session.execute(
            select(Task.id, Task.title)
            .join(User, Task.owner_id == User.id)
            .where(User.username == "alice")
        ).all()
    return [{"id": row.id, "title": row.title} for row in rows]


def test_a_write_killed_before_its_checkpoint_is_neither_lost_nor_duplicated(
    isolated_data_dir: Path,
) -> None:
    crashed = python(
        TURN.format(message="add a task to call the bank", thread=THREAD),
        isolated_data_dir,
        **{KILL_AFTER_COMMIT_ENV: "create_task"},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    committed = alice_tasks()
    assert len(committed) == 1, "the write committed before the kill"

    resumed = python(RESUME.format(thread=THREAD), isolated_data_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    report = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert report["next_before"] == ["execute"], "the kill landed before execute's checkpoint"

    assert alice_tasks() == committed, "resuming must not run the committed write again"
    (result,) = report["tool_results"]
    assert result["ok"] and result["result"]["task"]["id"] == committed[0]["id"]
    assert f"#{committed[0]['id']}" in report["response"]


def test_the_kill_hook_is_inert_unless_set(isolated_data_dir: Path) -> None:
    done = python(
        TURN.format(message="add a task to call the bank", thread="t2"), isolated_data_dir
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(alice_tasks()) == 1
