"""What the agent may know about the user's data before any tool runs: the titles of their
open tasks and the names of their projects.

Read-only and best effort: classify uses the titles to hear "tick off paying the plumber" as
a request about one of your tasks; the rules link "remind me to book Luna's vaccinations" to
the task of that name and "put it in the Q3 Planning project" to that project. A database
outage is execute's to report, not this hint's.
"""

from __future__ import annotations

import asyncio
import logging

from taskagent.store import default_store

log = logging.getLogger("taskagent.known_tasks")


async def open_task_titles(user: str) -> dict[int, str]:
    """The user's open task titles (id -> title); none when the database cannot say."""
    try:
        return await asyncio.to_thread(default_store().open_task_titles, user)
    except Exception:  # a hint only: an outage must not turn into a stack trace here
        log.warning("could not read the open task titles", exc_info=True)
        return {}


async def project_names(user: str) -> dict[int, str]:
    """The user's projects (id -> name); none when the database cannot say."""
    try:
        return await asyncio.to_thread(default_store().project_names, user)
    except Exception:  # a hint only, as above
        log.warning("could not read the project names", exc_info=True)
        return {}
