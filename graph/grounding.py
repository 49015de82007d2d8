"""Grounded decoding: per-request tool schemas that only admit what the request says.

The model server builds its llguidance grammar from the tools each request carries
(:mod:`serving.grammar`), so narrowing the tools narrows the grammar. For one turn:

* only the tools the request may need (the classify node's intents, plus ``list_tasks``
  when a write must first look its task up);
* every free-text field (titles, names, descriptions, tags, reminder messages, date
  phrases) is an ``enum`` of the word-boundary spans of the user's message, so the model
  copies, it cannot invent; a date field offers only the spans the date resolver reads;
* ``task_id``/``project_id`` are an ``enum`` of the numbers in the request, the
  conversation's focus task and this turn's results; a tool whose id has no candidate
  is dropped (the request must first name or look up the task);
* date fields are grounded even where the text fields are not (more than
  ``MAX_GROUNDED_TOOLS`` tools): the spans the resolver reads are few and cheap;
* enums stay enums. :mod:`nodes.verify` keeps its checks as the second line.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from taskagent.dates import resolve_date, resolve_datetime
from taskagent.rules import ids_in_words, tasks_mentioned

# Every enum string is compiled into the request's grammar: keep the sets small, since
# grammar compilation is paid on every request (measured in docs/benchmarks.md).
MAX_SPAN_WORDS = 10
MAX_SPANS = 600
SHORT_FIELDS = {"due_date": 5, "due_before": 5, "date": 5, "remind_at": 6}  # words per span
MAX_TAG_WORDS = 2
MAX_GROUNDED_TOOLS = 3  # more tools than this: ground the ids only
_TOKEN = re.compile(r"\S+")
_EDGE = "\"'“”‘’`.,!?;:()[]{}"
_NUMBER = re.compile(r"\d+")
TEXT_FIELDS = {
    "title",
    "name",
    "description",
    "message",
    "due_date",
    "due_before",
    "date",
    "remind_at",
}
ID_FIELDS = ("task_id", "project_id")


def spans(text: str, max_words: int = MAX_SPAN_WORDS) -> list[str]:
    """Every run of up to ``max_words`` words of ``text``, edge punctuation trimmed."""
    words = _TOKEN.findall(text)
    found: dict[str, None] = {}
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + max_words) + 1):
            span = " ".join(words[start:end]).strip(_EDGE).strip()
            if span:
                found.setdefault(span, None)
            if len(found) >= MAX_SPANS:
                return list(found)
    return list(found)


def _is_date(text: str, now: datetime, with_time: bool) -> bool:
    try:
        (resolve_datetime if with_time else resolve_date)(text, now)
    except Exception:  # the resolver's "I couldn't understand the date"
        return False
    return True


def _ground_properties(
    properties: dict[str, Any], request: str, ids: list[int], texts: bool, now: datetime
) -> set[str]:
    """Narrow each property in place; return the id fields that have no candidate."""
    unmet: set[str] = set()
    for name, schema in list(properties.items()):
        if name in ID_FIELDS:
            if ids:
                properties[name] = {"type": "integer", "enum": ids}
            else:
                unmet.add(name)
        elif not texts and name not in SHORT_FIELDS:
            continue  # a date is always grounded: "due_before: 'done'" is never a date
        elif name == "tags" and schema.get("type") == "array":
            schema["items"] = {"type": "string", "enum": spans(request, MAX_TAG_WORDS)}
        elif name in TEXT_FIELDS and schema.get("type") == "string" and "enum" not in schema:
            found = spans(request, SHORT_FIELDS.get(name, MAX_SPAN_WORDS))
            if name in SHORT_FIELDS:  # a date phrase must be one the resolver reads
                found = [span for span in found if _is_date(span, now, name == "remind_at")]
            if found:
                schema["enum"] = found
            else:
                unmet.add(name)
    return unmet


def grounded_tools(
    tools: list[dict[str, Any]],
    request: str,
    allowed: set[str] | None,
    ids: set[int],
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """``tools`` narrowed to this request: see the module docstring."""
    id_list = sorted(ids)
    texts = allowed is not None and len(allowed) <= MAX_GROUNDED_TOOLS
    narrowed = []
    for tool in tools:
        function = tool["function"]
        if allowed is not None and function["name"] not in allowed:
            continue
        grounded = copy.deepcopy(tool)
        parameters = grounded["function"].setdefault("parameters", {})
        properties = parameters.setdefault("properties", {})
        unmet = _ground_properties(properties, request, id_list, texts, now or datetime.now())
        required = set(parameters.get("required") or [])
        if unmet & required:
            continue  # e.g. complete_task with no id to give it: look the task up first
        for name in unmet:
            properties.pop(name, None)
        narrowed.append(grounded)
    if narrowed:
        return narrowed
    # nothing the request asks for can be called yet: a lookup, grounded like the rest
    return grounded_tools(
        [t for t in tools if t["function"]["name"] == "list_tasks"], request, None, ids, now
    )


def request_ids(request: str) -> set[int]:
    """The numbers a request names, in digits or words ("task three")."""
    ids = {int(n) for n in _NUMBER.findall(request) if 0 < int(n) < 1_000_000_000}
    ids |= ids_in_words(request)
    return ids - {0}


def looked_up(tool_results: list[dict[str, Any]]) -> dict[int, str]:
    """Tasks this turn's lookups returned: id -> title."""
    found: dict[int, str] = {}
    for result in tool_results:
        if result.get("name") == "list_tasks" and result.get("ok"):
            for task in (result.get("result") or {}).get("tasks") or []:
                found[int(task["id"])] = str(task.get("title") or "")
    return found


named_tasks = tasks_mentioned  # the domain's title matcher, one definition


def created_ids(tool_results: list[dict[str, Any]]) -> set[int]:
    """Ids of what this turn's calls created or changed."""
    ids: set[int] = set()
    for result in tool_results:
        body = result.get("result") or {}
        for key in ("task", "project", "reminder"):
            entity = body.get(key)
            if isinstance(entity, dict) and isinstance(entity.get("id"), int):
                ids.add(entity["id"])
    return ids
