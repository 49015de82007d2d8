"""Chat history on the project database: Chainlit's SQLAlchemy data layer, our tables.

Chainlit's :class:`~chainlit.data.sql_alchemy.SQLAlchemyDataLayer` saves users, threads,
steps, elements and feedback, but creates no tables, and its SQL names them ``users``,
``threads``... The task store already has a ``users`` table, so here the chat tables
are ``chainlit_users``, ``chainlit_threads``, ``chainlit_steps``, ``chainlit_elements``
and ``chainlit_feedbacks``: :func:`prefix_tables` rewrites each statement the data layer
runs, and :func:`create_tables` creates them idempotently on the same database as the
task store (:func:`taskagent.settings.database_url`): the SQLite file in the data
directory by default, PostgreSQL when ``DATABASE_URL`` is set.

Chainlit accounts are only a mirror: sign-in checks the task store's own users
(Argon2, the same accounts as the REST API), see :func:`check_credentials`.
"""

from __future__ import annotations

import re
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from sqlalchemy import Engine, text

from taskagent.settings import database_url

TABLES = ("users", "threads", "steps", "elements", "feedbacks")
PREFIX = "chainlit_"

_TABLE_REF = re.compile(
    r"\b(FROM|INTO|UPDATE|JOIN)(\s+)(" + "|".join(TABLES) + r")\b", flags=re.IGNORECASE
)


def prefix_tables(query: str) -> str:
    """Point a data-layer statement at our ``chainlit_*`` tables."""
    return _TABLE_REF.sub(lambda m: f"{m.group(1)}{m.group(2)}{PREFIX}{m.group(3)}", query)


def _ddl(postgres: bool) -> list[str]:
    """CREATE TABLE statements for the columns Chainlit 2.x reads and writes."""
    json_type = "JSONB" if postgres else "TEXT"
    list_type = "TEXT[]" if postgres else "TEXT"
    bool_type = "BOOLEAN"
    p = PREFIX
    return [
        f"""CREATE TABLE IF NOT EXISTS {p}users (
            "id" TEXT PRIMARY KEY,
            "identifier" TEXT NOT NULL UNIQUE,
            "metadata" {json_type} NOT NULL,
            "createdAt" TEXT
        )""",
        f"""CREATE TABLE IF NOT EXISTS {p}threads (
            "id" TEXT PRIMARY KEY,
            "createdAt" TEXT,
            "name" TEXT,
            "userId" TEXT REFERENCES {p}users ("id") ON DELETE CASCADE,
            "userIdentifier" TEXT,
            "tags" {list_type},
            "metadata" {json_type}
        )""",
        f"""CREATE TABLE IF NOT EXISTS {p}steps (
            "id" TEXT PRIMARY KEY,
            "name" TEXT NOT NULL,
            "type" TEXT NOT NULL,
            "threadId" TEXT NOT NULL REFERENCES {p}threads ("id") ON DELETE CASCADE,
            "parentId" TEXT,
            "streaming" {bool_type} NOT NULL,
            "waitForAnswer" {bool_type},
            "isError" {bool_type},
            "metadata" {json_type},
            "tags" {list_type},
            "input" TEXT,
            "output" TEXT,
            "createdAt" TEXT,
            "command" TEXT,
            "modes" {json_type},
            "start" TEXT,
            "end" TEXT,
            "generation" {json_type},
            "showInput" TEXT,
            "language" TEXT,
            "indent" INT,
            "defaultOpen" {bool_type},
            "autoCollapse" {bool_type},
            "icon" TEXT
        )""",
        f"""CREATE TABLE IF NOT EXISTS {p}elements (
            "id" TEXT PRIMARY KEY,
            "threadId" TEXT REFERENCES {p}threads ("id") ON DELETE CASCADE,
            "type" TEXT,
            "url" TEXT,
            "chainlitKey" TEXT,
            "name" TEXT NOT NULL,
            "display" TEXT,
            "objectKey" TEXT,
            "size" TEXT,
            "page" INT,
            "language" TEXT,
            "forId" TEXT,
            "mime" TEXT,
            "props" {json_type},
            "autoPlay" {bool_type},
            "playerConfig" {json_type}
        )""",
        f"""CREATE TABLE IF NOT EXISTS {p}feedbacks (
            "id" TEXT PRIMARY KEY,
            "forId" TEXT NOT NULL,
            "threadId" TEXT NOT NULL REFERENCES {p}threads ("id") ON DELETE CASCADE,
            "value" INT NOT NULL,
            "comment" TEXT
        )""",
        f'CREATE INDEX IF NOT EXISTS {p}threads_user ON {p}threads ("userId")',
        f'CREATE INDEX IF NOT EXISTS {p}steps_thread ON {p}steps ("threadId")',
        f'CREATE INDEX IF NOT EXISTS {p}elements_thread ON {p}elements ("threadId")',
    ]


def create_tables(engine: Engine) -> None:
    """Create the chat tables if they are missing (safe to run at every start)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        for statement in _ddl(postgres):
            connection.execute(text(statement))


def async_url(url: str) -> str:
    """The async SQLAlchemy URL for the store's URL (aiosqlite, or psycopg 3's async mode)."""
    if url.startswith("sqlite"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class TaskAgentDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer on the ``chainlit_*`` tables."""

    async def execute_sql(self, query: str, parameters: dict[str, Any]) -> Any:
        return await super().execute_sql(prefix_tables(query), parameters)


def make_data_layer(url: str | None = None) -> TaskAgentDataLayer:
    """The data layer for ``url`` (default: the task store's database), tables created."""
    from taskagent.store import store_for

    url = url or database_url()
    create_tables(store_for(url).engine)  # the store's engine also creates the task tables
    connect_args: dict[str, Any] = {"timeout": 15} if url.startswith("sqlite") else {}
    return TaskAgentDataLayer(conninfo=async_url(url), connect_args=connect_args)


def check_credentials(username: str, password: str) -> dict[str, Any] | None:
    """The task-store account for these credentials (Argon2), or None. Blocking."""
    from taskagent.api.security import verify_password
    from taskagent.store import default_store

    username = username.strip()
    account = default_store().find_user(username) if username else None
    if not verify_password(password, account["password_hash"] if account else None):
        return None
    assert account is not None
    return {"id": account["id"], "username": account["username"]}
