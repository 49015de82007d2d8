"""What the agent may know about the user's tasks before any tool runs: their open titles.

Read-only and best effort: classify uses them to hear "tick off paying the plumber" as a
request about one of your tasks, and the rules link "remind me to book Luna's vaccinations"
to the task of that name. A database outage is execute's to report, not this hint's.
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
