"""Routing is pure: state in, next node out."""

from graph.builder import (
    route_after_classify,
    route_after_execute,
    route_after_plan,
    route_after_verify,
)
from graph.state import State, requested_writes_left


def test_after_classify() -> None:
    assert route_after_classify(State(route="plan")) == "plan"
    assert route_after_classify(State(route="decline")) == "respond"
    assert route_after_classify(State(route="invalid")) == "respond"


def test_after_plan() -> None:
    assert route_after_plan(State()) == "verify"
    assert route_after_plan(State(tier_failed=True, tier="primary")) == "fallback"
    assert route_after_plan(State(tier_failed=True, tier="emergency")) == "respond"


def test_after_verify() -> None:
    assert route_after_verify(State(pending_calls=[{"name": "list_tasks"}])) == "execute"
    assert route_after_verify(State(verify_error="bad", repairs=1)) == "plan"
    assert route_after_verify(State(verify_error="bad", tier_failed=True)) == "fallback"
    assert (
        route_after_verify(State(verify_error="bad", tier_failed=True, tier="emergency"))
        == "respond"
    )
    assert route_after_verify(State()) == "respond"


def test_after_execute_continues_a_chain_only_while_needed() -> None:
    half_done = State(
        intents=["create_project", "create_task"],
        steps_left=2,
        tool_results=[{"name": "create_project", "ok": True}],
    )
    assert requested_writes_left(half_done) == ["create_task"]
    assert route_after_execute(half_done) == "plan"
    half_done.steps_left = 0
    assert route_after_execute(half_done) == "respond"
    finished = State(
        intents=["create_task"], steps_left=2, tool_results=[{"name": "create_task", "ok": True}]
    )
    assert route_after_execute(finished) == "respond"
    failed = State(
        intents=["create_project", "create_task"],
        steps_left=2,
        tool_results=[{"name": "create_project", "ok": False}],
    )
    assert route_after_execute(failed) == "respond"
    rules = State(
        tier="emergency",
        intents=["create_task", "delete_task"],
        steps_left=2,
        tool_results=[{"name": "create_task", "ok": True}],
    )
    assert route_after_execute(rules) == "respond"
