"""The agent: one turn as the signed-in user, its confirmation, the turn as SSE."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from graph.agent import new_thread_id
from graph.context import Context
from ui.api.deps import AgentFor, CurrentUser, User
from ui.api.limits import limited

log = logging.getLogger(__name__)

router = APIRouter(prefix="/chat", tags=["agent"])


class ChatRequest(BaseModel):
    message: str = Field(max_length=20_000, description="What you want done.")
    thread_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ConfirmRequest(BaseModel):
    thread_id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    confirm: bool


def check_message(message: str) -> None:
    """422 for a message longer than the agent accepts (classify's limit, as configured),
    before it can be saved to the thread."""
    length, limit = len(message.strip()), Context().max_message_chars
    if length > limit:
        msg = f"Message is {length:,} characters; the limit is {limit:,}."
        raise RequestValidationError(
            [{"loc": ("body", "message"), "msg": msg, "type": "string_too_long"}]
        )


def internal_thread(user: CurrentUser, thread_id: str) -> str:
    # Threads are namespaced per user, so nobody can read or resume another's.
    return f"u{user.id}-{thread_id}"


def sse(events: AsyncIterator[dict[str, Any]], thread_id: str | None = None) -> StreamingResponse:
    async def encode() -> AsyncIterator[bytes]:
        try:
            async for event in events:
                if thread_id and "thread_id" in event:
                    event = event | {"thread_id": thread_id}
                data = json.dumps(event, default=str)
                yield f"event: {event['event']}\ndata: {data}\n\n".encode()
        except Exception:
            log.exception("stream failed")
            failure = {"event": "error", "detail": "The stream failed; nothing more was changed."}
            yield f"event: error\ndata: {json.dumps(failure)}\n\n".encode()

    return StreamingResponse(encode(), media_type="text/event-stream")


@router.post("")
@limited("agent")
async def chat(
    request: Request, response: Response, body: ChatRequest, user: User, agent: AgentFor
) -> dict[str, Any]:
    """One agent turn as the signed-in user (the `taskagent ask --json` shape).

    A destructive action returns `confirmation_required`; answer it with POST /chat/confirm.
    A message longer than the agent accepts (4,000 characters) is a 422, and not kept.
    """

    check_message(body.message)
    thread_id = body.thread_id or new_thread_id()
    result = await agent.ask(
        body.message, thread_id=internal_thread(user, thread_id), user=user.username
    )
    return result.to_json() | {"thread_id": thread_id}


@router.post("/confirm")
@limited("agent")
async def chat_confirm(
    request: Request, response: Response, body: ConfirmRequest, user: User, agent: AgentFor
) -> dict[str, Any]:
    """Confirm or cancel the destructive action waiting on a thread."""
    thread = internal_thread(user, body.thread_id)
    if await agent.pending_confirmation(thread) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "Nothing is waiting for confirmation on this thread"
        )
    result = await agent.resume(body.confirm, thread_id=thread, user=user.username)
    return result.to_json() | {"thread_id": body.thread_id}


@router.post("/stream")
@limited("agent")
async def chat_stream(
    request: Request, response: Response, body: ChatRequest, user: User, agent: AgentFor
) -> StreamingResponse:
    """The same turn as /chat as Server-Sent Events: step, tool_call, token, done."""

    check_message(body.message)
    thread_id = body.thread_id or new_thread_id()
    events = agent.stream(
        body.message, thread_id=internal_thread(user, thread_id), user=user.username
    )
    return sse(events, thread_id)
