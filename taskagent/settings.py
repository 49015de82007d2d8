"""Where the task domain keeps its data: the data directory and the database URL.

Read from the environment so every adapter (CLI, REST, MCP, UI) and the tests agree:
``TASKAGENT_DATA_DIR`` (default ``./.taskagent``) holds the SQLite files, and
``DATABASE_URL`` switches the store (and the checkpointer) to PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data directory, created on first use."""
    path = Path(os.environ.get("TASKAGENT_DATA_DIR", ".taskagent")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_url() -> str | None:
    """``DATABASE_URL`` when it points at PostgreSQL, else None."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url if url.startswith(("postgres://", "postgresql://", "postgresql+")) else None


def database_url() -> str:
    """The SQLAlchemy URL of the task store."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{data_dir() / 'taskagent.db'}"
    # Accept the libpq spellings and pick the psycopg 3 driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
