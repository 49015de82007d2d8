"""TaskAgent over MCP: the eight tools plus ``ask_agent``, on stdio or streamable HTTP.

The tools come straight from :data:`taskagent.tools.TOOLS`: same names, descriptions,
schemas, validation and implementations. ``delete_task`` additionally needs
``confirm: true``. ``ask_agent`` runs the whole graph; a delete it plans waits for
``ask_agent(..., thread_id=..., confirm=true|false)``. A tool that fails answers with an
``isError`` result carrying the reason, never a stack trace.

Identity: over stdio the server acts for ``TASKAGENT_USER`` (default ``local``);
over HTTP (stateless, at ``/mcp``) every request needs ``Authorization: Bearer <JWT>``
from the REST API's ``/token``, and acts for that token's user. A conversation
(``thread_id``) belongs to its user: the checkpointer's thread id encodes both, so no
other user's thread can be named. ``confirm`` must be a boolean (or "true"/"false"
spelled out); messages are capped like the REST API's; over HTTP, requests are rate
limited per user (``MCP_RATE_LIMIT``) and bodies capped at 64 KiB. Unexpected failures
answer with a generic error; their details go to the server log.

Built on the low-level ``Server`` of the MCP Python SDK 1.x (locked at 1.30); the HTTP app
wires bearer auth the way the SDK's FastMCP ``streamable_http_app`` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import mcp.types as types
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.lowlevel import Server

from graph.agent import new_thread_id, open_agent
from graph.context import Context
from taskagent.errors import ToolArgumentError, ToolError
from taskagent.settings import get_settings
from taskagent.store import TaskStore, default_store
from taskagent.tools import DESTRUCTIVE_TOOLS, TOOLS, call_tool
from ui.api.limits import BodySizeLimit, WindowLimiter, send_json
from ui.api.security import decode_token

if TYPE_CHECKING:
    from starlette.applications import Starlette

ASK_AGENT_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "A plain-language request about your tasks."},
        "thread_id": {"type": "string", "description": "Continue this conversation."},
        "confirm": {"type": "boolean", "description": "Answer a pending delete on thread_id."},
    },
    "required": ["message"],
    "additionalProperties": False,
}

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# The same shape as the REST API's thread ids.
THREAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

log = logging.getLogger(__name__)


def conversation_id(user: str, thread: str) -> str:
    """The checkpointer thread of ``user``'s MCP conversation ``thread``.

    Length-prefixing the user makes it injective: ``("bob", "smith-work")`` and
    ``("bob-smith", "work")`` are different threads, and nobody can name a thread that
    another user's conversation lives in.
    """
    return f"mcp-{len(user)}-{user}-{thread}"


def strict_bool(value: Any, name: str = "confirm") -> bool:
    """A JSON boolean, or one spelled out ("true"/"false", "1"/"0", "yes"/"no").

    Anything else is an argument error: ``bool("false")`` is True, so nothing may guess.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ToolArgumentError(f"{name} must be true or false, not {json.dumps(value)[:40]}")


def tool_list() -> list[types.Tool]:
    tools = []
    for spec in TOOLS.values():
        schema = spec.openai_schema()["function"]["parameters"]
        description = spec.description
        if spec.destructive:
            schema = json.loads(json.dumps(schema))
            schema["properties"]["confirm"] = {
                "type": "boolean",
                "description": "Must be true to proceed.",
            }
            schema["required"] = [*schema.get("required", []), "confirm"]
            description += " Requires confirm: true."
        tools.append(
            types.Tool(
                name=spec.name,
                description=description,
                inputSchema=schema,
                annotations=types.ToolAnnotations(
                    readOnlyHint=spec.read_only, destructiveHint=spec.destructive
                ),
            )
        )
    tools.append(
        types.Tool(
            name="ask_agent",
            inputSchema=ASK_AGENT_SCHEMA,
            description="Ask the TaskAgent to do something in plain language; it plans and "
            "runs the tool calls and answers in a sentence.",
        )
    )
    return tools


def _text(payload: Any, error: bool = False) -> types.CallToolResult:
    text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    structured = payload if isinstance(payload, dict) else None
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structuredContent=structured,
        isError=error,
    )


