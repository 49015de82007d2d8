"""The task service: a FastAPI adapter over the task store and the agent graph.

Accounts (Argon2 + JWT), owner-scoped task CRUD that uses the tools' own argument
models and implementations, the agent (one turn, SSE stream, confirmation),
the helpdesk (triage → specialist, streamed), health, and rate limits with
``X-RateLimit-*`` headers on every response. Another user's task is always 404.
"""

# No `from __future__ import annotations` here: FastAPI must see the dependency
# aliases defined inside create_app (User, Store) as real objects, not strings.
import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field, create_model
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.extension import _rate_limit_exceeded_handler
from slowapi.middleware import SlowAPIMiddleware
from slowapi.util import get_remote_address

from taskagent.api.security import create_token, decode_token, hash_password, verify_password
from taskagent.api.settings import APISettings
from taskagent.errors import ToolArgumentError, ToolError
from taskagent.store import TaskStore, UserExists, default_store
from taskagent.tools import (
    CreateTaskArgs,
    ListTasksArgs,
    ToolArgs,
    UpdateTaskArgs,
    run_tool,
    validate_call,
)

log = logging.getLogger(__name__)

# Request bodies derive from the tools' argument models: one definition, one validation.
TaskUpdate = create_model(  # type: ignore[call-overload]
    "TaskUpdate",
    __base__=ToolArgs,
    **{
        name: (f.annotation, f)
        for name, f in UpdateTaskArgs.model_fields.items()
        if name != "task_id"
    },
)


# Same bounds as the tools' Id type: out-of-range ids are a 422, never a database error.
TaskId = Annotated[int, Path(ge=1, le=999_999_999, description="The task's id.")]


class SignupRequest(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=256)
    email: str | None = Field(None, max_length=254)


class UserOut(BaseModel):
    id: int
    username: str
    email: str | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ChatRequest(BaseModel):
    message: str = Field(max_length=20_000, description="What you want done.")
    thread_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ConfirmRequest(BaseModel):
    thread_id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    confirm: bool


class HelpRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000, description="What you need help with.")


class CurrentUser(BaseModel):
    id: int
    username: str


