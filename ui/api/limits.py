"""Request limits shared by the REST API and the MCP HTTP server.

* :class:`BodySizeLimit`: ASGI middleware answering 413 to a request body over the cap,
  whether it declares its length or streams it in chunks.
* :func:`client_address`: the address anonymous callers are rate limited by. It is the
  TCP peer; ``X-Forwarded-For`` counts only when the peer is a configured trusted proxy.
* :class:`WindowLimiter`: a moving-window counter per key (failed sign-ins per account,
  MCP requests per user).
* :func:`limited` and :func:`install_limits`: the REST API's slowapi rate limits, per user
  for signed-in requests and per client address otherwise, with ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.extension import _rate_limit_exceeded_handler
from slowapi.middleware import SlowAPIMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskagent.settings import APISettings
from ui.api.deps import token_user

# The rate-limit key for requests that a proxy we do not trust forwarded: they all share
# the proxy's budget, as they would if the proxy's own address were used.
UNTRUSTED_FORWARDER = "forwarded-by-untrusted-proxy"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Any]])


# --- request body cap ----------------------------------------------------------------------


async def send_json(send: Send, status: int, body: dict[str, Any], **headers: str) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    raw += [(name.encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class BodySizeLimit:
    """413 for a request body over ``max_bytes``; the app only ever sees capped bodies.

    The body is read (at most ``max_bytes`` + one chunk) before the app runs and handed
    to it in one piece, so a lying or missing ``Content-Length`` cannot get past the cap.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:  # APISettings.max_body_bytes
        self.app, self.max_bytes = app, max_bytes

    async def too_large(self, send: Send) -> None:
        await send_json(
            send,
            413,
            {"detail": f"Request body too large; the limit is {self.max_bytes:,} bytes."},
            connection="close",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self.too_large(send)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self.too_large(send)
                return
            if not message.get("more_body", False):
                break
        handed_over = False

        async def replay() -> Message:
            nonlocal handed_over
            if not handed_over:
                handed_over = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # after the body: a disconnect, for streaming responses

        await self.app(scope, replay, send)


# --- who is calling ---------------------------------------------------------------------------


class TrustedProxies:
    """IP addresses and networks whose ``X-Forwarded-For`` is believed."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks = [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries]

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, host: object) -> bool:
        try:
            address = ipaddress.ip_address(str(host))
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def _host_port(entry: str) -> tuple[str, int]:
    """An X-Forwarded-For entry as (host, port), the way uvicorn parses it (port 0: none)."""
    if entry.startswith("["):
        end = entry.find("]")
        if end == -1:
            return entry, 0
        port = entry[end + 2 :] if entry[end + 1 : end + 2] == ":" else ""
        return entry[1:end], int(port) if port.isdigit() else 0
    if entry.count(":") == 1:
        host, port = entry.rsplit(":", 1)
        return (host, int(port)) if port.isdigit() else (entry, 0)
    return entry, 0


def forwarded_for(scope: Scope) -> list[tuple[str, int]]:
    """Every X-Forwarded-For entry, leftmost (claimed origin) first."""
    entries = []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            for part in value.decode("latin1").split(","):
                if part.strip():
                    entries.append(_host_port(part.strip()))
    return entries


def client_address(scope: Scope, trusted: TrustedProxies) -> str:
    """The address to rate limit an anonymous request by.

    The TCP peer, unless the peer is a trusted proxy: then the rightmost X-Forwarded-For
    entry that is not itself a trusted proxy. uvicorn (``taskagent api``) rewrites the peer
    from X-Forwarded-For by itself when the connection comes from loopback; such a request
    is recognised (its peer is one of the header's entries) and, unless proxies are
    trusted here, keyed as one forwarding proxy rather than by the address it claims.
    """
    client = scope.get("client") or ("", 0)
    peer = (str(client[0] or ""), int(client[1] or 0))
    entries = forwarded_for(scope)
    if not entries:
        return peer[0] or "unknown"
    rewritten = peer in entries  # uvicorn took the peer from the header: the header's claim
    if not trusted:
        return UNTRUSTED_FORWARDER if rewritten else peer[0]
    if not rewritten and peer[0] not in trusted:
        return peer[0]  # a client talking to us directly: its header means nothing
    for host, _ in reversed(entries):
        if host not in trusted:
            return host
    return entries[0][0]


# --- counters -------------------------------------------------------------------------------


class WindowLimiter:
    """At most ``amount`` hits per key in any ``minutes``-long window (in memory)."""

    def __init__(self, amount: int, minutes: int = 1, namespace: str = "limit") -> None:
        self.item = RateLimitItemPerMinute(max(amount, 1), max(minutes, 1))
        self.namespace = namespace
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def _key(self, key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()  # bounded, whatever the key's size

    def hit(self, key: str) -> bool:
        """Count one; False when the key is over its budget (and it was not counted)."""
        return self.limiter.hit(self.item, self.namespace, self._key(key))

    def allows(self, key: str) -> bool:
        """Whether one more hit would be within the budget (counts nothing)."""
        return self.limiter.test(self.item, self.namespace, self._key(key))

    def clear(self, key: str) -> None:
        self.limiter.clear(self.item, self.namespace, self._key(key))

    def retry_after(self, key: str) -> int:
        """Seconds until the key has budget again (at least 1)."""
        reset_at = self.limiter.get_window_stats(self.item, self.namespace, self._key(key))[0]
        return max(1, int(reset_at - time.time()) + 1)


# --- the REST API's rate limits ---------------------------------------------------------------


def address_key(request: Request) -> str:
    """The client address (X-Forwarded-For only from a trusted proxy)."""
    return "ip:" + client_address(request.scope, request.app.state.trusted_proxies)


def rate_key(request: Request) -> str:
    """Authenticated requests are limited per user, the rest per client address."""
    user = token_user(request)
    return f"user:{user.id}" if user else address_key(request)


def anonymous(request: Request) -> bool:
    return token_user(request) is None


def limited(*budgets: str) -> Callable[[Endpoint], Endpoint]:
    """Draw an endpoint's requests from budgets of its app's limiter: routes are declared
    once, but each app has its own limits and counters, so :func:`install_limits` applies
    slowapi's decorators per app and the endpoint calls the version of the app serving it."""

    def mark(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def per_app(*args: Any, **kwargs: Any) -> Any:
            return await kwargs["request"].app.state.limited[per_app](*args, **kwargs)

        per_app.budgets = budgets  # type: ignore[attr-defined]
        return per_app  # type: ignore[return-value]

    return mark


def install_limits(app: FastAPI, settings: APISettings) -> None:
    """slowapi for the app's routes: each budget ``@limited`` names, the default limit for
    every other route (so every response has headers), and its 429s."""
    default = f"{settings.default_rate_limit}/minute"
    # key_style="endpoint": a route's budget is per route, not per URL, so /tasks/1/help and
    # /tasks/2/help draw on one budget (slowapi's default keys each URL separately).
    limiter = Limiter(
        key_func=rate_key, default_limits=[default], headers_enabled=True, key_style="endpoint"
    )
    budgets = {
        "default": limiter.limit(default),
        "token": limiter.limit(f"{settings.token_rate_limit}/minute", key_func=address_key),
        # One agent budget per user across every endpoint that runs a model.
        "agent": limiter.shared_limit(f"{settings.agent_rate_limit}/minute", scope="agent"),
        "health": limiter.limit(f"{settings.health_rate_limit}/minute", exempt_when=anonymous),
    }
    app.state.limiter, app.state.limited = limiter, {}
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    for endpoint in {getattr(route, "endpoint", None) for route in app.routes}:
        if names := getattr(endpoint, "budgets", ()):
            decorated = endpoint.__wrapped__  # type: ignore[union-attr]
            for name in reversed(names):
                decorated = budgets[name](decorated)
            app.state.limited[endpoint] = decorated
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    app.add_middleware(SlowAPIMiddleware)
