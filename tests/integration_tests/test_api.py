"""The REST API against a running `taskagent api`, one test per criterion of the spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration_tests.api_server import SECRET, running
from tests.integration_tests.conftest import run_cli
from ui.api.security import create_token

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("api") / "data"
    # Generous limits here; the limits themselves are tested on their own server below.
    with running(
        ["api"], data, "/agents/status", TOKEN_RATE_LIMIT="1000", AGENT_RATE_LIMIT="1000"
    ) as base:
        yield base


@pytest.fixture
def client(api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api, timeout=60) as http:
        yield http


_counter = iter(range(10_000))


def account(client: httpx.Client) -> tuple[str, dict[str, str]]:
    name = f"user{next(_counter)}"
    assert (
        client.post(
            "/users/signup", json={"username": name, "password": "correct horse"}
        ).status_code
        == 201
    )
    token = client.post("/token", data={"username": name, "password": "correct horse"}).json()[
        "access_token"
    ]
    return name, {"Authorization": f"Bearer {token}"}


def events(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]


# --- auth --------------------------------------------------------------------------------


def test_signup_hashes_with_argon2_and_never_returns_the_hash(
    client: httpx.Client, api: str
) -> None:
    response = client.post(
        "/users/signup", json={"username": "hashcheck", "password": "correct horse"}
    )
    assert response.status_code == 201
    assert set(response.json()) == {"id", "username", "email"}
    assert (
        client.post(
            "/users/signup", json={"username": "hashcheck", "password": "another one"}
        ).status_code
        == 409
    )


def test_token_returns_a_jwt_and_bad_credentials_get_one_generic_401(client: httpx.Client) -> None:
    name, _ = account(client)
    ok = client.post("/token", data={"username": name, "password": "correct horse"})
    assert ok.status_code == 200 and ok.json()["token_type"] == "bearer"
    assert ok.json()["access_token"].count(".") == 2
    wrong_password = client.post("/token", data={"username": name, "password": "wrong horse"})
    no_such_user = client.post(
        "/token", data={"username": "nobody-here", "password": "correct horse"}
    )
    for response in (wrong_password, no_such_user):
        assert response.status_code == 401
        assert response.json() == {"detail": "Incorrect username or password"}


def test_expired_and_tampered_tokens_are_rejected(client: httpx.Client) -> None:
    name, headers = account(client)
    assert client.get("/tasks", headers=headers).status_code == 200
    expired = create_token(name, 1, SECRET, minutes=-1)
    assert client.get("/tasks", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    token = headers["Authorization"][7:]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get("/tasks", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    forged = create_token(name, 1, "some-other-secret-0123456789abcdef0123456789", minutes=10)
    assert client.get("/tasks", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


# --- tasks -------------------------------------------------------------------------------


def test_crud_round_trip(client: httpx.Client) -> None:
    _, headers = account(client)
    created = client.post(
        "/tasks",
        headers=headers,
        json={"title": "Budget", "priority": "high", "due_date": "2026-12-01", "tags": ["finance"]},
    )
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert client.get(f"/tasks/{task_id}", headers=headers).json()["title"] == "Budget"
    assert client.get("/tasks", headers=headers, params={"priority": "high"}).json()["count"] == 1
    patched = client.patch(f"/tasks/{task_id}", headers=headers, json={"status": "in_progress"})
    assert patched.status_code == 200 and patched.json()["status"] == "in_progress"
    replaced = client.put(f"/tasks/{task_id}", headers=headers, json={"title": "Budget v2"})
    assert replaced.json()["title"] == "Budget v2" and replaced.json()["priority"] == "normal"
    assert client.delete(f"/tasks/{task_id}", headers=headers).status_code == 204
    assert client.get(f"/tasks/{task_id}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "x", "priority": "super"}, "priority"),
        ({"title": "x", "due_date": "someday"}, "due_date"),
        ({"title": "x", "owner_id": 2}, "owner_id"),
    ],
)
def test_a_bad_body_gets_422_with_field_errors_and_writes_nothing(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    _, headers = account(client)
    response = client.post("/tasks", headers=headers, json=body)
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"])
    assert client.get("/tasks", headers=headers).json()["count"] == 0


def test_bola_another_users_task_is_404_everywhere(client: httpx.Client) -> None:
    _, alice = account(client)
    _, bob = account(client)
    task_id = client.post("/tasks", headers=alice, json={"title": "Private plans"}).json()["id"]
    assert client.get(f"/tasks/{task_id}", headers=bob).status_code == 404
    assert (
        client.patch(f"/tasks/{task_id}", headers=bob, json={"title": "pwned"}).status_code == 404
    )
    assert client.put(f"/tasks/{task_id}", headers=bob, json={"title": "pwned"}).status_code == 404
    assert client.delete(f"/tasks/{task_id}", headers=bob).status_code == 404
    assert (
        client.post(f"/tasks/{task_id}/help", headers=bob, json={"query": "steps?"}).status_code
        == 404
    )
    assert client.post(f"/tasks/{task_id}/schedule", headers=bob).status_code == 404
    # Bob's agent cannot touch it either.
    turn = client.post(
        "/chat", headers=bob, json={"message": f"mark task {task_id} as done"}
    ).json()
    assert "not found" in turn["response"]
    assert client.get(f"/tasks/{task_id}", headers=alice).json() == client.get(
        f"/tasks/{task_id}", headers=alice
    ).json() | {"title": "Private plans", "status": "pending"}
    assert client.get("/tasks", headers=bob).json()["count"] == 0


# --- the agent ---------------------------------------------------------------------------


def test_chat_turn_and_delete_confirmation(client: httpx.Client) -> None:
    _, headers = account(client)
    turn = client.post(
        "/chat",
        headers=headers,
        json={"message": "Create a high-priority task to review the Q4 budget due Friday"},
    ).json()
    assert {"response", "tool_calls", "tier", "latency_ms", "thread_id"} <= set(turn)
    task_id = turn["tool_calls"][0]["result"]["task"]["id"]
    pending = client.post(
        "/chat", headers=headers, json={"message": f"delete task {task_id}"}
    ).json()
    assert pending["confirmation_required"]["tool_calls"][0]["name"] == "delete_task"
    assert client.get(f"/tasks/{task_id}", headers=headers).status_code == 200
    _, other = account(client)  # nobody else can answer it
    assert (
        client.post(
            "/chat/confirm",
            headers=other,
            json={"thread_id": pending["thread_id"], "confirm": True},
        ).status_code
        == 404
    )
    done = client.post(
        "/chat/confirm", headers=headers, json={"thread_id": pending["thread_id"], "confirm": True}
    )
    assert done.json()["response"].startswith("Deleted task")
    assert client.get(f"/tasks/{task_id}", headers=headers).status_code == 404


def test_chat_stream_sends_steps_tool_calls_tokens_and_done(client: httpx.Client) -> None:
    _, headers = account(client)
    response = client.post(
        "/chat/stream", headers=headers, json={"message": "add a task to call the bank"}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    kinds = [event["event"] for event in events(response)]
    assert kinds[0] == "step" and kinds[-1] == "done"
    assert "tool_call" in kinds and "token" in kinds
    steps = [e["node"] for e in events(response) if e["event"] == "step"]
    assert steps == ["classify", "plan", "verify", "execute", "respond"]


def test_help_requires_a_jwt(client: httpx.Client) -> None:
    assert client.post("/tasks/1/help", json={"query": "steps?"}).status_code == 401


@pytest.mark.parametrize(
    ("query", "specialist"),
    [
        ("When should I schedule this? I have time tomorrow morning", "scheduler"),
        ("How should I break this down into steps?", "breakdown"),
        ("I'm stuck and blocked waiting on legal", "blocker"),
    ],
)
def test_triage_routes_to_the_right_specialist_and_the_stream_starts_with_the_handoff(
    client: httpx.Client, query: str, specialist: str
) -> None:
    _, headers = account(client)
    task_id = client.post("/tasks", headers=headers, json={"title": "Launch plan"}).json()["id"]
    stream = events(client.post(f"/tasks/{task_id}/help", headers=headers, json={"query": query}))
    assert stream[0] == {
        "event": "handoff",
        "specialist": specialist,
        "name": specialist.capitalize(),
    }
    assert any(e["event"] == "token" and e["text"] for e in stream)
    assert stream[-1]["event"] == "done" and stream[-1]["specialist"] == specialist


def test_schedule_calls_the_scheduler_directly(client: httpx.Client) -> None:
    _, headers = account(client)
    task_id = client.post(
        "/tasks", headers=headers, json={"title": "Dentist", "due_date": "2026-12-03"}
    ).json()["id"]
    stream = events(client.post(f"/tasks/{task_id}/schedule", headers=headers))
    assert stream[0]["specialist"] == "scheduler"
    assert "2026-12-03" in " ".join(e.get("text", "") for e in stream)


def test_agents_status_lists_agents_and_their_tier(client: httpx.Client) -> None:
    status = client.get("/agents/status").json()
    ids = {agent["id"] for agent in status["agents"]}
    assert {"taskagent", "triage", "scheduler", "breakdown", "blocker"} <= ids
    assert all(agent["tier"] and agent["description"] for agent in status["agents"])


# --- ops ---------------------------------------------------------------------------------


def test_health_is_a_deep_check(client: httpx.Client) -> None:
    # The deep check pings the model tiers, so only a signed-in user gets it (rate limited);
    # anyone else gets liveness (tests/integration_tests/test_api_security.py).
    _, headers = account(client)
    report = client.get("/health", headers=headers).json()
    assert report["database"]["status"] == "up"
    assert set(report["tiers"]) == {"primary", "fallback", "emergency"}
    assert report["status"] in ("healthy", "degraded")


def test_openapi_docs_are_complete(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/users/signup",
        "/token",
        "/tasks",
        "/tasks/{task_id}",
        "/chat",
        "/chat/stream",
        "/chat/confirm",
        "/tasks/{task_id}/help",
        "/tasks/{task_id}/schedule",
        "/agents/status",
        "/health",
    ]:
        assert path in paths, path


def test_rate_limit_headers_on_every_response(client: httpx.Client) -> None:
    _, headers = account(client)
    for response in (
        client.get("/agents/status"),
        client.get("/tasks", headers=headers),
        client.get("/health"),
    ):
        assert "x-ratelimit-limit" in {k.lower() for k in response.headers}


def test_rate_limits_token_signup_and_agent(tmp_path: Path) -> None:
    with (
        running(["api"], tmp_path / "limits", "/agents/status") as base,
        httpx.Client(base_url=base) as http,
    ):
        assert (
            http.post(
                "/users/signup", json={"username": "limited", "password": "correct horse"}
            ).status_code
            == 201
        )
        statuses = [
            http.post("/token", data={"username": "limited", "password": "correct horse"})
            for _ in range(5)
        ]
        assert all(r.status_code == 200 for r in statuses[:4])  # signup used one of the five
        assert statuses[-1].headers["x-ratelimit-limit"] == "5"
        blocked = http.post("/token", data={"username": "limited", "password": "correct horse"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        headers = {"Authorization": f"Bearer {statuses[0].json()['access_token']}"}
        codes = [
            http.post("/chat", headers=headers, json={"message": "show my tasks"}).status_code
            for _ in range(11)
        ]
        assert codes[:10] == [200] * 10 and codes[10] == 429


def test_the_api_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "TASKAGENT_DEV")}
    env["TASKAGENT_DATA_DIR"] = str(tmp_path)
    done = run_cli("api", "--port", "1", env=env)
    assert done.returncode == 1 and "SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
