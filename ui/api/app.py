"""The task service: a FastAPI adapter over the task store and the agent graph.

Accounts (Argon2 + JWT), owner-scoped task CRUD that uses the tools' own argument
models and implementations, the agent (one turn, SSE stream, confirmation),
the helpdesk (triage → specialist, streamed), health, and rate limits with
``X-RateLimit-*`` headers on every response. Another user's task is always 404.

Limits (docs/security.md): per user for signed-in requests and per client address
otherwise (``X-Forwarded-For`` only from ``TRUSTED_PROXIES``), one agent budget per user
across the agent endpoints, failed sign-ins per account, a 64 KiB request body cap, and
chat messages no longer than the agent accepts. The app works with or without its
lifespan having run: without it, the store and the agent are opened per request.
"""

# No `from __future__ import annotations` here: FastAPI must see the dependency
# aliases defined inside create_app (User, Store) as real objects, not strings.
import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field, create_model, model_validator
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.extension import _rate_limit_exceeded_handler
from slowapi.middleware import SlowAPIMiddleware

from graph.agent import new_thread_id, open_agent
from graph.config import TIER_ORDER
from graph.context import Context
from graph.health import check_health
from graph.helpdesk import SPECIALISTS, HelpState, helpdesk
from graph.models import tier_gate
from nodes.classify import first_available_tier
from taskagent.errors import NotFound, ToolArgumentError, ToolError
from taskagent.store import TaskStore, UserExists, default_store
from taskagent.tools import (
    CreateTaskArgs,
    ListTasksArgs,
    ToolArgs,
    UpdateTaskArgs,
    call_tool,
)
from ui.api.limits import BodySizeLimit, TrustedProxies, WindowLimiter, client_address
from ui.api.security import create_token, decode_token, hash_password, verify_password
from ui.api.settings import APISettings

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


LOGIN_NAME = r"^[A-Za-z0-9_.@-]+$"


class SignupRequest(BaseModel):
    """``{"username", "password"[, "email"]}``, or ``{"email", "password"}``: then the email
    is the login name (sign in with it as ``username``)."""

    username: str | None = Field(
        None, min_length=3, max_length=64, pattern=LOGIN_NAME, description="Defaults to email."
    )
    password: str = Field(min_length=8, max_length=256)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")

    @model_validator(mode="after")
    def _has_a_login_name(self) -> "SignupRequest":
        if self.username is None:
            if self.email is None:
                raise ValueError("username or email is required")
            if len(self.email) > 64 or not re.fullmatch(LOGIN_NAME, self.email):
                raise ValueError(
                    "this email cannot be a login name (at most 64 letters, digits or _.@-); "
                    "also send a username"
                )
        return self

    @property
    def login(self) -> str:
        return self.username or self.email or ""


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


def message_limit() -> int:
    """The longest chat message the agent accepts (classify's limit, as configured)."""

    return Context().max_message_chars


def check_message(message: str) -> None:
    """422 for a message the agent would refuse, before it can be saved to the thread."""
    limit = message_limit()
    if len(message.strip()) > limit:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "message"),
                    "msg": f"Message is {len(message.strip()):,} characters; "
                    f"the limit is {limit:,}.",
                    "type": "string_too_long",
                }
            ]
        )


def status_for(error: ToolError) -> int:
    """404 for an id that names nothing the user owns, 422 for any other refused call."""
    if isinstance(error, NotFound):
        return status.HTTP_404_NOT_FOUND
    return status.HTTP_422_UNPROCESSABLE_CONTENT


