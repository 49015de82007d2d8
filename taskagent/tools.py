"""The eight task tools, each defined exactly once.

A tool is a pydantic argument model plus a description. From that one definition we
derive everything else: the compact OpenAI ``tools`` schema the model sees,
validation and normalisation of model output (relative dates, id spellings, enum
synonyms), execution against the store, and the REST, MCP, dataset and eval
surfaces, which all import :data:`TOOLS` from here.

Normalisation needs the run's clock, so validation takes ``now`` through pydantic's
validation context: ``Model.model_validate(args, context={"now": now})``.
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from taskagent import store as ops
from taskagent.errors import ToolArgumentError, ToolError
from taskagent.schemas import (
    CreateProjectArgs,
    CreateReminderArgs,
    CreateTaskArgs,
    GetCalendarArgs,
    ListTasksArgs,
    TaskIdArgs,
    ToolArgs,
    UpdateTaskArgs,
    parse_id,
)
from taskagent.store import TaskStore

__all__ = [
    "DESTRUCTIVE_TOOLS",
    "READ_ONLY_TOOLS",
    "TOOLS",
    "TOOL_NAMES",
    "ToolArgs",
    "ToolArgumentError",
    "ToolError",
    "ToolSpec",
    "call_tool",
    "openai_tools",
    "parse_id",
    "run_tool",
    "validate_call",
]  # fmt: skip

# --- the registry --------------------------------------------------------------------


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, what it does, its argument model, and how it runs."""

    name: str
    description: str
    args_model: type[ToolArgs]
    run: Callable[[TaskStore, int, Any, datetime], dict[str, Any]]
    read_only: bool = False
    destructive: bool = False

    def openai_schema(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry: compact, so it costs few prompt tokens."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": compact_schema(self.args_model),
            },
        }

    def validate(self, arguments: Any, now: datetime) -> ToolArgs:
        """Parse and normalise raw arguments (a JSON string or a dict).

        Raises :class:`ToolArgumentError` with a one-line explanation.
        """
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as exc:
                raise ToolArgumentError(
                    f"{self.name} arguments are not valid JSON ({exc.msg})"
                ) from exc
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ToolArgumentError(f"{self.name} arguments must be a JSON object")
        try:
            return self.args_model.model_validate(arguments, context={"now": now})
        except ValidationError as exc:
            raise ToolArgumentError(explain(self.name, exc)) from exc


def explain(tool: str, exc: ValidationError) -> str:
    """Turn a pydantic error into one plain sentence per problem."""
    problems = []
    for error in exc.errors(include_url=False):
        field = (
            ".".join(str(part) for part in error["loc"] if not isinstance(part, int)) or "arguments"
        )
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not an argument of this tool"
        elif error["type"] == "literal_error":
            message = "must be one of " + ", ".join(
                f"'{choice}'" for choice in re.findall(r"'([^']+)'", error["msg"])
            )
        elif error["type"] == "missing":
            message = "is required"
        elif error["type"] in ("string_too_short", "too_short") and not error["input"]:
            message = "must not be empty"
        if field == "arguments":
            problems.append(message)
            continue
        problems.append(f"{field} {message}")
    return f"{tool}: " + "; ".join(problems)


