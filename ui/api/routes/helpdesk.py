"""A task's helpdesk: triage → specialist, streamed as SSE."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from graph.context import Context
from graph.helpdesk import SPECIALISTS, HelpState, helpdesk
from ui.api.deps import Store, TaskId, User, owned_task
from ui.api.limits import limited
from ui.api.routes.chat import sse

router = APIRouter(prefix="/tasks/{task_id}", tags=["agent"])


class HelpRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000, description="What you need help with.")


async def help_events(
    task: dict[str, Any], query: str, specialist: str | None
) -> AsyncIterator[dict[str, Any]]:

    state = HelpState(task=task, query=query, specialist=specialist or "")
    final_tier, chosen = "", specialist or ""
    graph: Any = helpdesk
    async for mode, chunk in graph.astream(
        state, context=Context(), stream_mode=["updates", "messages"]
    ):
        if mode == "updates":
            for node, update in chunk.items():
                if node == "triage":
                    chosen = update["specialist"]
                    yield {
                        "event": "handoff",
                        "specialist": chosen,
                        "name": SPECIALISTS[chosen]["name"],
                    }
                elif update and update.get("messages"):
                    final_tier = update.get("tier", "")
                    for message in update["messages"]:
                        yield {"event": "token", "text": str(message.content)}
    yield {"event": "done", "specialist": chosen, "tier": final_tier}


@router.post("/help")
@limited("agent")
async def task_help(
    request: Request,
    response: Response,
    task_id: TaskId,
    body: HelpRequest,
    user: User,
    store: Store,
) -> StreamingResponse:
    """Triage picks a specialist (scheduler, breakdown, blocker), which streams its help."""
    task = await asyncio.to_thread(owned_task, store, user, task_id)
    return sse(help_events(task, body.query, None))


@router.post("/schedule")
@limited("agent")
async def task_schedule(
    request: Request, response: Response, task_id: TaskId, user: User, store: Store
) -> StreamingResponse:
    """The scheduler specialist, directly."""
    task = await asyncio.to_thread(owned_task, store, user, task_id)
    return sse(help_events(task, "When should I do this?", "scheduler"))
