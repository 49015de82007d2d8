"""Checkpointer factory: where conversation state is saved between turns.

SQLite in the data directory by default, PostgreSQL when ``DATABASE_URL`` points at
one, and in-memory for unit tests. Either way a thread survives a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from taskagent.settings import data_dir, postgres_url


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
