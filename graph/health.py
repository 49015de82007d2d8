"""Deep health checks: the database, each model tier, and a real inference ping.

Shared by ``taskagent health``, the REPL's ``health`` command and (later) the REST
API's ``/health``. Overall status is ``healthy`` when the database and primary
answer, ``degraded`` when the agent still works through a lower tier, and
``unhealthy`` when the database is down.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from graph.config import MODEL_TIERS, load_settings
from graph.models import load_chat_model
from taskagent.store import default_store


async def _ping_tier(tier: str) -> dict[str, Any]:
    settings = load_settings().tiers[tier]
    if not settings.enabled:
        return {"status": "disabled"}
    started = time.perf_counter()
    try:
        reply = await asyncio.wait_for(
            load_chat_model(tier).ainvoke("Say OK."), settings.timeout + 2
        )
    except Exception as exc:
        return {"status": "down", "model": settings.model, "error": str(exc).splitlines()[0][:200]}
    return {
        "status": "up",
        "model": settings.model,
        "inference_ms": round((time.perf_counter() - started) * 1000, 1),
        "reply_chars": len(str(reply.content)),
    }


async def check_health() -> dict[str, Any]:
    """Run every check and summarise."""
    report: dict[str, Any] = {}
    try:
        await asyncio.to_thread(default_store().ping)
        report["database"] = {"status": "up"}
    except Exception as exc:
        report["database"] = {"status": "down", "error": str(exc).splitlines()[0][:200]}
    tiers = await asyncio.gather(*(_ping_tier(t) for t in MODEL_TIERS))
    report["tiers"] = dict(zip(MODEL_TIERS, tiers, strict=True))
    report["tiers"]["emergency"] = {"status": "up", "model": "rule-based planner"}
    if report["database"]["status"] != "up":
        report["status"] = "unhealthy"
    elif report["tiers"]["primary"]["status"] == "up":
        report["status"] = "healthy"
    else:
        report["status"] = "degraded"
    return report
