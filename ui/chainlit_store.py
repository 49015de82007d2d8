"""Chat history: Chainlit's SQLAlchemy data layer, on its own database, hardened.

Chainlit's :class:`~chainlit.data.sql_alchemy.SQLAlchemyDataLayer` saves users, threads,
steps, elements and feedback, but creates no tables, and its SQL names them ``users``,
``threads``... Here the chat tables are ``chainlit_users``, ``chainlit_threads``,
``chainlit_steps``, ``chainlit_elements`` and ``chainlit_feedbacks``: :func:`prefix_tables`
rewrites each statement the data layer runs, and :func:`create_tables` creates them
idempotently.

Security boundary (docs/security.md). Chainlit 2.12 takes ``threadId`` from the browser's
socket auth unchecked and joins thread ids into SQL text in ``get_all_user_threads``, so a
crafted id read any row of the database, the task store's password hashes included.
Three controls, each tested:

* thread ids that are not UUIDs are refused at the socket (:func:`ui.app`) and again
  here, before any statement runs (:func:`is_thread_id`);
* :meth:`TaskAgentDataLayer.get_all_user_threads` binds every thread id as a parameter;
* the chat history lives apart from the task store (:func:`chat_database_url`): its own
  SQLite file (``chat.db`` in the data directory), or its own schema
  (``taskagent_chat``) on PostgreSQL, or ``TASKAGENT_CHAT_DATABASE_URL``.

Chainlit accounts are only a mirror: sign-in checks the task store's own users
(Argon2, the same accounts as the REST API), see :func:`check_credentials`.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.element import ElementDict
from chainlit.step import StepDict
from chainlit.types import FeedbackDict, ThreadDict
from sqlalchemy import Engine, create_engine, text

from taskagent.settings import data_dir, get_settings, postgres_url
from taskagent.store import default_store
from ui.api.security import verify_password

log = logging.getLogger("taskagent.ui")

CHAT_SCHEMA = "taskagent_chat"  # on PostgreSQL, the chat tables' own schema

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


def is_thread_id(value: Any) -> bool:
    """Chainlit makes thread ids with ``uuid4``: anything else is refused, never queried."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def chat_database_url() -> str:
    """Where chat history lives: never the task store's tables (see the module docstring)."""
    explicit = get_settings().database.chat_url
    if explicit:
        return explicit
    postgres = postgres_url()
    if postgres:
        return postgres
    return f"sqlite:///{data_dir() / 'chat.db'}"


def _sync_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "postgresql+"))


def _connect_args(url: str) -> dict[str, Any]:
    if _is_postgres(url):  # every chat statement resolves its tables in the chat schema
        return {"options": f"-c search_path={CHAT_SCHEMA}"}
    return {"timeout": 15}


def create_tables(engine: Engine) -> None:
    """Create the chat tables if they are missing (safe to run at every start)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {CHAT_SCHEMA}"))
            connection.execute(text(f"SET LOCAL search_path TO {CHAT_SCHEMA}"))
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


class RefusedThreadId(ValueError):
    """A thread id that is not a UUID reached the data layer: nothing was run."""


def _refuse_bad_thread_ids(parameters: dict[str, Any]) -> None:
    for key in ("threadId", "thread_id"):
        value = parameters.get(key)
        if value is not None and not is_thread_id(value):
            raise RefusedThreadId(f"refused a {key} that is not a UUID")


class TaskAgentDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer on the ``chainlit_*`` tables, thread ids checked."""

    async def execute_sql(self, query: str, parameters: dict[str, Any]) -> Any:
        _refuse_bad_thread_ids(parameters)
        return await super().execute_sql(prefix_tables(query), parameters)

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        if not is_thread_id(thread_id):
            return None
        return await super().get_thread(thread_id)

    async def get_thread_author(self, thread_id: str) -> str:
        if not is_thread_id(thread_id):
            raise RefusedThreadId("refused a thread id that is not a UUID")
        return await super().get_thread_author(thread_id)

    async def update_thread(self, thread_id: str, *args: Any, **kwargs: Any) -> None:
        if not is_thread_id(thread_id):  # a crafted id is never saved, so never listed
            log.warning("refused to save a thread whose id is not a UUID")
            return
        await super().update_thread(thread_id, *args, **kwargs)

    async def delete_thread(self, thread_id: str) -> None:
        if not is_thread_id(thread_id):
            return
        await super().delete_thread(thread_id)

    async def get_all_user_threads(
        self, user_id: str | None = None, thread_id: str | None = None
    ) -> list[ThreadDict] | None:
        """Chainlit's listing with every thread id bound (its own joins them into the SQL)."""
        if thread_id is not None and not is_thread_id(thread_id):
            thread_id = None
        threads = await self.execute_sql(
            query=_USER_THREADS,
            parameters={
                "user_id": user_id,
                "thread_id": thread_id,
                "limit": self.user_thread_limit,
            },
        )
        if not isinstance(threads, list):
            return None
        ids = [str(row["thread_id"]) for row in threads if is_thread_id(row["thread_id"])]
        if not ids:
            return []
        bound = {f"tid{n}": value for n, value in enumerate(ids)}
        placeholders = ", ".join(f":{name}" for name in bound)
        steps = await self.execute_sql(
            query=_THREAD_STEPS.format(ids=placeholders), parameters=bound
        )
        elements = await self.execute_sql(
            query=_THREAD_ELEMENTS.format(ids=placeholders), parameters=bound
        )
        return _assemble_threads(
            [row for row in threads if row["thread_id"] in ids],
            steps if isinstance(steps, list) else [],
            elements if isinstance(elements, list) else [],
        )


