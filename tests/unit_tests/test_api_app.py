"""The REST app in-process (TestClient, no server): lifespan-free use, the spec's signup and
status shapes, anonymous health, and the address rate limits key on.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from taskagent.errors import NotFound, ToolError
from taskagent.settings import APISettings, reset_settings
from ui.api import deps
from ui.api.app import create_app
from ui.api.limits import UNTRUSTED_FORWARDER, TrustedProxies, client_address

SECRET = "unit-test-secret-0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    reset_settings()


@pytest.fixture
def client() -> TestClient:
    """A client without ``with``: the app's lifespan never runs."""
    return TestClient(create_app(APISettings(secret_key=SECRET, token_rate_limit=100)))


def sign_in(client: TestClient, **signup: str) -> dict[str, str]:
    assert client.post("/users/signup", json=signup).status_code == 201
    login = signup.get("username") or signup["email"]
    token = client.post("/token", data={"username": login, "password": signup["password"]})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


# --- finding 7: works without the lifespan; the spec's shapes --------------------------------


def test_the_agent_works_without_the_lifespan(client: TestClient) -> None:
    headers = sign_in(client, username="alice", password="correct horse")
    turn = client.post("/chat", headers=headers, json={"message": "add a task to call the bank"})
    assert turn.status_code == 200 and turn.json()["tool_calls"][0]["ok"]
    # the next request runs on another event loop (TestClient without `with`)
    listed = client.post("/chat", headers=headers, json={"message": "show my tasks"})
    assert listed.status_code == 200 and "Call the bank" in listed.json()["response"]
    streamed = client.post("/chat/stream", headers=headers, json={"message": "show my tasks"})
    assert streamed.status_code == 200 and '"event": "done"' in streamed.text


def test_signup_with_only_an_email_makes_it_the_login_name(client: TestClient) -> None:
    created = client.post("/users/signup", json={"email": "a@example.com", "password": "pw123456"})
    assert created.status_code == 201
    assert created.json() == {"id": 1, "username": "a@example.com", "email": "a@example.com"}
    token = client.post("/token", data={"username": "a@example.com", "password": "pw123456"})
    assert token.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"password": "pw123456"},  # neither
        {"email": "not-an-email", "password": "pw123456"},
        {"email": "x" * 60 + "@example.com", "password": "pw123456"},  # too long a login
        {"email": "a b@example.com", "password": "pw123456"},
    ],
)
def test_signup_without_a_usable_login_name_is_422(client: TestClient, body: Any) -> None:
    assert client.post("/users/signup", json=body).status_code == 422


def test_tasks_agents_status_exists_and_adds_tiers_when_signed_in(client: TestClient) -> None:
    anonymous = client.get("/tasks/agents/status").json()
    assert "agents" in anonymous and "tiers" not in anonymous
    headers = sign_in(client, username="alice", password="correct horse")
    tiers = client.get("/tasks/agents/status", headers=headers).json()["tiers"]
    assert tiers["emergency"] == {"status": "available"}
    assert tiers["primary"]["status"] == "not in use"  # TASKAGENT_TIERS=emergency


# --- finding 4: anonymous /health pings nothing ----------------------------------------------


def test_anonymous_health_never_pings_a_model(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph.health

    pings: list[str] = []

    async def ping(tier: str) -> dict[str, Any]:
        pings.append(tier)
        return {"status": "up"}

    monkeypatch.setattr(graph.health, "_ping_tier", ping)
    for headers in ({}, {"Authorization": "Bearer forged"}):
        response = client.get("/health", headers=headers)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert "x-ratelimit-limit" in response.headers
    assert pings == []
    signed_in = sign_in(client, username="alice", password="correct horse")
    assert "tiers" in client.get("/health", headers=signed_in).json()
    assert pings == ["primary", "fallback"]


# --- finding 4: which address an anonymous request is limited by ----------------------------


def scope(peer: tuple[str, int], forwarded: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": peer, "headers": headers}


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    none = TrustedProxies()
    assert client_address(scope(("198.51.100.7", 5123), "203.0.113.9"), none) == "198.51.100.7"
    # uvicorn already took the peer from the header (loopback peer): one shared bucket
    assert client_address(scope(("203.0.113.9", 0), "203.0.113.9"), none) == UNTRUSTED_FORWARDER
    assert client_address(scope(("203.0.113.8", 0), "203.0.113.8"), none) == UNTRUSTED_FORWARDER


def test_a_trusted_proxy_is_believed_from_the_right() -> None:
    trusted = TrustedProxies(["10.0.0.0/8"])
    # the client claims 6.6.6.6; our proxy 10.0.0.5 saw 198.51.100.7 connect
    claimed = "6.6.6.6, 198.51.100.7"
    assert client_address(scope(("10.0.0.5", 4000), claimed), trusted) == "198.51.100.7"
    # a client talking to us directly cannot use the header at all
    assert client_address(scope(("198.51.100.7", 4000), "6.6.6.6"), trusted) == "198.51.100.7"
    assert client_address(scope(("10.0.0.5", 4000), "10.0.0.6, 10.0.0.7"), trusted) == "10.0.0.6"


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (NotFound("Task", 9), (404, "Task 9 not found.")),
        # a refusal that happens to say "not found" is still a refusal, not a missing task
        (ToolError("Calendar 'not found' is no name."), (422, "Calendar 'not found' is no name.")),
    ],
)
def test_a_404_comes_from_the_errors_kind_not_its_wording(
    error: ToolError, answer: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any) -> None:
        raise error

    monkeypatch.setattr(deps, "call_tool", refuse)
    with pytest.raises(HTTPException) as refused:
        deps.call_tool_as(None, deps.CurrentUser(id=1, username="zoe"), "update_task", {})  # type: ignore[arg-type]
    assert (refused.value.status_code, refused.value.detail) == answer
    assert str(NotFound("Task", 9)) == "Task 9 was not found."  # the agent's own wording


def test_an_unknown_task_id_is_a_404(client: TestClient) -> None:
    headers = sign_in(client, username="zoe", password="correct horse battery")
    for response in (
        client.patch("/tasks/9999", headers=headers, json={"priority": "high"}),
        client.delete("/tasks/9999", headers=headers),
    ):
        assert response.status_code == 404
        assert "not found" in response.json()["detail"]
