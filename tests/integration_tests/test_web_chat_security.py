"""The security review's web-chat SQL injection, driven over a real socket.

A signed-in user opens Chainlit's socket with a crafted ``threadId``, sends a message,
then lists their threads over HTTP: before the fix the listing carried every account's
Argon2 hash. Here the socket is refused, nothing is saved under the crafted id, and
the listing shows no other rows. Real parts: `taskagent ui` in its own process, a
python-socketio client, httpx.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration_tests.test_web_chat import PASSWORD, WebChat, web_chat
from tests.unit_tests.test_chainlit_store import CRAFTED_THREAD_ID

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebChat]:
    with web_chat(tmp_path_factory.mktemp("web-sec") / "data") as running:
        yield running


def _cookie(app: WebChat, user: str) -> str:
    response = httpx.post(
        app.base + "/login", data={"username": user, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


async def _crafted_socket_turn(app: WebChat, cookie: str) -> str:
    """Connect with the crafted threadId and send one message; say what happened."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    answered = asyncio.Event()
    client.on("task_end", lambda *_: answered.set())
    try:
        await client.connect(
            app.base,
            socketio_path="/ws/socket.io",
            headers={"Cookie": cookie},
            auth={
                "threadId": CRAFTED_THREAD_ID,
                "sessionId": str(uuid.uuid4()),
                "clientType": "webapp",
            },
            transports=["websocket"],
            wait_timeout=30,
        )
    except socketio.exceptions.ConnectionError as refused:
        return f"refused: {refused}"
    try:
        await client.emit("connection_successful")
        await asyncio.sleep(1)
        answered.clear()
        message = {
            "id": str(uuid.uuid4()),
            "threadId": CRAFTED_THREAD_ID,
            "name": "mallory",
            "type": "user_message",
            "output": "show my tasks",
            "createdAt": datetime.now(UTC).isoformat(),
        }
        await client.emit("client_message", {"message": message, "fileReferences": None})
        await asyncio.wait_for(answered.wait(), timeout=90)
        return "connected"
    finally:
        await client.disconnect()


def test_a_crafted_thread_id_on_the_socket_leaks_nothing(app: WebChat, tmp_path: Path) -> None:
    from ui.api.security import hash_password  # noqa: F401 (accounts are Argon2)

    cookie = _cookie(app, "alice")
    outcome = asyncio.run(_crafted_socket_turn(app, cookie))
    listed: Any = httpx.post(
        app.base + "/project/threads",
        json={"pagination": {"first": 20}, "filter": {}},
        headers={"Cookie": cookie},
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    body = listed.text
    assert "argon2" not in body and "bob" not in body, body[:2000]
    assert outcome.startswith("refused"), outcome
    assert "refused a socket whose threadId is not a UUID" in app.log.read_text()