def compact_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A minimal JSON schema: no titles, optional fields as plain types, enums inline."""
    full = model.model_json_schema()
    properties: dict[str, Any] = {}
    for name, prop in full.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        concrete = next((opt for opt in options if opt.get("type") != "null"), options[0])
        kept = ("type", "enum", "format", "items", "minimum", "maximum")
        if concrete.get("format") in ("date", "date-time"):
            # plain strings, so constrained decoding admits "Friday" as well as "2026-11-20"
            concrete = {k: v for k, v in concrete.items() if k != "format"}
        # Constraints on Annotated aliases surface as ge/le; bounded integers matter to
        # constrained decoding (an unbounded id can run on until max_tokens).
        renamed = {"ge": "minimum", "le": "maximum"}
        entry = {renamed.get(k, k): v for k, v in concrete.items() if renamed.get(k, k) in kept}
        if "items" in entry:
            entry["items"] = {k: v for k, v in entry["items"].items() if k in ("type", "enum")}
        if "const" in concrete:
            entry = {"type": "string", "enum": [concrete["const"]]}
        if "description" in prop:
            entry["description"] = prop["description"]
        if prop.get("default") is not None:
            entry["default"] = prop["default"]
        properties[name] = entry
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if full.get("required"):
        schema["required"] = full["required"]
    one_of_these = getattr(model, "at_least_one_of", ())
    if one_of_these:
        schema["anyOf"] = [{"required": [name]} for name in one_of_these]
    schema["additionalProperties"] = False
    return schema


def _build_registry() -> dict[str, ToolSpec]:
    specs = [
        ToolSpec("create_task", "Create a task.", CreateTaskArgs, ops.create_task),
        ToolSpec("list_tasks", "List tasks, optionally filtered.", ListTasksArgs, ops.list_tasks,
                 read_only=True),
        ToolSpec("update_task", "Change fields of a task.", UpdateTaskArgs, ops.update_task),
        ToolSpec("complete_task", "Mark a task completed.", TaskIdArgs, ops.complete_task),
        ToolSpec("delete_task", "Delete a task permanently.", TaskIdArgs, ops.delete_task,
                 destructive=True),
        ToolSpec("create_project", "Create a project.", CreateProjectArgs, ops.create_project),
        ToolSpec("get_calendar", "Show calendar events and tasks due for some days.",
                 GetCalendarArgs, ops.get_calendar, read_only=True),
        ToolSpec("create_reminder", "Set a reminder, optionally for a task.", CreateReminderArgs,
                 ops.create_reminder),
    ]  # fmt: skip
    return {spec.name: spec for spec in specs}


TOOLS: dict[str, ToolSpec] = _build_registry()
TOOL_NAMES: tuple[str, ...] = tuple(TOOLS)
READ_ONLY_TOOLS = frozenset(name for name, spec in TOOLS.items() if spec.read_only)
DESTRUCTIVE_TOOLS = frozenset(name for name, spec in TOOLS.items() if spec.destructive)


def openai_tools() -> list[dict[str, Any]]:
    """All tool schemas in OpenAI ``tools`` format, in a stable order."""
    return [spec.openai_schema() for spec in TOOLS.values()]


def validate_call(name: str, arguments: Any, now: datetime) -> ToolArgs:
    """Validate a raw call by tool name; unknown tools are an argument error."""
    spec = TOOLS.get(name)
    if spec is None:
        raise ToolArgumentError(f"'{name}' is not a tool; use one of: {', '.join(TOOL_NAMES)}")
    return spec.validate(arguments, now)


def run_tool(
    store: TaskStore,
    user_id: int,
    name: str,
    args: ToolArgs,
    now: datetime,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Execute a validated call as ``user_id``. Raises :class:`ToolError` on failure.

    With an ``idempotency_key`` a write runs at most once: the key is stored in the same
    transaction as the write, and a later call with the same key (and the same tool and
    arguments) returns the recorded result without writing again.
    """
    spec = TOOLS[name]
    if idempotency_key is None or spec.read_only:
        result = spec.run(store, user_id, args, now)
    else:
        result = store.run_once(
            idempotency_key,
            user_id,
            name,
            args.model_dump(mode="json"),
            lambda: spec.run(store, user_id, args, now),
        )
    _kill_after_commit_hook(name)
    return result


def call_tool(
    store: TaskStore,
    user: int | str,
    name: str,
    arguments: Any,
    now: datetime,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The one way a raw call runs, for every interface: validate, then run as ``user``.

    ``user`` is an id, or a name resolved only after validation, so bad input creates no
    account. Raises :class:`ToolArgumentError` for bad arguments, :class:`ToolError` when
    the store refuses (an unknown id, someone else's task).
    """
    checked = validate_call(name, arguments, now)
    user_id = user if isinstance(user, int) else store.ensure_user(user)
    return run_tool(store, user_id, name, checked, now, idempotency_key)


KILL_AFTER_COMMIT_ENV = "TASKAGENT_TEST_KILL_AFTER_COMMIT"


def _kill_after_commit_hook(name: str) -> None:
    """Crash-test hook: SIGKILL this process right after ``name``'s write has committed.

    Inert unless ``TASKAGENT_TEST_KILL_AFTER_COMMIT`` names the tool; the crash-recovery
    test sets it on a throwaway subprocess to die between the store commit and the
    checkpoint that would record the call.
    """
    if os.environ.get(KILL_AFTER_COMMIT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
