"""ragas ``ToolCallAccuracy`` as a second opinion beside our own metrics (no LLM needed).

ragas compares names in sequence (or as a set when a case is unordered) and
arguments by exact string match, so it is stricter than our matcher on dates and
case, and it scores partial credit where ours is all-or-nothing.
"""

from __future__ import annotations

import warnings
from typing import Any

from evals.cases import Case, relevant_calls


async def tool_call_accuracy(cases: list[Case], outcomes: list[dict[str, Any]]) -> float | None:
    from ragas.messages import AIMessage, HumanMessage, ToolCall
    from ragas.metrics.collections import ToolCallAccuracy

    strict, loose = ToolCallAccuracy(strict_order=True), ToolCallAccuracy(strict_order=False)
    by_id = {o["id"]: o for o in outcomes}
    scores = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ragas warns on every empty side
        for case in cases:
            actual = relevant_calls(case, by_id[case.id].get("calls") or [])
            conversation: list[Any] = [
                HumanMessage(content=case.input),
                AIMessage(
                    content="",
                    tool_calls=[
                        ToolCall(name=c["name"], args=c.get("arguments") or {}) for c in actual
                    ],
                ),
            ]
            reference = [
                ToolCall(name=c["name"], args=c.get("arguments") or {}) for c in case.expected_calls
            ]
            metric = strict if case.ordered else loose
            result = await metric.ascore(user_input=conversation, reference_tool_calls=reference)
            scores.append(float(result.value))
    return round(sum(scores) / len(scores), 4) if scores else None