_USER_THREADS = """
    SELECT t."id" AS thread_id, t."createdAt" AS thread_createdat, t."name" AS thread_name,
        t."userId" AS user_id, t."userIdentifier" AS user_identifier,
        t."tags" AS thread_tags, t."metadata" AS thread_metadata,
        MAX(s."createdAt") AS updatedAt
    FROM threads t
    LEFT JOIN steps s ON t."id" = s."threadId"
    WHERE t."userId" = :user_id OR t."id" = :thread_id
    GROUP BY t."id", t."createdAt", t."name", t."userId", t."userIdentifier", t."tags",
        t."metadata"
    ORDER BY updatedAt DESC NULLS LAST
    LIMIT :limit
"""

_THREAD_STEPS = """
    SELECT s."id" AS step_id, s."name" AS step_name, s."type" AS step_type,
        s."threadId" AS step_threadid, s."parentId" AS step_parentid,
        s."streaming" AS step_streaming, s."waitForAnswer" AS step_waitforanswer,
        s."isError" AS step_iserror, s."metadata" AS step_metadata, s."tags" AS step_tags,
        s."input" AS step_input, s."output" AS step_output, s."createdAt" AS step_createdat,
        s."start" AS step_start, s."end" AS step_end, s."generation" AS step_generation,
        s."showInput" AS step_showinput, s."language" AS step_language,
        f."value" AS feedback_value, f."comment" AS feedback_comment, f."id" AS feedback_id
    FROM steps s LEFT JOIN feedbacks f ON s."id" = f."forId"
    WHERE s."threadId" IN ({ids})
    ORDER BY s."createdAt" ASC
"""

_THREAD_ELEMENTS = """
    SELECT e."id" AS element_id, e."threadId" AS element_threadid, e."type" AS element_type,
        e."chainlitKey" AS element_chainlitkey, e."url" AS element_url,
        e."objectKey" AS element_objectkey, e."name" AS element_name,
        e."display" AS element_display, e."size" AS element_size,
        e."language" AS element_language, e."page" AS element_page,
        e."forId" AS element_forid, e."mime" AS element_mime, e."props" AS props
    FROM elements e
    WHERE e."threadId" IN ({ids})
"""


def _assemble_threads(
    threads: list[dict[str, Any]], steps: list[dict[str, Any]], elements: list[dict[str, Any]]
) -> list[ThreadDict]:
    """The same ``ThreadDict`` shapes Chainlit's own listing builds from these rows."""
    by_id: dict[str, ThreadDict] = {}
    for row in threads:
        by_id[row["thread_id"]] = ThreadDict(
            id=row["thread_id"],
            createdAt=row["thread_createdat"],
            name=row["thread_name"],
            userId=row["user_id"],
            userIdentifier=row["user_identifier"],
            tags=row["thread_tags"],
            metadata=row["thread_metadata"],
            steps=[],
            elements=[],
        )
    for row in steps:
        thread = by_id.get(row["step_threadid"])
        if thread is None:
            continue
        feedback = None
        if row["feedback_value"] is not None:
            feedback = FeedbackDict(
                forId=row["step_id"],
                id=row.get("feedback_id"),
                value=row["feedback_value"],
                comment=row.get("feedback_comment"),
            )
        thread["steps"].append(
            StepDict(
                id=row["step_id"],
                name=row["step_name"],
                type=row["step_type"],
                threadId=row["step_threadid"],
                parentId=row.get("step_parentid"),
                streaming=row.get("step_streaming", False),
                waitForAnswer=row.get("step_waitforanswer"),
                isError=row.get("step_iserror"),
                metadata=row["step_metadata"] if row.get("step_metadata") is not None else {},
                tags=row.get("step_tags"),
                input=(
                    row.get("step_input", "")
                    if row.get("step_showinput") not in (None, "false")
                    else ""
                ),
                output=row.get("step_output", ""),
                createdAt=row.get("step_createdat"),
                start=row.get("step_start"),
                end=row.get("step_end"),
                generation=row.get("step_generation"),
                showInput=row.get("step_showinput"),
                language=row.get("step_language"),
                feedback=feedback,
            )
        )
    for row in elements:
        thread = by_id.get(row["element_threadid"])
        if thread is None:
            continue
        thread["elements"].append(  # type: ignore[union-attr]  # built as [] above
            ElementDict(
                id=row["element_id"],
                threadId=row["element_threadid"],
                type=row["element_type"],
                chainlitKey=row.get("element_chainlitkey"),
                url=row.get("element_url"),
                objectKey=row.get("element_objectkey"),
                name=row["element_name"],
                display=row["element_display"],
                size=row.get("element_size"),
                language=row.get("element_language"),
                autoPlay=row.get("element_autoPlay"),
                playerConfig=row.get("element_playerconfig"),
                page=row.get("element_page"),
                props=row.get("props", "{}"),
                forId=row.get("element_forid"),
                mime=row.get("element_mime"),
            )
        )
    return list(by_id.values())


def make_data_layer(url: str | None = None) -> TaskAgentDataLayer:
    """The data layer for ``url`` (default :func:`chat_database_url`), tables created."""
    url = _sync_url(url or chat_database_url())
    engine = create_engine(url, connect_args=_connect_args(url))
    try:
        create_tables(engine)
    finally:
        engine.dispose()
    return TaskAgentDataLayer(conninfo=async_url(url), connect_args=_connect_args(url))


def check_credentials(username: str, password: str) -> dict[str, Any] | None:
    """The task-store account for these credentials (Argon2), or None. Blocking."""
    username = username.strip()
    account = default_store().find_user(username) if username else None
    if not verify_password(password, account["password_hash"] if account else None):
        return None
    assert account is not None
    return {"id": account["id"], "username": account["username"]}
