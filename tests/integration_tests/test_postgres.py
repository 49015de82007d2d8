"""DATABASE_URL switches both the task store and the checkpointer to PostgreSQL.

Needs a real server: `.ci/run` installs and starts one and exports
TASKAGENT_TEST_POSTGRES_URL (a role allowed to create databases).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from graph.agent import open_agent
from taskagent.settings import reset_settings
from tests.conftest import NOW

ADMIN_URL = os.environ.get("TASKAGENT_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(
    not ADMIN_URL, reason="TASKAGENT_TEST_POSTGRES_URL is not set (CI sets it)"
)


@pytest.fixture
def postgres_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import psycopg

    name = f"taskagent_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    reset_settings()
    yield url
    from taskagent.settings import database_url
    from taskagent.store import store_for

    store_for(database_url()).engine.dispose()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_store_and_checkpoints_live_in_postgres(postgres_db: str, isolated_data_dir) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    async with open_agent() as agent:
        first = await agent.ask(
            "Create a high-priority task to review the Q4 budget due Friday",
            thread_id="pg",
            now=NOW,
        )
    assert first.tool_calls[0]["result"]["task"]["id"] == 1
    # A second agent (a restart) finds the thread in Postgres and resolves "it".
    async with open_agent() as agent:
        second = await agent.ask("make it urgent", thread_id="pg", now=NOW)
    assert second.tool_calls[0]["arguments"] == {"task_id": 1, "priority": "urgent"}
    with psycopg.connect(postgres_db) as conn:
        assert conn.execute("SELECT title, priority FROM tasks").fetchall() == [
            ("Review the Q4 budget", "urgent")
        ]
        assert (
            conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = 'pg'").fetchone()[0]
            > 0
        )
    assert not (isolated_data_dir / "taskagent.db").exists()  # nothing went to SQLite