def create_app(settings: APISettings | None = None, store: TaskStore | None = None) -> FastAPI:
    settings = settings or APISettings.from_env()
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")

    def rate_key(request: Request) -> str:
        """Authenticated requests are limited per user, the rest per client address."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            claims = decode_token(header[7:], settings.secret_key, settings.algorithm)
            if claims:
                return f"user:{claims['uid']}"
        return get_remote_address(request)

    limiter = Limiter(
        key_func=rate_key,
        default_limits=[f"{settings.default_rate_limit}/minute"],
        headers_enabled=True,
    )
    token_limit = f"{settings.token_rate_limit}/minute"
    agent_limit = f"{settings.agent_rate_limit}/minute"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from graph.agent import open_agent

        app.state.store = store or await asyncio.to_thread(default_store)
        async with open_agent() as agent:
            app.state.agent = agent
            yield

    app = FastAPI(
        title="TaskAgent service",
        version="0.1.0",
        description="Tasks, accounts and a task-management agent. Authenticate with POST /token.",
        lifespan=lifespan,
    )
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    app.add_middleware(SlowAPIMiddleware)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "Internal error; nothing was changed."}, status_code=500)

    @app.exception_handler(ToolArgumentError)
    async def bad_arguments(request: Request, exc: ToolArgumentError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    def get_store(request: Request) -> TaskStore:
        return request.app.state.store  # type: ignore[no-any-return]

    async def current_user(request: Request, token: Annotated[str, Depends(oauth2)]) -> CurrentUser:
        claims = decode_token(token, settings.secret_key, settings.algorithm)
        if claims is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Invalid or expired token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return CurrentUser(id=claims["uid"], username=claims["sub"])

    User = Annotated[CurrentUser, Depends(current_user)]
    Store = Annotated[TaskStore, Depends(get_store)]

    def owned_task(store: TaskStore, user: CurrentUser, task_id: int) -> dict[str, Any]:
        task = store.get_task(user.id, task_id)
        if task is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")
        return task

    def run(
        store: TaskStore, user: CurrentUser, tool: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        from datetime import datetime

        now = datetime.now()
        try:
            return run_tool(store, user.id, tool, validate_call(tool, arguments, now), now)
        except ToolError as exc:
            code = (
                status.HTTP_404_NOT_FOUND
                if "not found" in str(exc)
                else status.HTTP_422_UNPROCESSABLE_ENTITY
            )
            raise HTTPException(code, str(exc).replace("was not found", "not found")) from exc

    # --- accounts -------------------------------------------------------------------------

    @app.post("/users/signup", status_code=201, response_model=UserOut, tags=["accounts"])
    @limiter.limit(token_limit, key_func=get_remote_address)
    async def signup(
        request: Request, response: Response, body: SignupRequest, store: Store
    ) -> dict[str, Any]:
        """Create an account. The password is stored as an Argon2 hash and never returned."""
        password_hash = await asyncio.to_thread(hash_password, body.password)
        try:
            return await asyncio.to_thread(
                store.create_user, body.username, password_hash, body.email
            )
        except UserExists:
            raise HTTPException(status.HTTP_409_CONFLICT, "Username already taken") from None

    @app.post("/token", response_model=TokenOut, tags=["accounts"])
    @limiter.limit(token_limit, key_func=get_remote_address)
    async def token(
        request: Request,
        response: Response,
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        store: Store,
    ) -> dict[str, Any]:
        """Exchange username and password (OAuth2 password form) for a JWT."""
        account = await asyncio.to_thread(store.find_user, form.username)
        stored_hash = account["password_hash"] if account else None
        ok = await asyncio.to_thread(verify_password, form.password, stored_hash)
        if not account or not ok:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Incorrect username or password",
                headers={"WWW-Authenticate": "Bearer"},
            )
        jwt_token = create_token(
            account["username"],
            account["id"],
            settings.secret_key,
            settings.access_token_expire_minutes,
            settings.algorithm,
        )
        return {
            "access_token": jwt_token,
            "token_type": "bearer",
            "expires_in": int(settings.access_token_expire_minutes * 60),
        }

    # --- tasks ----------------------------------------------------------------------------

    @app.post("/tasks", status_code=201, tags=["tasks"])
    async def create_task(body: CreateTaskArgs, user: User, store: Store) -> dict[str, Any]:
        """Create a task (same fields and validation as the agent's create_task tool)."""
        result = await asyncio.to_thread(
            run, store, user, "create_task", body.model_dump(mode="json", exclude_unset=True)
        )
        return result["task"]  # type: ignore[no-any-return]

    @app.get("/tasks", tags=["tasks"])
    async def list_tasks(
        user: User, store: Store, filters: Annotated[ListTasksArgs, Query()]
    ) -> dict[str, Any]:
        """Your tasks, open ones unless a status is given."""
        return await asyncio.to_thread(
            run, store, user, "list_tasks", filters.model_dump(mode="json", exclude_none=True)
        )

    @app.get("/tasks/{task_id}", tags=["tasks"])
    async def get_task(task_id: TaskId, user: User, store: Store) -> dict[str, Any]:
        return await asyncio.to_thread(owned_task, store, user, task_id)

    async def _update(
        task_id: int, body: BaseModel, user: CurrentUser, store: TaskStore
    ) -> dict[str, Any]:
        await asyncio.to_thread(owned_task, store, user, task_id)
        changes = body.model_dump(mode="json", exclude_unset=True)
        if not changes:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "Nothing to change")
        result = await asyncio.to_thread(
            run, store, user, "update_task", {"task_id": task_id, **changes}
        )
        return result["task"]  # type: ignore[no-any-return]

    @app.put("/tasks/{task_id}", tags=["tasks"])
    async def replace_task(
        task_id: TaskId, body: CreateTaskArgs, user: User, store: Store
    ) -> dict[str, Any]:
        """Replace a task's editable fields (title required, others reset to defaults)."""
        full = body.model_dump(mode="json")
        fields = {k: full[k] for k in ("title", "priority", "due_date", "description")}
        return await _update(task_id, TaskUpdate.model_validate(fields), user, store)

    @app.patch("/tasks/{task_id}", tags=["tasks"])
    async def patch_task(
        task_id: TaskId,
        body: TaskUpdate,  # type: ignore[valid-type]
        user: User,
        store: Store,
    ) -> dict[str, Any]:
        """Change some fields of a task."""
        return await _update(task_id, body, user, store)

    @app.delete("/tasks/{task_id}", status_code=204, tags=["tasks"])
    async def delete_task(task_id: TaskId, user: User, store: Store) -> Response:
        await asyncio.to_thread(owned_task, store, user, task_id)
        await asyncio.to_thread(run, store, user, "delete_task", {"task_id": task_id})
        return Response(status_code=204)

    # --- the agent ------------------------------------------------------------------------

    def internal_thread(user: CurrentUser, thread_id: str) -> str:
        # Threads are namespaced per user, so nobody can read or resume another's.
        return f"u{user.id}-{thread_id}"

    def public(result: dict[str, Any], thread_id: str) -> dict[str, Any]:
        result = dict(result)
        result["thread_id"] = thread_id
        if result.get("confirmation_required"):
            result["confirmation_required"] = dict(result["confirmation_required"])
        return result

    @app.post("/chat", tags=["agent"])
    @limiter.limit(agent_limit)
    async def chat(
        request: Request, response: Response, body: ChatRequest, user: User
    ) -> dict[str, Any]:
        """One agent turn as the signed-in user (the `taskagent ask --json` shape).

        A destructive action returns `confirmation_required`; answer it with POST /chat/confirm.
        """
        from graph.agent import new_thread_id

        thread_id = body.thread_id or new_thread_id()
        result = await request.app.state.agent.ask(
            body.message, thread_id=internal_thread(user, thread_id), user=user.username
        )
        return public(result.to_json(), thread_id)

    @app.post("/chat/confirm", tags=["agent"])
    @limiter.limit(agent_limit)
    async def chat_confirm(
        request: Request, response: Response, body: ConfirmRequest, user: User
    ) -> dict[str, Any]:
        """Confirm or cancel the destructive action waiting on a thread."""
        agent = request.app.state.agent
        thread = internal_thread(user, body.thread_id)
        if await agent.pending_confirmation(thread) is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, "Nothing is waiting for confirmation on this thread"
            )
        result = await agent.resume(body.confirm, thread_id=thread, user=user.username)
        return public(result.to_json(), body.thread_id)

    def sse(
        events: AsyncIterator[dict[str, Any]], thread_id: str | None = None
    ) -> StreamingResponse:
        async def encode() -> AsyncIterator[bytes]:
            try:
                async for event in events:
                    if thread_id and "thread_id" in event:
                        event = event | {"thread_id": thread_id}
                    data = json.dumps(event, default=str)
                    yield f"event: {event['event']}\ndata: {data}\n\n".encode()
            except Exception:
                log.exception("stream failed")
                failure = {
                    "event": "error",
                    "detail": "The stream failed; nothing more was changed.",
                }
                yield f"event: error\ndata: {json.dumps(failure)}\n\n".encode()

        return StreamingResponse(encode(), media_type="text/event-stream")

    @app.post("/chat/stream", tags=["agent"])
    @limiter.limit(agent_limit)
    async def chat_stream(
        request: Request, response: Response, body: ChatRequest, user: User
    ) -> StreamingResponse:
        """The same turn as /chat as Server-Sent Events: step, tool_call, token, done."""
        from graph.agent import new_thread_id

        thread_id = body.thread_id or new_thread_id()
        events = request.app.state.agent.stream(
            body.message, thread_id=internal_thread(user, thread_id), user=user.username
        )
        return sse(events, thread_id)

    async def help_events(
        task: dict[str, Any], query: str, specialist: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        from graph.context import Context
        from graph.helpdesk import SPECIALISTS, HelpState, helpdesk

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

    @app.post("/tasks/{task_id}/help", tags=["agent"])
    @limiter.limit(agent_limit)
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

    @app.post("/tasks/{task_id}/schedule", tags=["agent"])
    @limiter.limit(agent_limit)
    async def task_schedule(
        request: Request, response: Response, task_id: TaskId, user: User, store: Store
    ) -> StreamingResponse:
        """The scheduler specialist, directly."""
        task = await asyncio.to_thread(owned_task, store, user, task_id)
        return sse(help_events(task, "When should I do this?", "scheduler"))

    @app.get("/agents/status", tags=["agent"])
    async def agents_status() -> dict[str, Any]:
        """The agents, what they do, and the model tier each would use right now."""
        from graph.context import Context
        from graph.helpdesk import SPECIALISTS
        from nodes.classify import first_available_tier

        tier, _ = first_available_tier(Context())
        agents = [
            {
                "id": "taskagent",
                "name": "TaskAgent",
                "tier": tier,
                "description": "Plans and runs tool calls on your tasks from plain language.",
            },
            {
                "id": "triage",
                "name": "Triage",
                "tier": "rules",
                "description": "Routes a task's help request to one specialist.",
            },
        ]
        agents += [
            {"id": key, "name": spec["name"], "description": spec["description"], "tier": tier}
            for key, spec in SPECIALISTS.items()
        ]
        return {"agents": agents, "triage_enabled": True}

    @app.get("/health", tags=["ops"])
    async def health(response: Response) -> dict[str, Any]:
        """Deep check: database, each model tier, an inference ping. 503 when unhealthy."""
        from graph.health import check_health

        report = await check_health()
        if report["status"] == "unhealthy":
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return report

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    return app
