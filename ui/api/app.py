"""The task service: a FastAPI adapter over the task store and the agent graph.

One router per area in ui/api/routes/ (accounts with Argon2 + JWT, owner-scoped tasks through
the tools' own models, the agent, the helpdesk, health), their dependencies in deps.py, rate
limits with ``X-RateLimit-*`` headers on every response. Another user's task is always 404.

Limits (docs/security.md): per user for signed-in requests and per client address
otherwise (``X-Forwarded-For`` only from ``TRUSTED_PROXIES``), one agent budget per user
across the agent endpoints, failed sign-ins per account, a 64 KiB request body cap, and
chat messages no longer than the agent accepts. The app works with or without its
lifespan having run: without it, the store and the agent are opened per request.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from graph.agent import open_agent
from taskagent.errors import ToolArgumentError
from taskagent.settings import APISettings, get_settings
from taskagent.store import TaskStore, default_store
from ui.api.limits import BodySizeLimit, WindowLimiter, install_limits
from ui.api.routes import auth, chat, health, helpdesk, tasks

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.store = app.state.store or await asyncio.to_thread(default_store)
    async with open_agent() as agent:
        app.state.agent = agent
        yield


def create_app(settings: APISettings | None = None, store: TaskStore | None = None) -> FastAPI:
    settings = settings or get_settings().api
    app = FastAPI(
        title="TaskAgent service",
        version="0.1.0",
        description="Tasks, accounts and a task-management agent. Authenticate with POST /token.",
        lifespan=lifespan,
    )
    app.state.settings, app.state.store = settings, store
    app.state.login_failures = WindowLimiter(
        settings.login_failure_limit, settings.login_failure_window_minutes, "login-failures"
    )
    for area in (auth, tasks, chat, helpdesk, health):
        app.include_router(area.router)
    install_limits(app, settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)  # outermost

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "Internal error; nothing was changed."}, status_code=500)

    @app.exception_handler(ToolArgumentError)
    async def bad_arguments(request: Request, exc: ToolArgumentError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    return app
