"""Pure helpers for the web chat: what the page shows, with no Chainlit and no I/O.

``ui/app.py`` wires Chainlit to :mod:`graph.agent`; everything here is plain data in,
plain data out, so it is unit-tested without a browser: the ``/tasks`` table, the
step a graph node becomes, the tier/latency line under an answer, the fallback
note, slash commands, starters and the LangGraph thread id of a Chainlit thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nodes.execute import CANCELLED

FRIENDLY_ERROR = (
    "Sorry, something went wrong on my side and I couldn't finish that. "
    "Nothing was deleted; please try again in a moment."
)
NO_TASKS = "You have no open tasks. Try “Add a task to call Sam tomorrow”."
RESET_DONE = (
    "Started a new conversation: I won't use the earlier messages any more. "
    "Your tasks are unchanged."
)
NOTHING_PENDING = "Nothing is waiting for confirmation any more; nothing was deleted."
TIMED_OUT = "No answer, so nothing was deleted. Send a new message to carry on."

STARTERS: list[dict[str, str]] = [
    {
        "label": "Plan Q1 goals",
        "message": "Create a project Q1 Goals and add a task for budgeting due Friday",
    },
    {
        "label": "Show my tasks",
        "message": "Show my open tasks",
    },
    {
        "label": "Set a reminder",
        "message": "Remind me to call Sam tomorrow at 10am",
    },
    {
        "label": "Today's calendar",
        "message": "What's on my calendar today?",
    },
]

COMMANDS: list[dict[str, Any]] = [
    {
        "id": "tasks",
        "icon": "list-checks",
        "description": "Show your current tasks as a table",
        "button": False,
        "persistent": False,
    },
    {
        "id": "reset",
        "icon": "rotate-ccw",
        "description": "Start a new conversation",
        "button": False,
        "persistent": False,
    },
]
COMMAND_IDS = frozenset(command["id"] for command in COMMANDS)


def parse_command(command: str | None, content: str) -> str | None:
    """The slash command a message carries: picked from the menu, or typed as ``/tasks``."""
    if command and command.lower() in COMMAND_IDS:
        return command.lower()
    text = content.strip().lower()
    if text.startswith("/") and text[1:] in COMMAND_IDS:
        return text[1:]
    return None


def langgraph_thread(chainlit_thread_id: str, generation: int = 0) -> str:
    """The LangGraph ``thread_id`` behind a Chainlit thread; ``/reset`` bumps the generation."""
    base = f"chat-{chainlit_thread_id}"
    return base if generation <= 0 else f"{base}-r{generation}"


# --- /tasks --------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ").strip() or "–"


def tasks_table(tasks: list[dict[str, Any]], count: int | None = None) -> str:
    """The user's tasks as a Markdown table (``list_tasks`` result rows)."""
    if not tasks:
        return NO_TASKS
    lines = [
        "| # | Task | Priority | Due | Status | Project |",
        "| ---: | --- | --- | --- | --- | ---: |",
    ]
    for task in tasks:
        project = task.get("project_id")
        lines.append(
            "| "
            + " | ".join(
                [
                    str(task["id"]),
                    _cell(task.get("title")),
                    _cell(task.get("priority")),
                    _cell(task.get("due_date")),
                    _cell(str(task.get("status") or "").replace("_", " ")),
                    f"#{project}" if project else "–",
                ]
            )
            + " |"
        )
    total = count if count is not None else len(tasks)
    heading = f"**Your open tasks ({total})**"
    if total > len(tasks):
        heading += f", showing the first {len(tasks)}"
    return heading + "\n\n" + "\n".join(lines)


# --- graph steps ---------------------------------------------------------------------


def _cancelled(call: dict[str, Any]) -> bool:
    result = call.get("result")
    return isinstance(result, dict) and result.get("error") == CANCELLED


@dataclass
class StepView:
    """One graph node's update as the page shows it: a collapsible step."""

    node: str
    keys: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)  # what the node decided, as JSON

    def add_call(self, event: dict[str, Any]) -> None:
        self.calls.append(event)

    @property
    def is_error(self) -> bool:
        """A call failed (a delete the user cancelled is not a failure)."""
        return any(not call.get("ok") and not _cancelled(call) for call in self.calls)

    def input(self) -> Any:
        """The tool arguments (for ``execute``), else the node's name."""
        if self.calls:
            return [{"tool": c["name"], "arguments": c.get("arguments") or {}} for c in self.calls]
        return {"node": self.node}

    def output(self) -> Any:
        """The tool results (for ``execute``), else what the node decided (the planner's
        proposed calls, verify's validated calls or error, the route), else the keys it wrote."""
        if self.calls:
            return [
                {"tool": c["name"], "ok": bool(c.get("ok")), "result": c.get("result")}
                for c in self.calls
            ]
        return self.detail or {"updated": self.keys}


# --- the line under an answer ----------------------------------------------------------


def _short(reason: Any, limit: int = 90) -> str:
    text = " ".join(str(reason or "unavailable").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback_note(tier: str, tier_log: list[dict[str, Any]]) -> str | None:
    """A small note when a tier failed or was skipped and another one answered."""
    failed = [entry for entry in tier_log if entry.get("outcome") in ("failed", "skipped")]
    if not failed:
        return None
    why = "; ".join(
        f"{entry.get('tier', '?')} {entry.get('outcome')}: {_short(entry.get('reason'))}"
        for entry in failed
    )
    return f"↪ Fallback: answered by the {tier} tier ({why})."


def turn_footer(done: dict[str, Any]) -> str:
    """Tier, latency and (when used) the fallback note, in small italic Markdown."""
    tier = str(done.get("tier") or "emergency")
    latency = float(done.get("latency_ms") or 0.0)
    tools = ", ".join(call["name"] for call in done.get("tool_calls") or []) or "none"
    lines = [f"*tier: {tier} · {latency:.0f} ms · tools: {tools}*"]
    note = fallback_note(tier, list(done.get("tier_log") or []))
    if note:
        lines.append(f"*{note}*")
    return "\n\n".join(lines)


def confirmation_text(pending: dict[str, Any]) -> str:
    """The question above the Confirm and Cancel buttons."""
    question = str(pending.get("question") or "Delete this? This cannot be undone.")
    return f"⚠️ {question}"
