"""Checkpointer factory: where conversation state is saved between turns.

SQLite in the data directory by default, PostgreSQL when ``DATABASE_URL`` points at
one, and in-memory for unit tests. Either way a thread survives a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from taskagent.settings import data_dir, postgres_url


def tool_call_key(index: int) -> str | None:
    """An idempotency key for the ``index``-th tool call of the graph step running now.

    ``checkpoint_ns`` names the step's task (``node:task-id``), and LangGraph derives the
    task id from the checkpoint the step starts from; a step re-run from that checkpoint
    (a thread resumed after a crash) gets the same keys, so its writes are not repeated.
    None outside a graph run (a node called directly), which means "no idempotency".
    """
    from langgraph.config import get_config

    try:
        configurable = get_config().get("configurable") or {}
    except RuntimeError:
        return None
    thread, task = configurable.get("thread_id"), configurable.get("checkpoint_ns")
    if not thread or not task:
        return None
    return f"{thread}|{task}|{index}"


@asynccontextmanager
async def open_checkpointer(kind: str | None = None) -> AsyncIterator[BaseCheckpointSaver]:
    """Open the configured saver (``kind``: sqlite | postgres | memory; default: by env)."""
    kind = kind or ("postgres" if postgres_url() else "sqlite")
    if kind == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        yield InMemorySaver()
    elif kind == "postgres":
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        url = postgres_url() or ""
        url = url.replace("postgresql+psycopg://", "postgresql://")
        async with AsyncPostgresSaver.from_conn_string(url) as saver:
            await saver.setup()
            yield saver
    else:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(
            str(data_dir() / "checkpoints.sqlite")
        ) as saver:
            await saver.setup()
            yield saver
