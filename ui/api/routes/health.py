"""Health (the deep check for signed-in users) and the agents' status."""

from typing import Any

from fastapi import APIRouter, Request, Response, status

from graph.context import Context
from graph.health import check_health
from graph.helpdesk import SPECIALISTS
from graph.models import tier_gate
from nodes.classify import first_available_tier
from taskagent.settings import TIER_ORDER
from ui.api.deps import token_user
from ui.api.limits import limited

router = APIRouter()


def tier_status() -> dict[str, Any]:
    """Each tier: available, not in the configured order, or skipped and why (no pings)."""

    order = Context().tier_order()
    tiers: dict[str, Any] = {}
    for tier in TIER_ORDER:
        reason = tier_gate(tier)
        if tier not in order:
            tiers[tier] = {"status": "not in use", "reason": "not in the tier order"}
        elif reason is None:
            tiers[tier] = {"status": "available"}
        else:
            tiers[tier] = {"status": "unavailable", "reason": reason}
    return tiers


@router.get("/agents/status", tags=["agent"])
@router.get("/tasks/agents/status", tags=["agent"])
async def agents_status(request: Request) -> dict[str, Any]:
    """The agents, what they do, and the model tier each would use right now.

    Signed in, also each tier's status (configuration and circuit breaker; no model is
    called: the deep check with inference pings is GET /health).
    """

    tier, _ = first_available_tier(Context())
    agents = [
        {
            "id": "taskagent",
            "name": "TaskAgent",
            "tier": tier,
            "description": "Plans and runs tool calls on your tasks from plain language.",
        },
        {
            "id": "triage",
            "name": "Triage",
            "tier": "rules",
            "description": "Routes a task's help request to one specialist.",
        },
    ]
    agents += [
        {"id": key, "name": spec["name"], "description": spec["description"], "tier": tier}
        for key, spec in SPECIALISTS.items()
    ]
    status_report: dict[str, Any] = {"agents": agents, "triage_enabled": True}
    if token_user(request) is not None:
        status_report["tiers"] = tier_status()
    return status_report


@router.get("/health", tags=["ops"])
@limited("default", "health")
async def health(request: Request, response: Response) -> dict[str, Any]:
    """Liveness for anyone; for a signed-in user the deep check (rate limited): the
    database, each model tier and an inference ping. 503 when unhealthy.

    Anonymous callers never cause a model call: they get ``{"status": "ok"}``.
    """

    if token_user(request) is None:
        return {"status": "ok", "detail": "Alive. Sign in for the deep check."}
    report = await check_health()
    if report["status"] == "unhealthy":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
