"""Load on the REST API: N concurrent users × M requests mixing CRUD and /chat.

Runs against a live `taskagent api` on loopback with the rule-based tier, so the
model is not the bottleneck. Checks correctness as well as speed: zero errors, every
created task present afterwards, no duplicates.

Usage: ``uv run python bench/bench_api_load.py [--users 50] [--requests 20]``
(starts its own server). Writes ``bench/results/api_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def one_user(
    client: httpx.AsyncClient,
    index: int,
    requests: int,
    timings: dict[str, list[float]],
    errors: list[str],
) -> tuple[dict[str, str], set[str]]:
    name = f"load{index}"
    expected: set[str] = set()

    async def call(kind: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        timings[kind].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            errors.append(f"{kind} {response.status_code} {response.text[:120]}")
        return response

    await call(
        "signup", "POST", "/users/signup", json={"username": name, "password": "correct horse"}
    )
    token = (
        await call("token", "POST", "/token", data={"username": name, "password": "correct horse"})
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    last_id = None
    for step in range(requests):
        kind = step % 5
        if kind in (0, 1):
            title = f"u{index}-task{step}"
            response = await call(
                "create", "POST", "/tasks", headers=headers, json={"title": title}
            )
            if response.status_code == 201:
                expected.add(title)
                last_id = response.json()["id"]
        elif kind == 2 and last_id is not None:
            await call(
                "patch", "PATCH", f"/tasks/{last_id}", headers=headers, json={"priority": "high"}
            )
        elif kind == 3:
            await call("list", "GET", "/tasks", headers=headers)
        else:
            title = f"u{index}-chat{step}"
            response = await call(
                "chat",
                "POST",
                "/chat",
                headers=headers,
                json={"message": f'add a task called "{title}"'},
            )
            if response.status_code == 200 and response.json()["tool_calls"]:
                expected.add(title)
    return headers, expected


async def run_load(base: str, users: int, requests: int) -> dict[str, Any]:
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(one_user(client, i, requests, timings, errors) for i in range(users))
        )
        wall = time.perf_counter() - started
        missing = duplicates = 0
        for headers, expected in results:
            listed = (await client.get("/tasks", headers=headers)).json()["tasks"]
            titles = [task["title"] for task in listed]
            duplicates += len(titles) - len(set(titles))
            missing += len(expected - set(titles))
    every = [t for values in timings.values() for t in values]
    return {
        "users": users,
        "requests_per_user": requests,
        "total_requests": len(every),
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(every) / wall, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "missing_tasks": missing,
        "duplicate_tasks": duplicates,
        "all": {
            "median_ms": round(statistics.median(every), 1),
            "p95_ms": round(pct(every, 0.95), 1),
        },
        "by_kind": {
            kind: {
                "n": len(v),
                "median_ms": round(statistics.median(v), 1),
                "p95_ms": round(pct(v, 0.95), 1),
            }
            for kind, v in sorted(timings.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    from tests.integration_tests.api_server import running

    with (
        tempfile.TemporaryDirectory() as workdir,
        running(
            ["api"],
            Path(workdir) / "data",
            "/agents/status",
            TOKEN_RATE_LIMIT="100000",
            AGENT_RATE_LIMIT="100000",
            DEFAULT_RATE_LIMIT="100000",
        ) as base,
    ):
        report = asyncio.run(run_load(base, args.users, args.requests))
    out = ROOT / "bench" / "results" / "api_load.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
