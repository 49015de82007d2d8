"""Chat history on the project database: Chainlit's data layer on our ``chainlit_*`` tables.

The data layer runs against a real SQLite file (the task store's); the same round trip
on PostgreSQL is in ``tests/integration_tests/test_chat_history_postgres.py``.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

import pytest

from taskagent.settings import reset_settings
from ui.render import langgraph_thread


@pytest.fixture
def store_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``ui.chainlit_store``, imported with Chainlit's app root and .env kept out of the repo."""
    monkeypatch.setenv("CHAINLIT_APP_ROOT", str(tmp_path / "chainlit-root"))
    (tmp_path / "chainlit-root").mkdir()
    monkeypatch.setenv("CHAINLIT_ENV_FILE", str(tmp_path / "no.env"))
    from ui import chainlit_store

    return chainlit_store


def test_every_statement_is_pointed_at_the_prefixed_tables(store_module: Any) -> None:
    prefix = store_module.prefix_tables
    assert prefix("SELECT * FROM users WHERE identifier = :i") == (
        "SELECT * FROM chainlit_users WHERE identifier = :i"
    )
    assert prefix('INSERT INTO threads ("id") VALUES (:id)').startswith(
        "INSERT INTO chainlit_threads"
    )
    assert prefix("UPDATE users SET x = 1") == "UPDATE chainlit_users SET x = 1"
    nested = 'DELETE FROM feedbacks WHERE "forId" IN (SELECT "id" FROM steps WHERE x)'
    assert prefix(nested) == (
        'DELETE FROM chainlit_feedbacks WHERE "forId" IN (SELECT "id" FROM chainlit_steps WHERE x)'
    )
    joined = "FROM threads t LEFT JOIN steps s ON t.id = s.threadId JOIN elements e"
    assert prefix(joined) == (
        "FROM chainlit_threads t LEFT JOIN chainlit_steps s ON t.id = s.threadId "
        "JOIN chainlit_elements e"
    )
    # Columns and already-prefixed names are left alone.
    assert (
        prefix('SELECT "userId" FROM chainlit_threads') == 'SELECT "userId" FROM chainlit_threads'
    )


def test_async_urls_follow_the_store_url(store_module: Any) -> None:
    async_url = store_module.async_url
    assert async_url("sqlite:////data/taskagent.db") == "sqlite+aiosqlite:////data/taskagent.db"
    assert async_url("postgresql+psycopg://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert async_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"


async def round_trip(store_module: Any, url: str | None = None) -> None:
    """Users, threads, steps and feedback through the data layer, as Chainlit calls it."""
    from chainlit.types import Feedback, Pagination, ThreadFilter
    from chainlit.user import User

    layer = store_module.make_data_layer(url)
    store_module.make_data_layer(url)  # creating the tables twice is fine
    try:
        alice = await layer.create_user(User(identifier="alice", metadata={"p": "credentials"}))
        assert alice is not None and alice.identifier == "alice"
        thread_id = str(uuid.uuid4())
        await layer.update_thread(
            thread_id,
            name="Plan Q1",
            user_id=alice.id,
            metadata={"langgraph_thread": langgraph_thread(thread_id)},
        )
        step: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "threadId": thread_id,
            "name": "execute",
            "type": "tool",
            "streaming": False,
            "input": '[{"tool": "create_task"}]',
            "output": '[{"ok": true}]',
            "showInput": "json",
            "language": "json",
            "createdAt": "2026-11-18T10:00:00Z",
            "start": "2026-11-18T10:00:00Z",
            "end": "2026-11-18T10:00:01Z",
            "metadata": {},
            "defaultOpen": False,
            "autoCollapse": False,
            "isError": False,
        }
        # Outside a Chainlit session, call the method under its "queue until the
        # first message" decorator.
        await type(layer).create_step.__wrapped__(layer, step)
        await layer.upsert_feedback(Feedback(forId=step["id"], value=1, threadId=thread_id))

        thread = await layer.get_thread(thread_id)
        assert thread is not None and thread["name"] == "Plan Q1"
        assert thread["userIdentifier"] == "alice"
        metadata = thread["metadata"]
        if isinstance(metadata, str):  # SQLite hands JSON back as text
            import json

            metadata = json.loads(metadata)
        assert metadata["langgraph_thread"] == f"chat-{thread_id}"
        [saved] = thread["steps"]
        assert (saved["name"], saved["output"], saved["feedback"]["value"]) == (  # type: ignore[index]
            "execute",
            '[{"ok": true}]',
            1,
        )
        assert await layer.get_thread_author(thread_id) == "alice"

        bob = await layer.create_user(User(identifier="bob"))
        assert bob is not None
        listed = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=alice.id))
        assert [t["id"] for t in listed.data] == [thread_id]
        nothing = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=bob.id))
        assert nothing.data == []

        await layer.delete_thread(thread_id)
        assert await layer.get_thread(thread_id) is None
    finally:
        await layer.close()


