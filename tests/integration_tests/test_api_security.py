"""The REST API's security review, against a running `taskagent api` on loopback.

Rate limits keyed by user (not URL), health for anonymous callers, X-Forwarded-For,
sign-in attempts, the request body cap and the chat message limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.context import Context
from tests.integration_tests.api_server import running

pytestmark = pytest.mark.integration

MAX_MESSAGE_CHARS = Context().max_message_chars  # the classify node's limit

# Plumbing, not models: no intent classifier to load, and a primary tier that refuses
# connections at once, so the deep health check's ping fails fast.
FAST = {
    "TASKAGENT_INTENT_CLASSIFIER": "off",
    "TASKAGENT_PRIMARY_MANAGED": "false",
    "TASKAGENT_PRIMARY_API_BASE": "http://127.0.0.1:9/v1",
    "HEALTH_RATE_LIMIT": "3",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("api-security") / "data"
    # Sign-up and sign-in are limited per address; every test here signs up from loopback.
    with running(["api"], data, "/agents/status", **FAST, TOKEN_RATE_LIMIT="1000") as base:
        yield base, data


@pytest.fixture
def client(server: tuple[str, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=60) as http:
        yield http


_counter = iter(range(10_000))


def account(client: httpx.Client) -> tuple[int, str, dict[str, str]]:
    name = f"sec{next(_counter)}"
    created = client.post("/users/signup", json={"username": name, "password": "correct horse"})
    assert created.status_code == 201, created.text
    token = client.post("/token", data={"username": name, "password": "correct horse"})
    return created.json()["id"], name, {"Authorization": f"Bearer {token.json()['access_token']}"}


# --- finding 4: rate limits ------------------------------------------------------------------


def test_agent_endpoints_are_limited_per_user_not_per_task_url(client: httpx.Client) -> None:
    _, _, alice = account(client)
    ids = [
        client.post("/tasks", headers=alice, json={"title": f"Task {i}"}).json()["id"]
        for i in range(4)
    ]
    codes = []
    for i in range(11):  # a different task URL for nearly every call
        task_id = ids[i % len(ids)]
        if i % 2:
            response = client.post(f"/tasks/{task_id}/schedule", headers=alice)
        else:
            response = client.post(
                f"/tasks/{task_id}/help", headers=alice, json={"query": "steps?"}
            )
        codes.append(response.status_code)
    assert codes[:10] == [200] * 10 and codes[10] == 429, codes
    _, _, bob = account(client)  # someone else's budget is untouched
    bob_task = client.post("/tasks", headers=bob, json={"title": "Mine"}).json()["id"]
    assert client.post(f"/tasks/{bob_task}/schedule", headers=bob).status_code == 200


def test_health_pings_no_model_for_anonymous_callers(client: httpx.Client) -> None:
    anonymous = client.get("/health")
    assert anonymous.status_code == 200
    assert anonymous.json()["status"] == "ok"
    assert "tiers" not in anonymous.json() and "database" not in anonymous.json()
    forged = client.get("/health", headers={"Authorization": "Bearer not-a-token"})
    assert "tiers" not in forged.json()


def test_the_deep_health_check_is_for_signed_in_users_and_rate_limited(
    client: httpx.Client,
) -> None:
    _, _, headers = account(client)
    deep = [client.get("/health", headers=headers) for _ in range(4)]
    assert set(deep[0].json()["tiers"]) == {"primary", "fallback", "emergency"}
    assert [r.status_code for r in deep[:3]] in ([200] * 3, [503] * 3)
    assert deep[3].status_code == 429
    assert client.get("/health").status_code == 200  # liveness stays available


def test_sign_in_attempts_are_limited_per_account(client: httpx.Client) -> None:
    _, name, _ = account(client)
    wrong = [
        client.post("/token", data={"username": name, "password": f"guess {i}"}).status_code
        for i in range(10)
    ]
    assert wrong == [401] * 10
    # Even the right password waits now: the account is under a password-guessing attack.
    locked = client.post("/token", data={"username": name, "password": "correct horse"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    _, other, _ = account(client)  # another account signs in as usual
    assert (
        client.post("/token", data={"username": other, "password": "correct horse"}).status_code
        == 200
    )


def test_x_forwarded_for_is_not_trusted_by_default(tmp_path: Path) -> None:
    with (
        running(["api"], tmp_path / "xff", "/agents/status", **FAST) as base,
        httpx.Client(base_url=base) as http,
    ):
        codes = [
            http.post(
                "/token",
                data={"username": f"nobody{i}", "password": "wrong horse"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(6)
        ]
    assert codes[:5] == [401] * 5 and codes[5] == 429, codes


# --- finding 5: input limits -----------------------------------------------------------------


def test_a_body_over_64_kib_is_413_and_writes_nothing(client: httpx.Client) -> None:
    _, _, headers = account(client)
    big = {"title": "x", "description": "y" * (70 * 1024)}
    assert client.post("/tasks", headers=headers, json=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
        yield b'{"title": "x", "description": "'
        for _ in range(70):
            yield b"y" * 1024
        yield b'"}'

    chunked = client.post(
        "/tasks", headers=headers | {"Content-Type": "application/json"}, content=chunks()
    )
    assert chunked.status_code == 413
    assert client.get("/tasks", headers=headers).json()["count"] == 0


def test_a_chat_message_over_the_limit_is_422_and_never_reaches_history(
    client: httpx.Client, server: tuple[str, Path]
) -> None:
    user_id, _, headers = account(client)
    message = "add a task to " + "x" * MAX_MESSAGE_CHARS
    for path in ("/chat", "/chat/stream"):
        response = client.post(path, headers=headers, json={"message": message, "thread_id": "big"})
        assert response.status_code == 422, (path, response.text)
        assert any("message" in error["loc"] for error in response.json()["detail"])
    with sqlite3.connect(server[1] / "checkpoints.sqlite") as db:
        (saved,) = db.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = ?", (f"u{user_id}-big",)
        ).fetchone()
    assert saved == 0
    ok = client.post(
        "/chat", headers=headers, json={"message": "show my tasks", "thread_id": "big"}
    )
    assert ok.status_code == 200


# --- finding 7: the spec's status route ------------------------------------------------------


def test_tasks_agents_status_lists_agents_and_tiers_for_a_signed_in_user(
    client: httpx.Client,
) -> None:
    anonymous = client.get("/tasks/agents/status")
    assert anonymous.status_code == 200 and "tiers" not in anonymous.json()
    assert {a["id"] for a in anonymous.json()["agents"]} >= {"taskagent", "scheduler"}
    _, _, headers = account(client)
    signed_in = client.get("/tasks/agents/status", headers=headers).json()
    assert set(signed_in["tiers"]) == {"primary", "fallback", "emergency"}
    assert signed_in["tiers"]["emergency"]["status"] == "available"
