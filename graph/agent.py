"""The one entry point every interface uses: run a turn, resume a confirmation.

CLI, REST, MCP and the web chat are thin adapters over :class:`Agent`, which owns a
compiled graph with a persistent checkpointer and turns a graph run into a
:class:`TurnResult` (the ``ask --json`` shape).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.types import Command, Durability

from graph import models
from graph.builder import build_graph
from graph.checkpoint import open_checkpointer
from graph.context import Context
from graph.intents import load_classifier


@dataclass
class TurnResult:
    """What one agent turn did, in a JSON-ready shape."""

    response: str
    tool_calls: list[dict[str, Any]]
    tier: str
    latency_ms: float
    thread_id: str
    tier_log: list[dict[str, Any]] = field(default_factory=list)
    model_calls: int = 0
    confirmation_required: dict[str, Any] | None = None
    # every raw model output meant as a tool call, valid or not, before repair (evals read it)
    json_checks: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _plain(value: Any) -> Any:
    """A state value as JSON-ready data (reset markers unwrapped, messages as calls/text)."""
    value = getattr(value, "value", value) if type(value).__name__ == "Overwrite" else value
    if hasattr(value, "tool_calls") and hasattr(value, "content"):
        calls = [{"name": c["name"], "arguments": c["args"]} for c in value.tool_calls or []]
        return {"tool_calls": calls} if calls else {"text": str(value.content)[:500]}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# What each node's step shows: the state keys that explain what it decided.
STEP_FIELDS = {
    "classify": ("route", "intents", "tier", "notice"),
    "plan": ("tier", "draft", "plan_error"),
    "verify": ("pending_calls", "verify_error", "json_checks", "repairs"),
    "fallback": ("tier", "tier_log"),
    "respond": ("tier",),
}


def step_detail(node: str, update: dict[str, Any]) -> dict[str, Any]:
    """The part of a node's update worth showing, JSON-ready; empty values left out."""
    detail = {}
    for key in STEP_FIELDS.get(node, ()):
        if key in update:
            value = _plain(update[key])
            if value not in (None, [], {}, ""):
                detail[key] = value
    return detail


# Every step's checkpoint is on disk before the next step starts. A tool's write and the
# checkpoint that records it cannot be one transaction, so a crash in between re-runs the
# step on resume; with "sync" that re-run starts from the same checkpoint, so the tool
# calls get the same idempotency keys (graph.checkpoint.tool_call_key) and are not repeated.
DURABILITY: Durability = "sync"


def new_thread_id() -> str:
    return uuid.uuid4().hex[:12]


