"""Deep health checks: the database, each model tier, and a real inference ping.

Shared by ``taskagent health``, the REPL's ``health`` command and the REST API's
``/health`` (for signed-in users). Overall status is ``healthy`` when the database and
primary answer, ``degraded`` when the agent still works through a lower tier, and
``unhealthy`` when the database is down. Failures are reported as short categories;
exception text (hosts, credentials) goes to the server log, never into the report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from graph.models import describe_failure, load_chat_model
from taskagent.settings import MODEL_TIERS, get_settings
from taskagent.store import default_store

log = logging.getLogger(__name__)


async def _ping_tier(tier: str) -> dict[str, Any]:
    settings = get_settings().tiers[tier]
    if not settings.enabled:
        return {"status": "disabled"}
    started = time.perf_counter()
    try:
        reply = await asyncio.wait_for(
            load_chat_model(tier).ainvoke("Say OK."), settings.timeout + 2
        )
    except Exception as exc:  # the category only: the exception's text goes to the log
        return {"status": "down", "model": settings.model, "error": describe_failure(exc)}
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
        log.warning("health: database check failed: %s: %s", type(exc).__name__, exc)
        report["database"] = {"status": "down", "error": "unreachable (details in the server log)"}
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
