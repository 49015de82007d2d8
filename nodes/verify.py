"""verify: parse and validate every proposed call before anything runs.

Each raw call is checked against its tool's argument model, which also normalises
it (relative dates against the run's clock, "#12"/"TASK-0012" ids, enum synonyms).
Every raw model output meant to be a tool call is recorded as valid or invalid in
``json_checks`` before any repair, which is what the JSON-validity eval reads.

Schema-valid is not enough for a small model, so model calls are also checked for
grounding in the request: ids must come from the message, the conversation's focus
task or an earlier result (a model must never delete task 123456789 because it
made it up), titles must share a word with the message, and every write must be one
the request asks for, in the first round and after a lookup alike: a continuation may
only make a write the request named and has not had yet, on a task whose title the
request names (see :func:`unrequested`). Grounding failures are repaired like schema
errors but do not count against JSON validity.

An invalid batch gets ``max_repairs`` repair rounds with the error fed back to the
same tier; after that the tier has failed and routing hands over to fallback.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.grounding import created_ids, looked_up, named_tasks, request_ids
from graph.state import State, latest_user_text, requested_writes_left
from taskagent.tools import READ_ONLY_TOOLS, TOOL_NAMES, ToolArgumentError, validate_call

# Fields a later call may leave out when an earlier call in the same batch creates
# the thing they point at: "create project X and add task Y to it".
BINDABLE = {
    "project_id": ("create_project", {"create_task", "list_tasks"}),
    "task_id": ("create_task", {"create_reminder", "update_task", "complete_task", "delete_task"}),
}
# Writes that change what is already there: never without the request asking for them.
CHANGES_EXISTING_TASKS = frozenset({"update_task", "complete_task", "delete_task"})
_PLACEHOLDER = re.compile(r"^\s*(?:\$|\{\{|<|null|none|new|id|\?)", re.I)


@dataclass
class RawCall:
    name: str
    arguments: Any
    call_id: str
    error: str | None = None  # set when the raw text was not even JSON


def raw_calls(draft: AIMessage) -> list[RawCall]:
    """Every call the model proposed, including ones that failed to parse.

    Small models sometimes write the call into the text instead of ``tool_calls``;
    a JSON object (or ``<tool_call>`` block) with a ``name`` is accepted from there.
    """
    calls = [RawCall(c["name"], c["args"], c.get("id") or "") for c in draft.tool_calls]
    calls += [
        RawCall(
            c.get("name") or "",
            c.get("args"),
            c.get("id") or "",
            c.get("error") or "not valid JSON",
        )
        for c in draft.invalid_tool_calls
    ]
    if calls or not isinstance(draft.content, str):
        return calls
    text = re.sub(r"</?tool_call>", "", draft.content).strip()
    if not text.startswith(("{", "[")):
        return []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        return [RawCall("", text, "", f"not valid JSON ({exc.msg})")]
    items = parsed if isinstance(parsed, list) else [parsed]
    for item in items:
        if isinstance(item, dict) and "name" in item:
            arguments = item.get("arguments", item.get("parameters", {}))
            calls.append(RawCall(str(item["name"]), arguments, ""))
    return calls


def id_bindings(name: str, arguments: dict[str, Any], earlier: list[str]) -> dict[str, int]:
    """Which missing id fields of this call should take an earlier call's result."""
    bind: dict[str, int] = {}
    for field_name, (creator, consumers) in BINDABLE.items():
        value = arguments.get(field_name)
        missing = value is None or (isinstance(value, str) and _PLACEHOLDER.match(value))
        if name in consumers and missing and creator in earlier:
            bind[field_name] = len(earlier) - 1 - earlier[::-1].index(creator)
            # "$1": the first call of this batch, when that one created the thing
            position = re.fullmatch(r"\$(\d{1,3})", value) if isinstance(value, str) else None
            index = int(position.group(1)) - 1 if position else -1
            if 0 <= index < len(earlier) and earlier[index] == creator:
                bind[field_name] = index
    return bind


_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP_WORDS = {
    "task",
    "tasks",
    "the",
    "and",
    "for",
    "due",
    "add",
    "create",
    "new",
    "project",
    "with",
}


