"""50 concurrent users × 20 requests (CRUD and /chat on the rule-based tier): no errors,
nothing lost, nothing duplicated. Latency figures live in docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_api_load import run_load
from tests.integration_tests.api_server import running

pytestmark = pytest.mark.integration


async def test_fifty_concurrent_users(tmp_path: Path) -> None:
    with running(
        ["api"],
        tmp_path / "data",
        "/agents/status",
        TOKEN_RATE_LIMIT="100000",
        AGENT_RATE_LIMIT="100000",
        DEFAULT_RATE_LIMIT="100000",
    ) as base:
        report = await run_load(base, users=50, requests=20)
    assert report["total_requests"] >= 50 * 20
    assert report["errors"] == 0, report["error_samples"]
    assert report["missing_tasks"] == 0
    assert report["duplicate_tasks"] == 0
