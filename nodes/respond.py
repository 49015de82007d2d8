"""respond: a short answer for the turn, from templates wherever possible.

Tool results are rendered by templates: instant, always accurate, and the ids they
mention ("#3") let the next turn say "make it urgent". The model's own text is used
only for free-text replies where no tool ran. The answer is an ``AIMessage`` added
to ``messages``, so it streams through ``stream_mode="messages"`` and persists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State

FAILED = "Sorry, I couldn't work out what to do with that. Try “Add a task to call Sam tomorrow”."
MAX_FREE_TEXT = 600


def _day(iso: str | None, today: date | None = None) -> str:
    """'Fri 20 Nov', with the year only when it is not this year (the run's clock)."""
    if not iso:
        return ""
    try:
        value = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{value:%a} {value.day} {value:%b}" + (
        f" {value.year}" if value.year != (today or date.today()).year else ""
    )


def _task_brief(task: dict[str, Any], today: date | None = None) -> str:
    parts = [f"#{task['id']} “{task['title']}”"]
    details = []
    if task.get("priority") and task["priority"] != "normal":
        details.append(f"{task['priority']} priority")
    if task.get("due_date"):
        details.append(f"due {_day(task['due_date'], today)}")
    if task.get("status") == "in_progress":
        details.append("in progress")
    if details:
        parts.append(f"({', '.join(details)})")
    return " ".join(parts)


def describe_result(result: dict[str, Any], today: date | None = None) -> str:
    """One sentence for one executed call; ``today`` is the run's date (pinned in tests)."""
    name, body = result["name"], result.get("result") or {}
    if not result.get("ok"):
        if result.get("cancelled"):
            return "Okay, I didn't delete anything."
        return f"I couldn't {name.replace('_', ' ')}: {result.get('error', 'unknown error')}"
    if name == "create_task":
        task = body["task"]
        where = f" in project #{task['project_id']}" if task.get("project_id") else ""
        return f"Created task {_task_brief(task, today)}{where}."
    if name == "list_tasks":
        tasks, count = body["tasks"], body["count"]
        if not count:
            return "You have no matching tasks."
        shown = "; ".join(_task_brief(t, today) for t in tasks[:8])
        more = f"; and {count - 8} more" if count > 8 else ""
        return f"You have {count} task{'s' if count != 1 else ''}: {shown}{more}."
    if name == "update_task":
        changed = ", ".join(body.get("changed") or []).replace("_", " ")
        return f"Updated {changed} of task {_task_brief(body['task'], today)}."
    if name == "complete_task":
        task = body["task"]
        if body.get("already_completed"):
            return f"Task #{task['id']} “{task['title']}” was already completed."
        return f"Marked task #{task['id']} “{task['title']}” as completed."
    if name == "delete_task":
        task = body["deleted"]
        return f"Deleted task #{task['id']} “{task['title']}”."
    if name == "create_project":
        project = body["project"]
        verb = "You already had" if body.get("already_existed") else "Created"
        return f"{verb} project #{project['id']} “{project['name']}”."
    if name == "get_calendar":
        events, due = body["events"], body["tasks_due"]
        span = _day(body["start"], today)
        span += f" + {body['days'] - 1} days" if body["days"] > 1 else ""
        if not events and not due:
            return f"Nothing on your calendar for {span}."
        items = [f"{e['starts_at'][11:16]} {e['title']}" for e in events[:6]]
        items += [f"due: {t['title']}" for t in due[:6]]
        return f"For {span}: " + "; ".join(items) + "."
    if name == "create_reminder":
        reminder = body["reminder"]
        about = f" about “{reminder['message']}”" if reminder.get("message") else ""
        at = reminder["remind_at"]
        return f"I'll remind you{about} on {_day(at, today)} at {at[11:16]}."
    return f"Done: {name}."


def compose(state: State, today: date | None = None) -> str:
    """The answer text for the turn."""
    if state.route != "plan":
        return state.notice or FAILED
    sentences = [describe_result(result, today) for result in state.tool_results]
    if state.question:
        sentences.append(state.question)
    if sentences:
        return " ".join(sentences)
    text = state.draft.content if state.draft and isinstance(state.draft.content, str) else ""
    text = text.strip()
    if text and not text.startswith(("{", "[", "<")):
        return text[:MAX_FREE_TEXT]
    return FAILED


async def respond(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the turn's answer into the conversation."""
    context = runtime.context or Context()
    text = compose(state, context.clock().date())
    return {"messages": [AIMessage(content=text, response_metadata={"tier": state.tier})]}
