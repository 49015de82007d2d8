"""What the agent may know about the user's data before any tool runs: the titles of their
open tasks, when they are due, and the names of their projects.

Read-only and best effort: classify uses the titles to hear "tick off paying the plumber" as
a request about one of your tasks; the rules link "remind me to book Luna's vaccinations" to
the task of that name and "put it in the Q3 Planning project" to that project. A database
outage is execute's to report, not this hint's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from taskagent.store import TaskStore, default_store

log = logging.getLogger("taskagent.known_tasks")


async def open_task_titles(user: str) -> dict[int, str]:
    """The user's open task titles (id -> title); none when the database cannot say."""
    return await _read(TaskStore.task_titles, user, "the open task titles")


async def all_task_titles(user: str) -> dict[int, str]:
    """The titles of all the user's tasks, finished ones too ("have I cancelled the gym yet?")."""
    return await _read(_with_finished, user, "the task titles")


def _with_finished(store: TaskStore, user: str) -> dict[int, str]:
    return store.task_titles(user, open_only=False)


async def due_dates(user: str) -> dict[int, date]:
    """When the user's open tasks are due (id -> date); none when the database cannot say."""
    return await _read(TaskStore.due_dates, user, "the due dates")


async def project_names(user: str) -> dict[int, str]:
    """The user's projects (id -> name); none when the database cannot say."""
    return await _read(TaskStore.project_names, user, "the project names")


async def _read(
    query: Callable[[TaskStore, str], dict[int, Any]], user: str, what: str
) -> dict[int, Any]:
    try:
        return await asyncio.to_thread(query, default_store(), user)
    except Exception:  # a hint only: an outage must not turn into a stack trace here
        log.warning("could not read %s", what, exc_info=True)
        return {}