# "task 3", "#3", "TASK-0003": the request is about a task that exists
_NAMES_A_TASK = re.compile(r"\btask[\s#:-]*\d|#\d|\btask-\d", re.IGNORECASE)


def new_task_for_a_named_one(
    name: str, arguments: dict[str, Any], request: str, state: State
) -> str | None:
    """A create_task for a request about an existing task ("task 2 is done", "TASK-0003 is
    sorted"): the patterns and the model both read the word "task" as "add a task". Only
    the intent classifier can overrule this (it reads the whole sentence), or a request
    whose own clause asks for the new task beside an action on the numbered one ("delete
    task 2 and add 'Book flights' instead"), with a title that is not that task's number."""
    if name != "create_task" or not _NAMES_A_TASK.search(request):
        return None
    if "create_task" in (state.classifier_guess or []):
        return None
    title = str(arguments.get("title") or "")
    if (
        "create_task" in state.intents
        and len(set(state.intents)) > 1
        and title
        and not _NAMES_A_TASK.search(title)
    ):
        return None
    return "create_task: the request is about an existing task it names, not a new one"


def _bind_to_this_turn(
    name: str, arguments: dict[str, Any], bind: dict[str, int], state: State
) -> dict[str, Any]:
    """A later round's call that leaves out the id of what an earlier round of this turn
    created takes it ("add X and remind me about it": the reminder is about X)."""
    for field_name, (creator, consumers) in BINDABLE.items():
        if name not in consumers or field_name in bind or arguments.get(field_name) is not None:
            continue
        made = [r for r in state.tool_results if r.get("ok") and r["name"] == creator]
        entity = ((made[-1].get("result") or {}) if made else {}).get(
            "project" if field_name == "project_id" else "task"
        )
        if name in ("create_reminder", "create_task") and isinstance(entity, dict):
            arguments = arguments | {field_name: entity["id"]}
    return arguments


def unrequested(
    name: str, arguments: dict[str, Any], request: str, state: State, asked: list[str]
) -> str | None:
    """Why a model's write is not what the request asks for, or None if it is.

    Applies in every round: the first plan and the plan after a lookup alike. ``asked`` is
    the request's writes not yet used up (by earlier results or earlier calls in this
    batch); the caller removes the ones this batch takes.
    """
    if name in READ_ONLY_TOOLS:
        return None
    named_ids = request_ids(request)
    if state.intents:
        writes = [i for i in state.intents if i not in READ_ONLY_TOOLS]
        if not writes:
            return f"{name}: the request only asks to look things up ({', '.join(state.intents)})"
        if name not in asked:
            # "complete task 1 and 2" is one clause that names two tasks
            target = arguments.get("task_id")
            named_twice = name in writes and isinstance(target, int) and target in named_ids
            if not named_twice:
                if state.scratch:
                    return f"{name}: the request does not ask for another {name}"
                return f"{name}: the request asks for {' and '.join(writes)}"
    elif name in CHANGES_EXISTING_TASKS:
        return f"{name}: the request does not ask to change an existing task"
    else:  # neither reading hears a request for anything new: the model alone may only look
        return f"{name}: the request does not ask for anything to be created"
    task_id = arguments.get("task_id")
    if isinstance(task_id, int) and task_id not in named_ids and task_id != state.focus_task_id:
        titles = looked_up(state.tool_results)
        if task_id in titles and task_id not in named_tasks(titles, request):
            return f"{name}: task {task_id} “{titles[task_id]}” is not the task the request names"
    return None


def ungrounded(name: str, arguments: dict[str, Any], request: str, state: State) -> str | None:
    """Why a schema-valid model call does not fit the request, or None if it does."""
    known_ids = request_ids(request) | created_ids(state.tool_results)
    known_ids |= set(looked_up(state.tool_results))
    if state.focus_task_id is not None:
        known_ids.add(state.focus_task_id)
    for key in ("task_id", "project_id"):
        value = arguments.get(key)
        if isinstance(value, int) and value not in known_ids:
            return f"{name}: {key} {value} does not appear in the request; use an id the user gave"
    text = arguments.get("title") or arguments.get("name")
    if name in ("create_task", "create_project") and isinstance(text, str):
        field_name = "title" if "title" in arguments else "name"
        words = set(_WORD.findall(text.lower())) - _STOP_WORDS
        echoes_a_tool = re.sub(r"[^a-z]", "_", text.lower()) in TOOL_NAMES
        shares_a_word = bool(words & set(_WORD.findall(request.lower())))
        # A title of only filler words ("project_id", "task") must appear in the request as written.
        verbatim = text.lower().strip() in request.lower()
        if echoes_a_tool or not (shares_a_word or verbatim):
            return f"{name}: the {field_name} must come from the request"
    return None