class TaskAgentMCP:
    """The MCP server and what it needs: the store, the agent, who is calling."""

    def __init__(self, stdio_user: str = "local"):
        self.stdio_user = stdio_user
        self.store: TaskStore | None = None
        self.agent: Any = None
        self.server: Server[dict[str, Any], Any] = Server(
            "taskagent",
            version="0.1.0",
            instructions="Manage tasks, projects, reminders and the calendar. "
            "Use ask_agent for plain language.",
            lifespan=self._lifespan,
        )
        self.server.list_tools()(self._list_tools)
        # The tools validate their own arguments (clear messages, and the confirm check
        # below), so the SDK's JSON-Schema pre-check is off.
        self.server.call_tool(validate_input=False)(self._call_tool)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Open the store and the agent, unless they already are (the HTTP app opens them
        once for all its stateless sessions)."""
        if self.agent is not None:
            yield
            return

        self.store = await asyncio.to_thread(default_store)
        async with open_agent() as agent:
            self.agent = agent
            try:
                yield
            finally:
                self.agent = None

    @asynccontextmanager
    async def _lifespan(self, server: Server[dict[str, Any], Any]) -> AsyncIterator[dict[str, Any]]:
        async with self.serving():
            yield {}

    def user(self) -> str:
        token = get_access_token()
        if token is None:
            return self.stdio_user
        return token.subject or token.client_id

    async def _list_tools(self) -> list[types.Tool]:
        return tool_list()

    async def _call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        arguments = dict(arguments or {})
        user = self.user()
        try:
            if name == "ask_agent":
                return await self._ask(user, arguments)
            if name not in TOOLS:
                return _text(f"Unknown tool '{name}'.", error=True)
            if name in DESTRUCTIVE_TOOLS and not strict_bool(arguments.pop("confirm", False)):
                return _text(
                    f"{name} is destructive: call it again with confirm: true to proceed.",
                    error=True,
                )
            store = self.store or default_store()
            now = datetime.now()
            result = await asyncio.to_thread(call_tool, store, user, name, arguments, now)
            return _text(result)
        except (ToolArgumentError, ToolError) as exc:
            return _text(str(exc), error=True)
        except Exception:  # a bug or an outage: the details are for the server log only
            log.exception("MCP tool %s failed", name)
            return _text("The server could not complete this request; try again later.", True)

    async def _ask(self, user: str, arguments: dict[str, Any]) -> types.CallToolResult:

        unknown = sorted(set(arguments) - {"message", "thread_id", "confirm"})
        if unknown:
            raise ToolArgumentError(f"ask_agent: {', '.join(unknown)} is not an argument")
        message = arguments.get("message", "")
        if not isinstance(message, str):
            raise ToolArgumentError("ask_agent: message must be text")
        limit = Context().max_message_chars  # classify's limit: never save what it refuses
        if len(message.strip()) > limit:
            raise ToolArgumentError(
                f"ask_agent: message is {len(message.strip()):,} characters; the limit is "
                f"{limit:,}. Nothing was saved."
            )
        thread = arguments.get("thread_id") or ""
        if not isinstance(thread, str) or (thread and not THREAD_ID.fullmatch(thread)):
            raise ToolArgumentError("ask_agent: thread_id must be 1-64 letters, digits, '-' or '_'")
        answer = strict_bool(arguments["confirm"]) if "confirm" in arguments else None
        internal = conversation_id(user, thread) if thread else None
        if internal and answer is not None and await self.agent.pending_confirmation(internal):
            result = await self.agent.resume(answer, thread_id=internal, user=user)
        else:
            thread = thread or new_thread_id()
            result = await self.agent.ask(
                message, thread_id=conversation_id(user, thread), user=user
            )
        payload = result.to_json() | {"thread_id": thread}
        return _text(payload)


class JWTVerifier:
    """Accepts the REST API's access tokens as MCP bearer tokens."""

    def __init__(self, secret: str, algorithm: str = "HS256"):
        self.secret, self.algorithm = secret, algorithm

    async def verify_token(self, token: str) -> AccessToken | None:

        claims = decode_token(token, self.secret, self.algorithm)
        if claims is None:
            return None
        return AccessToken(
            token=token,
            client_id=claims["sub"],
            subject=claims["sub"],
            scopes=[],
            expires_at=int(claims["exp"]),
            claims=claims,
        )


async def run_stdio() -> None:
    from mcp.server.stdio import stdio_server

    app = TaskAgentMCP(stdio_user=get_settings().agent.user)
    async with stdio_server() as (read_stream, write_stream):
        await app.server.run(read_stream, write_stream, app.server.create_initialization_options())


def http_app(host: str, port: int) -> Starlette:
    """The streamable-HTTP ASGI app at /mcp, requiring a bearer JWT."""
    from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
    from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
    from mcp.server.auth.routes import (
        build_resource_metadata_url,
        create_protected_resource_routes,
    )
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from mcp.server.transport_security import TransportSecuritySettings
    from pydantic import AnyHttpUrl
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.routing import Route
    from starlette.types import Receive, Scope, Send

    settings = get_settings().api
    base = f"http://{host}:{port}"
    issuer_url = AnyHttpUrl(base)
    resource_url = AnyHttpUrl(f"{base}/mcp")
    app = TaskAgentMCP()
    # DNS-rebinding protection on loopback, as FastMCP turns it on.
    security = (
        TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
        if host in LOOPBACK_HOSTS
        else None
    )
    manager = StreamableHTTPSessionManager(
        app=app.server, stateless=True, security_settings=security
    )

    per_user = WindowLimiter(settings.mcp_rate_limit, 1, "mcp-requests")

    async def handle_mcp(scope: Scope, receive: Receive, send: Send) -> None:
        # Behind RequireAuthMiddleware: the request carries a verified token.
        token = getattr(scope.get("user"), "access_token", None)
        claims = getattr(token, "claims", None) or {}
        key = f"uid:{claims['uid']}" if "uid" in claims else f"sub:{token and token.subject}"
        if not per_user.hit(key):
            await send_json(
                send,
                429,
                {"detail": f"Rate limit: {settings.mcp_rate_limit} requests per minute."},
                **{"retry-after": str(per_user.retry_after(key))},
            )
            return
        await manager.handle_request(scope, receive, send)

    # The token's audience is not checked: the REST API's tokens carry none.
    key = settings.secret_key.get_secret_value()
    backend = BearerAuthBackend(JWTVerifier(key, settings.algorithm))
    routes = [
        Route(
            "/mcp",
            endpoint=RequireAuthMiddleware(
                handle_mcp, [], build_resource_metadata_url(resource_url)
            ),
        ),
        *create_protected_resource_routes(
            resource_url=resource_url, authorization_servers=[issuer_url]
        ),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with app.serving(), manager.run():
            yield

    return Starlette(
        routes=routes,
        middleware=[
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(AuthenticationMiddleware, backend=backend),
            Middleware(AuthContextMiddleware),
        ],
        lifespan=lifespan,
    )