def create_app(settings: APISettings | None = None, store: TaskStore | None = None) -> FastAPI:
    settings = settings or APISettings.from_env()
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")
    trusted_proxies = TrustedProxies(settings.trusted_proxies)

    def token_user(request: Request) -> CurrentUser | None:
        """The signed-in user of a request with a valid bearer token, else None."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            claims = decode_token(header[7:], settings.secret_key, settings.algorithm)
            if claims:
                return CurrentUser(id=claims["uid"], username=claims["sub"])
        return None

    def address_key(request: Request) -> str:
        """The client address (X-Forwarded-For only from a trusted proxy)."""
        return "ip:" + client_address(request.scope, trusted_proxies)

    def rate_key(request: Request) -> str:
        """Authenticated requests are limited per user, the rest per client address."""
        user = token_user(request)
        return f"user:{user.id}" if user else address_key(request)

    def anonymous(request: Request) -> bool:
        return token_user(request) is None

    # key_style="endpoint": a route's budget is per route, not per URL, so /tasks/1/help and
    # /tasks/2/help draw on one budget (slowapi's default keys each URL separately).
    limiter = Limiter(
        key_func=rate_key,
        default_limits=[f"{settings.default_rate_limit}/minute"],
        headers_enabled=True,
        key_style="endpoint",
    )
    default_limit = f"{settings.default_rate_limit}/minute"
    token_limit = f"{settings.token_rate_limit}/minute"
    agent_limit = f"{settings.agent_rate_limit}/minute"
    health_limit = f"{settings.health_rate_limit}/minute"
    # One agent budget per user across every endpoint that runs a model.
    agent_budget = limiter.shared_limit(agent_limit, scope="agent")
    login_failures = WindowLimiter(
        settings.login_failure_limit, settings.login_failure_window_minutes, "login-failures"
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:

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
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)  # outermost

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "Internal error; nothing was changed."}, status_code=500)

    @app.exception_handler(ToolArgumentError)
    async def bad_arguments(request: Request, exc: ToolArgumentError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    async def get_store(request: Request) -> TaskStore:
        """The lifespan's store, or (no lifespan ran) the configured one."""
        opened: TaskStore | None = getattr(request.app.state, "store", None) or store
        if opened is not None:
            return opened
        return await asyncio.to_thread(default_store)

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
    AgentFor = Annotated[Any, Depends(request_agent)]

    def owned_task(store: TaskStore, user: CurrentUser, task_id: int) -> dict[str, Any]:
        task = store.get_task(user.id, task_id)
        if task is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")
        return task

    def run(
        store: TaskStore, user: CurrentUser, tool: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:

        now = datetime.now()
        try:
            return call_tool(store, user.id, tool, arguments, now)
        except ToolError as exc:
            raise HTTPException(
                status_for(exc), str(exc).replace("was not found", "not found")
            ) from exc

    # --- accounts -------------------------------------------------------------------------

    @app.post("/users/signup", status_code=201, response_model=UserOut, tags=["accounts"])
    @limiter.limit(token_limit, key_func=address_key)
    async def signup(
        request: Request, response: Response, body: SignupRequest, store: Store
    ) -> dict[str, Any]:
        """Create an account. The password is stored as an Argon2 hash and never returned.

        Send a ``username``, or only an ``email``, which then is the login name.
        """
        password_hash = await asyncio.to_thread(hash_password, body.password)
        try:
            return await asyncio.to_thread(store.create_user, body.login, password_hash, body.email)
        except UserExists:
            raise HTTPException(status.HTTP_409_CONFLICT, "Username already taken") from None

    @app.post("/token", response_model=TokenOut, tags=["accounts"])
    @limiter.limit(token_limit, key_func=address_key)
    async def token(
        request: Request,
        response: Response,
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        store: Store,
    ) -> dict[str, Any]:
        """Exchange username (or the email you signed up with) and password for a JWT.

        After too many failed attempts on one account it answers 429 for a while, even to
        the right password (per account, whichever address the attempts come from).
        """
        if not login_failures.allows(form.username):
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "Too many failed sign-in attempts for this account; try again later.",
                headers={"Retry-After": str(login_failures.retry_after(form.username))},
            )
        account = await asyncio.to_thread(store.find_user, form.username)
        stored_hash = account["password_hash"] if account else None
        ok = await asyncio.to_thread(verify_password, form.password, stored_hash)
        if not account or not ok:
            login_failures.hit(form.username)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Incorrect username or password",
                headers={"WWW-Authenticate": "Bearer"},
            )
        login_failures.clear(form.username)
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
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Nothing to change")
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
    @agent_budget
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
        return public(result.to_json(), thread_id)

    @app.post("/chat/confirm", tags=["agent"])
    @agent_budget
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
    @agent_budget
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

    @app.post("/tasks/{task_id}/help", tags=["agent"])
    @agent_budget
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
    @agent_budget
    async def task_schedule(
        request: Request, response: Response, task_id: TaskId, user: User, store: Store
    ) -> StreamingResponse:
        """The scheduler specialist, directly."""
        task = await asyncio.to_thread(owned_task, store, user, task_id)
        return sse(help_events(task, "When should I do this?", "scheduler"))

    def tier_status() -> dict[str, Any]:
        """Each tier: available, not in the configured order, or skipped and why (no pings)."""

        order = Context().tier_order()
        tiers: dict[str, Any] = {}
        for tier in TIER_ORDER:
            reason = tier_gate(tier)
            if tier not in order:
                tiers[tier] = {"status": "not in use", "reason": "not in the tier order"}
            elif reason is None:
                tiers[tier] = {"status": "available"}
            else:
                tiers[tier] = {"status": "unavailable", "reason": reason}
        return tiers

    @app.get("/agents/status", tags=["agent"])
    @app.get("/tasks/agents/status", tags=["agent"])
    async def agents_status(request: Request) -> dict[str, Any]:
        """The agents, what they do, and the model tier each would use right now.

        Signed in, also each tier's status (configuration and circuit breaker; no model is
        called: the deep check with inference pings is GET /health).
        """

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
        status_report: dict[str, Any] = {"agents": agents, "triage_enabled": True}
        if token_user(request) is not None:
            status_report["tiers"] = tier_status()
        return status_report

    @app.get("/health", tags=["ops"])
    @limiter.limit(default_limit)
    @limiter.limit(health_limit, exempt_when=anonymous)
    async def health(request: Request, response: Response) -> dict[str, Any]:
        """Liveness for anyone; for a signed-in user the deep check (rate limited): the
        database, each model tier and an inference ping. 503 when unhealthy.

        Anonymous callers never cause a model call: they get ``{"status": "ok"}``.
        """

        if token_user(request) is None:
            return {"status": "ok", "detail": "Alive. Sign in for the deep check."}
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