async def verify(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Validate the draft's calls; queue them for execute or explain what is wrong."""
    context = runtime.context or Context()
    now = context.clock()
    draft = state.draft or AIMessage(content="")
    proposed = raw_calls(draft)
    is_model = state.tier != "emergency"
    checks: list[dict[str, Any]] = []
    valid: list[dict[str, Any]] = []
    errors: list[str] = []
    earlier: list[str] = []
    request = latest_user_text(state)
    asked = requested_writes_left(state)  # used up call by call, in this batch too
    seen = {(r["name"], json.dumps(r["arguments"], sort_keys=True)) for r in state.tool_results}
    for raw in proposed:
        try:
            if raw.error:
                raise ToolArgumentError(f"{raw.name or 'tool call'} arguments are {raw.error}")
            arguments = raw.arguments
            if isinstance(arguments, str):
                arguments = json.loads(arguments or "{}")
            if not isinstance(arguments, dict):
                raise ToolArgumentError(f"{raw.name} arguments must be a JSON object")
            bind = id_bindings(raw.name, arguments, earlier)
            arguments = _bind_to_this_turn(raw.name, arguments, bind, state)
            # Validate with a stand-in id; execute substitutes the real one.
            checked = validate_call(raw.name, arguments | {k: 1 for k in bind}, now)
            normalised = checked.model_dump(mode="json", exclude_unset=True)
            for key in bind:
                normalised.pop(key, None)
            # Small models repeat themselves, within a reply or mid-chain: run each distinct
            # call once, and don't count a repeat against the request's writes.
            signature = (raw.name, json.dumps(normalised, sort_keys=True))
            if signature in seen:
                checks.append({"tier": state.tier, "tool": raw.name, "valid": True})
                continue
            seen.add(signature)
            problem = new_task_for_a_named_one(raw.name, normalised, request, state) or (
                ungrounded(raw.name, normalised, request, state)
                or unrequested(raw.name, normalised, request, state, asked)
                if is_model
                # the rules are held to the classifier's reading where it has one
                else unrequested(raw.name, normalised, request, state, asked)
                if state.classifier_tools is not None
                else None
            )
            if problem:
                errors.append(problem)
                checks.append(
                    {
                        "tier": state.tier,
                        "tool": raw.name,
                        "valid": True,
                        "grounded": False,
                        "error": problem,
                    }
                )
                continue
            valid.append(
                {
                    "id": raw.call_id or f"call_{uuid.uuid4().hex[:10]}",
                    "name": raw.name,
                    "arguments": normalised,
                    "bind": bind,
                }
            )
            earlier.append(raw.name)
            if raw.name in asked:
                asked.remove(raw.name)
            checks.append({"tier": state.tier, "tool": raw.name, "valid": True})
        except (ToolArgumentError, json.JSONDecodeError) as exc:
            errors.append(str(exc))
            checks.append({"tier": state.tier, "tool": raw.name, "valid": False, "error": str(exc)})
    if not proposed and is_model and state.intents and not state.scratch:
        # A task request that came back as prose is a failed tool call too.
        error = "expected a tool call but the reply had none"
        checks.append({"tier": state.tier, "tool": None, "valid": False, "error": error})
        errors.append(error)

    update: dict[str, Any] = {"json_checks": checks if is_model else []}
    if errors:
        repairs = state.repairs + 1
        return update | {
            "pending_calls": [],
            "verify_error": "; ".join(errors)[:600],
            "repairs": repairs,
            # Out of repairs: this tier has failed. The rule planner never gets a repair.
            "tier_failed": not is_model or repairs > context.max_repairs,
        }
    return update | {"pending_calls": valid, "verify_error": None}
