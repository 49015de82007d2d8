"""The side-by-side baseline: LangChain's prebuilt ``create_agent`` on the same endpoint.

Same model server, same eight tools (built from the one registry in
``taskagent.tools``, with the same compact schemas and system prompt), same cases on
fresh stores. What it lacks is our graph: no classify, no verify/repair, no
grounding, no binding of earlier results, no fallback. Deletes run without a
confirmation, as in our eval, which confirms every pause.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime
from typing import Any

from evals.cases import Case, SystemRun, score_case
from taskagent.settings import get_settings, primary_endpoint

NAME = "create_agent baseline"
RECURSION_LIMIT = 12  # model → tools → model …: enough for a 3-call chain and a reply


def _tools(store: Any, user: int, now: datetime, calls: list[dict[str, Any]]) -> list[Any]:
    """LangChain tools over the shared registry, recording what ran."""
    from langchain_core.tools import StructuredTool

    from taskagent.errors import ToolArgumentError, ToolError
    from taskagent.tools import TOOLS, compact_schema, run_tool, validate_call

    def make(name: str) -> Any:
        def call(**arguments: Any) -> str:
            try:
                args = validate_call(name, arguments, now)
            except ToolArgumentError as exc:
                calls.append({"name": name, "arguments": arguments, "ok": False, "result": None})
                return f"Error: {exc}"
            normalised = args.model_dump(mode="json", exclude_none=True)
            try:
                result = run_tool(store, user, name, args, now)
            except ToolError as exc:
                calls.append({"name": name, "arguments": normalised, "ok": False, "result": None})
                return f"Error: {exc}"
            calls.append({"name": name, "arguments": normalised, "ok": True, "result": result})
            return json.dumps(result, default=str)

        spec = TOOLS[name]
        return StructuredTool.from_function(
            func=call,
            name=name,
            description=spec.description,
            args_schema=compact_schema(spec.args_model),
        )

    return [make(name) for name in TOOLS]


def _json_checks(messages: list[Any], now: datetime, expects_calls: bool) -> list[bool]:
    """Each raw model output meant as a tool call: did it parse and validate?"""
    from taskagent.errors import ToolArgumentError
    from taskagent.tools import validate_call

    checks: list[bool] = []
    for index, message in enumerate(m for m in messages if m.type == "ai"):
        for call in message.tool_calls or []:
            try:
                validate_call(call["name"], call["args"], now)
                checks.append(True)
            except ToolArgumentError:
                checks.append(False)
        checks.extend(False for _ in getattr(message, "invalid_tool_calls", None) or [])
        if index == 0 and expects_calls and not message.tool_calls:
            checks.append(False)  # a task request answered in prose
    return checks


async def run_case_baseline(case: Case, model: Any) -> dict[str, Any]:
    from langchain.agents import create_agent
    from langchain_core.messages import HumanMessage
    from langgraph.errors import GraphRecursionError

    from graph.prompts import system_prompt
    from taskagent.db import make_engine
    from taskagent.store import TaskStore
    from taskagent.tools import run_tool, validate_call

    now = datetime.fromisoformat(case.now) if case.now else datetime.now()
    calls: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"baseline-{case.id}-") as workdir:
        store = TaskStore(make_engine(f"sqlite:///{workdir}/taskagent.db"))
        user = store.ensure_user("eval")
        for step in case.setup:
            run_tool(
                store, user, step["tool"], validate_call(step["tool"], step["arguments"], now), now
            )
        agent = create_agent(
            model, _tools(store, user, now, calls), system_prompt=system_prompt(now)
        )
        started = time.perf_counter()
        error = None
        messages: list[Any] = []
        try:
            output = await agent.ainvoke(
                {"messages": [HumanMessage(content=case.input)]},
                {"recursion_limit": RECURSION_LIMIT},
            )
            messages = output["messages"]
        except GraphRecursionError:
            error = "recursion limit"
        except Exception as exc:  # a baseline failure is a data point, not a crash
            error = f"{type(exc).__name__}: {exc}"[:300]
        latency_ms = (time.perf_counter() - started) * 1000
        store.engine.dispose()
    ai_messages = [m for m in messages if m.type == "ai"]
    verdicts = score_case(case, calls)
    return {
        "id": case.id,
        "category": case.category,
        **verdicts,
        "passed": all(v is not False for v in verdicts.values()),
        "json_checks": _json_checks(messages, now, bool(case.expected_calls)),
        "model_calls": len(ai_messages),
        "tier": "baseline" if error is None else "error",
        "latency_ms": round(latency_ms, 1),
        "calls": calls,
        "response": str(ai_messages[-1].content) if ai_messages else (error or ""),
        "error": error,
    }


async def run_baseline(cases: list[Case], progress: bool) -> SystemRun:
    from langchain_openai import ChatOpenAI
    from tqdm import tqdm

    api_base, model_name, api_key = primary_endpoint()
    tier = get_settings().tiers["primary"]
    model = ChatOpenAI(
        base_url=api_base,
        model=model_name,
        api_key=api_key,  # type: ignore[arg-type]
        temperature=0,
        timeout=tier.timeout,
        max_retries=1,
        max_tokens=tier.max_tokens,  # type: ignore[call-arg]
    )
    started = time.perf_counter()
    outcomes = []
    with tqdm(
        total=len(cases), desc=NAME, unit="case", disable=not progress, file=sys.stderr
    ) as bar:
        for case in cases:
            outcomes.append(await run_case_baseline(case, model))
            bar.update(1)
    return SystemRun(NAME, outcomes, time.perf_counter() - started)
