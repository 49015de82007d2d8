"""The planner prompt: short on purpose, because prompt tokens cost latency on a CPU
and our primary tier is fine-tuned on these tools."""

from __future__ import annotations

from datetime import datetime

SYSTEM_PROMPT = (
    "You are TaskAgent. Manage the user's tasks by calling tools. "
    "Today is {today}. Copy dates as the user wrote them."
)

REPAIR_PROMPT = "That tool call was invalid: {error}. Call the tool again with corrected arguments."

CONTINUE_PROMPT = "Make the remaining tool calls for my request, or reply briefly if it is done."


def system_prompt(now: datetime) -> str:
    return SYSTEM_PROMPT.format(today=now.strftime("%A %Y-%m-%d %H:%M"))
