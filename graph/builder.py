"""Wire the six nodes into the TaskAgent graph.

    classify → plan → verify → execute → (plan again while a chain needs more) → respond
                 ↘ fallback ↗   (a failed tier hands over: primary → fallback → emergency)

Routing is pure functions of the state with ``Literal`` return types. The module
ends with the compiled ``graph`` that ``langgraph.json`` points at (LangGraph
Studio supplies its own checkpointer); adapters call :func:`build_graph` with a
persistent checkpointer instead.
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.types import Checkpointer

from graph.context import Context
from graph.state import InputState, State, requested_writes_left
from nodes.classify import classify
from nodes.execute import execute
from nodes.fallback import fallback
from nodes.plan import plan
from nodes.respond import respond
from nodes.verify import verify
from taskagent.settings import get_settings


def route_after_classify(state: State) -> Literal["plan", "respond"]:
    """Only task requests reach the planner."""
    return "plan" if state.route == "plan" else "respond"


def route_after_plan(state: State) -> Literal["verify", "fallback", "respond"]:
    """A tier that failed to answer hands over; the emergency tier cannot fail over."""
    if state.tier_failed:
        return "respond" if state.tier == "emergency" else "fallback"
    return "verify"


def route_after_verify(state: State) -> Literal["execute", "plan", "fallback", "respond"]:
    """Valid calls run; an invalid batch is repaired once, then the tier has failed."""
    if state.pending_calls:
        return "execute"
    if state.tier_failed:
        return "respond" if state.tier == "emergency" else "fallback"
    if state.verify_error:
        return "plan"
    return "respond"


def route_after_execute(state: State) -> Literal["plan", "respond"]:
    """Go round again while writes the request asked for remain and the budget allows:
    a model mid-chain, or the rules after looking up a task named by its title."""
    last_ok = all(result.get("ok") for result in state.tool_results)
    if not (state.steps_left > 0 and last_ok and requested_writes_left(state)):
        return "respond"
    if state.tier != "emergency":
        return "plan"
    only_looked_up = {r["name"] for r in state.tool_results} == {"list_tasks"}
    return "plan" if only_looked_up else "respond"


# Read the config file now, at import, rather than inside the first node (event loop).
get_settings()

builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node(classify)
builder.add_node(plan)
builder.add_node(verify)
builder.add_node(execute)
builder.add_node(fallback)
builder.add_node(respond)
builder.add_edge(START, "classify")
builder.add_conditional_edges("classify", route_after_classify)
builder.add_conditional_edges("plan", route_after_plan)
builder.add_conditional_edges("verify", route_after_verify)
builder.add_conditional_edges("execute", route_after_execute)
builder.add_edge("fallback", "plan")
builder.add_edge("respond", END)


def build_graph(checkpointer: Checkpointer = None):  # type: ignore[no-untyped-def]
    """Compile the graph with a checkpointer (persistent for adapters, in-memory in tests)."""
    return builder.compile(checkpointer=checkpointer, name="taskagent")


graph = builder.compile(name="taskagent")