class Agent:
    """A compiled TaskAgent graph bound to a checkpointer."""

    def __init__(self, graph: Any):
        self.graph = graph

    async def ask(
        self,
        message: str,
        *,
        thread_id: str | None = None,
        user: str = "",
        now: str | None = None,
        tiers: str | None = None,
    ) -> TurnResult:
        """Run one turn. If it stops for a confirmation, ``confirmation_required`` says so."""
        return await self._run(
            {"messages": [HumanMessage(content=message)]}, thread_id, user, now, tiers
        )

    async def resume(
        self,
        answer: Any,
        *,
        thread_id: str,
        user: str = "",
        now: str | None = None,
        tiers: str | None = None,
    ) -> TurnResult:
        """Answer a pending confirmation (True/"yes" confirms; anything else cancels)."""
        return await self._run(Command(resume=answer), thread_id, user, now, tiers)

    async def stream(
        self,
        payload: Any,
        *,
        thread_id: str,
        user: str = "",
        now: str | None = None,
        tiers: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Run a turn (a message, or ``Command(resume=...)``) and yield events as they happen.

        Events: ``step`` (a node finished, with ``detail``: what it decided), ``tool_call``
        (a call ran), ``token`` (answer text), ``confirmation_required`` (the turn paused),
        ``done`` (the TurnResult).
        """
        if isinstance(payload, str):
            payload = {"messages": [HumanMessage(content=payload)]}
        config = {"configurable": {"thread_id": thread_id}}
        started = time.perf_counter()
        async for mode, chunk in self.graph.astream(
            payload,
            config,
            context=self.context(user, now, tiers),
            stream_mode=["updates", "messages"],
            durability=DURABILITY,
        ):
            if mode == "messages":
                message, metadata = chunk
                if metadata.get("langgraph_node") == "respond" and message.content:
                    yield {"event": "token", "text": str(message.content)}
                continue
            for node, update in chunk.items():
                if node == "__interrupt__":
                    yield {
                        "event": "confirmation_required",
                        "thread_id": thread_id,
                        **dict(update[0].value),
                    }
                    continue
                update = update or {}
                yield {
                    "event": "step",
                    "node": node,
                    "keys": sorted(update.keys()),
                    "detail": step_detail(node, update),
                }
                results = update.get("tool_results")
                for result in results if isinstance(results, list) else []:  # not a reset
                    yield {
                        "event": "tool_call",
                        "name": result["name"],
                        "arguments": result["arguments"],
                        "ok": result.get("ok", False),
                        "result": result.get("result")
                        if result.get("ok")
                        else {"error": result.get("error")},
                    }
        snapshot = await self.graph.aget_state(config)
        result = self._result(
            dict(snapshot.values),
            thread_id,
            (time.perf_counter() - started) * 1000,
            [dict(i.value) for t in snapshot.tasks for i in t.interrupts],
        )
        yield {"event": "done", **result.to_json()}

    async def pending_confirmation(self, thread_id: str) -> dict[str, Any] | None:
        snapshot = await self.graph.aget_state({"configurable": {"thread_id": thread_id}})
        for task in snapshot.tasks:
            for pending in task.interrupts:
                return dict(pending.value)
        return None

    def context(self, user: str, now: str | None, tiers: str | None) -> Context:
        """The run's context; an empty ``user`` means TASKAGENT_USER, else ``local``."""
        overrides: dict[str, Any] = {"user": user}
        if now:
            overrides["now"] = now
        if tiers:
            overrides["tiers"] = tiers
        return Context(**overrides)

    async def _run(
        self, payload: Any, thread_id: str | None, user: str, now: str | None, tiers: str | None
    ) -> TurnResult:
        thread_id = thread_id or new_thread_id()
        config = {"configurable": {"thread_id": thread_id}}
        started = time.perf_counter()
        output = await self.graph.ainvoke(
            payload, config, context=self.context(user, now, tiers), durability=DURABILITY
        )
        latency_ms = (time.perf_counter() - started) * 1000
        interrupts = [dict(i.value) for i in output.get("__interrupt__") or []]
        return self._result(output, thread_id, latency_ms, interrupts)

    def _result(
        self,
        output: dict[str, Any],
        thread_id: str,
        latency_ms: float,
        interrupts: list[dict[str, Any]],
    ) -> TurnResult:
        confirmation = interrupts[0] if interrupts else None
        messages = output.get("messages") or []
        response = ""
        if confirmation is not None:
            response = confirmation.get("question", "Please confirm.")
        elif messages and messages[-1].type == "ai":
            response = str(messages[-1].content)
        calls = [
            {
                "name": r["name"],
                "arguments": r["arguments"],
                "ok": bool(r.get("ok")),
                "result": r["result"] if r.get("ok") else {"error": r.get("error")},
            }
            for r in output.get("tool_results") or []
        ]
        return TurnResult(
            response=response,
            tool_calls=calls,
            tier=output.get("tier", "emergency"),
            latency_ms=round(latency_ms, 1),
            thread_id=thread_id,
            tier_log=list(output.get("tier_log") or []),
            model_calls=int(output.get("model_calls") or 0),
            confirmation_required=confirmation,
            json_checks=list(output.get("json_checks") or []),
        )


@asynccontextmanager
async def open_agent(
    checkpointer_kind: str | None = None, warm: bool = True
) -> AsyncIterator[Agent]:
    """An :class:`Agent` with the configured persistent checkpointer.

    ``warm`` pays LiteLLM's import and the intent classifier's load (seconds) up front
    rather than inside the first turn.
    """
    if warm:
        await asyncio.to_thread(models.warm, Context().tier_order())
        await asyncio.to_thread(load_classifier)
    async with open_checkpointer(checkpointer_kind) as saver:
        yield Agent(build_graph(checkpointer=saver))