async def test_the_data_layer_round_trips_on_its_own_database(
    store_module: Any, isolated_data_dir: Path
) -> None:
    await round_trip(store_module)
    # Chat history has its own SQLite file; the task store's database is not touched.
    assert (isolated_data_dir / "chat.db").exists()
    assert not (isolated_data_dir / "taskagent.db").exists()


# The security review's SQL injection: Chainlit takes ``threadId`` from the socket's auth
# unchecked, saves a thread under it, then joins the ids of a user's threads into SQL text.
# ``main.users`` dodges the table prefixing, so the UNION reads the task store's accounts.
CRAFTED_THREAD_ID = (
    "0') UNION SELECT u.password_hash, u.username, 'run', (SELECT t.\"id\" FROM threads t"
    " LIMIT 1), NULL, 0, NULL, 0, NULL, NULL, u.password_hash, u.password_hash, '2099',"
    " NULL, NULL, NULL, 'true', NULL, NULL, NULL, NULL FROM main.users u --"
)


async def _leaks_after_crafted_thread(store_module: Any) -> list[str]:
    """What a signed-in user's thread listing shows after a crafted ``threadId``."""
    from chainlit.user import User

    from taskagent.store import default_store
    from ui.api.security import hash_password

    default_store().create_user("victim", hash_password("victim's password"))
    layer = store_module.make_data_layer()
    try:
        mallory = await layer.create_user(User(identifier="mallory"))
        assert mallory is not None
        # what Chainlit does on the first message of a socket with that threadId
        with contextlib.suppress(ValueError):
            await layer.update_thread(CRAFTED_THREAD_ID, name="hi", user_id=mallory.id)
        threads = await layer.get_all_user_threads(user_id=mallory.id) or []
    finally:
        await layer.close()
    return [
        str(value)
        for thread in threads
        for step in thread["steps"]
        for value in step.values()
        if "argon2" in str(value) or value == "victim"
    ]


async def test_a_crafted_thread_id_reads_no_other_rows(
    store_module: Any, isolated_data_dir: Path
) -> None:
    assert await _leaks_after_crafted_thread(store_module) == []


async def test_thread_ids_that_are_not_uuids_are_refused_before_any_sql(
    store_module: Any, isolated_data_dir: Path
) -> None:
    from chainlit.user import User

    layer = store_module.make_data_layer()
    try:
        user = await layer.create_user(User(identifier="mallory"))
        for bad in (CRAFTED_THREAD_ID, "", "1", str(uuid.uuid4()) + "'--", "A" * 36):
            await layer.update_thread(bad, name="x", user_id=user.id)
            assert await layer.get_thread(bad) is None
        assert await layer.get_all_user_threads(user_id=user.id) == []
        with pytest.raises(ValueError):  # a step on a crafted thread never reaches SQL
            await layer.execute_sql(
                'SELECT 1 FROM steps WHERE "threadId" = :threadId', {"threadId": CRAFTED_THREAD_ID}
            )
    finally:
        await layer.close()
    assert store_module.is_thread_id(str(uuid.uuid4()))
    assert not store_module.is_thread_id(str(uuid.uuid4()).upper() + " ")


async def test_a_bound_listing_survives_a_crafted_row_already_in_the_table(
    store_module: Any, isolated_data_dir: Path
) -> None:
    """Rows saved before the fix (or by another writer) are skipped, never joined into SQL."""
    from chainlit.user import User
    from sqlalchemy import create_engine, text

    layer = store_module.make_data_layer()
    try:
        user = await layer.create_user(User(identifier="mallory"))
        good = str(uuid.uuid4())
        await layer.update_thread(good, name="fine", user_id=user.id)
        engine = create_engine(f"sqlite:///{isolated_data_dir / 'chat.db'}")
        with engine.begin() as connection:
            connection.execute(
                text('INSERT INTO chainlit_threads ("id", "userId") VALUES (:id, :user)'),
                {"id": CRAFTED_THREAD_ID, "user": user.id},
            )
        engine.dispose()
        threads = await layer.get_all_user_threads(user_id=user.id)
        assert [t["id"] for t in threads or []] == [good]
    finally:
        await layer.close()


def test_chat_history_is_kept_apart_from_the_task_store(
    store_module: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store_module.chat_database_url().endswith("/chat.db")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@h/db")
    reset_settings()
    assert store_module._connect_args(store_module.chat_database_url()) == {
        "options": "-c search_path=taskagent_chat"
    }
    monkeypatch.setenv("TASKAGENT_CHAT_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    reset_settings()
    assert store_module.chat_database_url() == "sqlite:////tmp/elsewhere.db"
