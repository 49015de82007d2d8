"""What the routes depend on: the app's settings, store and agent (``request.app.state``,
set by create_app and its lifespan), the signed-in user, owner-scoped task access."""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel

from graph.agent import open_agent
from taskagent.errors import NotFound, ToolError
from taskagent.settings import APISettings
from taskagent.store import TaskStore, default_store
from taskagent.tools import call_tool
from ui.api.security import decode_token

oauth2 = OAuth2PasswordBearer(tokenUrl="token")

# Same bounds as the tools' Id type: out-of-range ids are a 422, never a database error.
TaskId = Annotated[int, Path(ge=1, le=999_999_999, description="The task's id.")]


class CurrentUser(BaseModel):
    id: int
    username: str


async def get_settings(request: Request) -> APISettings:
    return request.app.state.settings  # type: ignore[no-any-return]


Settings = Annotated[APISettings, Depends(get_settings)]


def user_of(token: str, settings: APISettings) -> CurrentUser | None:
    claims = decode_token(token, settings.secret_key.get_secret_value(), settings.algorithm)
    return CurrentUser(id=claims["uid"], username=claims["sub"]) if claims else None


def token_user(request: Request) -> CurrentUser | None:
    """The signed-in user of a request with a valid bearer token, else None."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return user_of(header[7:], request.app.state.settings)
    return None


async def current_user(token: Annotated[str, Depends(oauth2)], settings: Settings) -> CurrentUser:
    user = user_of(token, settings)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Invalid or expired token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


async def get_store(request: Request) -> TaskStore:
    """The lifespan's store, or (no lifespan ran) the configured one."""
    store: TaskStore | None = request.app.state.store
    return store if store is not None else await asyncio.to_thread(default_store)


async def request_agent(request: Request) -> AsyncIterator[Any]:
    """The lifespan's agent; if no lifespan ran (a ``TestClient`` without ``with``, an
    embedding server), one opened for this request and closed once its response,
    streamed or not, is done: an event loop per request cannot share one."""
    agent = getattr(request.app.state, "agent", None)
    if agent is not None:
        yield agent
        return

    async with open_agent(warm=False) as opened:
        yield opened


User = Annotated[CurrentUser, Depends(current_user)]
Store = Annotated[TaskStore, Depends(get_store)]
AgentFor = Annotated[Any, Depends(request_agent)]


def owned_task(store: TaskStore, user: CurrentUser, task_id: int) -> dict[str, Any]:
    task = store.get_task(user.id, task_id)
    if task is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")
    return task


def call_tool_as(
    store: TaskStore, user: CurrentUser, tool: str, arguments: dict[str, Any]
) -> dict[str, Any]:
    """A tool call as ``user``: 404 for an id that names nothing the user owns (the error's
    kind decides, not its wording), 422 for any other refused call."""
    try:
        return call_tool(store, user.id, tool, arguments, datetime.now())
    except NotFound as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{exc.what} {exc.ident} not found."
        ) from exc
    except ToolError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
