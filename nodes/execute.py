"""execute: run verified calls against the store, in order, as the run's user.

Later calls can use earlier results: an id that verify marked as bound
("add a task to the project I just created") is filled in from the earlier call's
result. Destructive calls pause the graph with ``interrupt`` before anything in
the batch runs; ``Command(resume=True)`` confirms, anything else cancels.

The store is synchronous SQLAlchemy, so calls run in a worker thread to keep the
event loop (and LangGraph's dev server) free.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.messages.tool import tool_call
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graph.checkpoint import tool_call_key
from graph.context import Context
from graph.state import State
from serving.wire import tool_result_text
from taskagent.errors import ToolArgumentError, ToolError
from taskagent.store import TaskStore, default_store
from taskagent.tools import DESTRUCTIVE_TOOLS, call_tool

log = logging.getLogger(__name__)

CANCELLED = "Cancelled by the user; nothing was deleted."


def is_confirmation(answer: Any) -> bool:
    """Only an explicit yes confirms a destructive action."""
    if isinstance(answer, dict):
        answer = answer.get("confirm", answer.get("approved"))
    if isinstance(answer, bool):
        return answer
    return str(answer).strip().lower() in {
        "y",
        "yes",
        "confirm",
        "confirmed",
        "true",
        "ok",
        "approve",
    }


def _describe_target(store: TaskStore, user_id: int, call: dict[str, Any]) -> str:
    task_id = call["arguments"].get("task_id")
    if task_id is None:
        return "the task created in this request"
    task = store.get_task(user_id, task_id)
    return f"task #{task_id} “{task['title']}”" if task else f"task #{task_id}"


def _focus(results: list[dict[str, Any]], current: int | None) -> int | None:
    """The task the conversation is about now: the last one a call touched."""
    for result in reversed(results):
        body = result.get("result") or {}
        task = body.get("task") or body.get("deleted")
        if isinstance(task, dict) and "id" in task:
            return None if "deleted" in body else int(task["id"])
        reminder = body.get("reminder")
        if isinstance(reminder, dict) and reminder.get("task_id"):
            return int(reminder["task_id"])
    return current


def _result_id(result: dict[str, Any] | None, field_name: str) -> int | None:
    if not result or not result.get("ok"):
        return None
    body = result["result"]
    entity = body.get("project" if field_name == "project_id" else "task")
    return int(entity["id"]) if isinstance(entity, dict) and "id" in entity else None


async def execute(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Run the pending calls; pause first if any of them is destructive."""
    context = runtime.context or Context()
    now = context.clock()
    store = await asyncio.to_thread(default_store)  # may create the database: blocking I/O
    user_id = await asyncio.to_thread(store.ensure_user, context.user)
    calls = state.pending_calls

    approved = True
    destructive = [c for c in calls if c["name"] in DESTRUCTIVE_TOOLS]
    if destructive:
        targets = [
            await asyncio.to_thread(_describe_target, store, user_id, c) for c in destructive
        ]
        answer = interrupt(
            {
                "type": "confirmation",
                "question": f"Delete {', '.join(targets)}? This cannot be undone.",
                "tool_calls": [
                    {"name": c["name"], "arguments": c["arguments"]} for c in destructive
                ],
            }
        )
        approved = is_confirmation(answer)

    results: list[dict[str, Any]] = []
    for call in calls:
        arguments = dict(call["arguments"])
        entry: dict[str, Any] = {"id": call["id"], "name": call["name"], "arguments": arguments}
        try:
            for field_name, index in (call.get("bind") or {}).items():
                bound = _result_id(results[index] if index < len(results) else None, field_name)
                if bound is None:
                    raise ToolError(
                        f"skipped because the earlier {results[index]['name']} call failed."
                    )
                arguments[field_name] = bound
            if call["name"] in DESTRUCTIVE_TOOLS and not approved:
                raise ToolError(CANCELLED)
            entry["result"] = await asyncio.to_thread(
                call_tool, store, user_id, call["name"], arguments, now, tool_call_key(len(results))
            )
            entry["ok"] = True
        except (ToolError, ToolArgumentError) as exc:
            entry |= {"ok": False, "error": str(exc), "cancelled": str(exc) == CANCELLED}
        except Exception:  # a bug or a database outage: log it, tell the user plainly
            log.exception("tool %s failed", call["name"])
            entry |= {
                "ok": False,
                "error": "the task database is not responding; nothing was changed.",
            }
        results.append(entry)

    transcript: list[Any] = [
        AIMessage(
            content="",
            tool_calls=[
                tool_call(name=r["name"], args=r["arguments"], id=r["id"]) for r in results
            ],
        )
    ]
    transcript += [
        ToolMessage(
            content=tool_result_text(r.get("result") or {"error": r.get("error")})[:1500],
            tool_call_id=r["id"],
            name=r["name"],
        )
        for r in results
    ]
    return {
        "tool_results": results,
        "pending_calls": [],
        "scratch": transcript,
        "focus_task_id": _focus(results, state.focus_task_id),
    }
