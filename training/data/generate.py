"""Generate the tool-calling conversations we fine-tune on.

Every example is played out for real: its scene (the tasks, projects and calendar
events the request refers to) is seeded into an in-memory task store, and its calls run
against it, so tool results are genuine and every call has passed the tools' own
validation (a call that does not validate stops generation with an error instead of
being written). Arguments are stored normalised (int ids, enum values), which is what
the model learns to emit, except dates: the model copies the user's words ("Friday",
"tomorrow at 3pm") and the tools' resolver turns them into dates against the ``now``
that the system prompt states. Calendar arithmetic is deterministic code's job, not a
135M model's.

Requests come from hand-written phrase banks (:mod:`training.data.phrases`) through the
families in :mod:`training.data.templates`. Quotas: ~10% out of scope (a decline, no
call), ~30% multi-call (chains planned in one reply whose later ids are bound to what
earlier calls create, write-then-list, two or three writes, parallel reads, and
lookups), the rest single calls spread over the eight tools. Stated optional arguments
are always in the call, and each one appears in at least 30% of its tool's examples.
A task named by id is one direct call; only a task named by its title gets a lookup
(``list_tasks`` in a round of its own, then the write the request asked for).

    taskagent data [--n 5000] [--seed 13] [--stats] [--json]
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from serving.wire import tool_result_text
from taskagent.errors import ToolError
from training.data.templates import (
    FAMILIES,
    Family,
    Filled,
    Scene,
    with_lowercase,
    with_typo,
    with_wrapper,
)

DATA_DIR = Path(__file__).resolve().parent

# How the single-call examples are spread over the tools, and the multi-call ones over kinds.
SINGLE_TOOL_SHARES = {
    "create_task": 0.13,
    "list_tasks": 0.30,
    "update_task": 0.15,
    "complete_task": 0.085,
    "delete_task": 0.085,
    "create_project": 0.075,
    "get_calendar": 0.09,
    "create_reminder": 0.085,
}
MULTI_GROUP_SHARES = {
    "chain": 0.32,
    "lookup": 0.20,
    "then_list": 0.18,
    "parallel.writes": 0.18,
    "parallel.reads": 0.12,
}


@dataclass
class DataArgs:
    n: int = 5000
    seed: int = 13
    val_fraction: float = 0.1
    no_tool_share: float = 0.10
    multi_share: float = 0.30
    out_dir: Path = field(default=DATA_DIR)


class InvalidExample(ValueError):
    """A template produced a call that the tools reject: fix the template."""


class Redraw(Exception):
    """This draw came out wrong (e.g. a date phrase the text does not support): draw again."""


# --- the store --------------------------------------------------------------------------------

_ENGINE: Any = None


def _store() -> Any:
    """An empty in-memory store; one engine per process, wiped between examples.

    The tables have no AUTOINCREMENT, so after the wipe new rows number from 1 again, as
    in a fresh database.
    """
    global _ENGINE
    from sqlalchemy import create_engine, delete
    from sqlalchemy.pool import StaticPool

    from taskagent.db import Base
    from taskagent.store import TaskStore

    if _ENGINE is None:
        _ENGINE = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        Base.metadata.create_all(_ENGINE)
    with _ENGINE.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    return TaskStore(_ENGINE)


def _seed(store: Any, user: int, scene: Scene, now: datetime) -> None:
    """Put the scene's projects, tasks and events into the store, with their ids."""
    from taskagent.dates import resolve_date
    from taskagent.db import CalendarEvent, Project, Task

    with store.session() as session:
        for project in scene.projects:
            session.add(Project(id=project["id"], owner_id=user, name=project["name"]))
        session.flush()
        for task in scene.tasks:
            due: date | None = None
            if "due_before" in task:
                due = resolve_date(task["due_before"], now) - timedelta(
                    days=scene.rng.randint(0, 2)
                )
            session.add(
                Task(
                    id=task["id"],
                    owner_id=user,
                    title=task["title"],
                    priority=task.get("priority", "normal"),
                    status=task.get("status", "pending"),
                    due_date=due,
                    tags=list(task.get("tags", [])),
                    project_id=task.get("project_id"),
                )
            )
        for event in scene.events:
            session.add(CalendarEvent(owner_id=user, **event))


# --- playing one example -----------------------------------------------------------------------

DATE_FIELDS = {"due_date", "due_before", "date", "remind_at"}


def _check_due_date(filled: Filled, now: datetime) -> None:
    """A lone create_task: the date in the text (if any) is the due date, and nothing else is."""
    from taskagent.dates import find_when, resolve_date

    if len(filled.calls) != 1 or filled.calls[0][0] != "create_task":
        return
    args = filled.calls[0][1]
    text = filled.text.replace(str(args["title"]), " ")
    when = find_when(text, now)
    if "due_date" not in args:
        if when is not None:
            raise Redraw(f"stray date in {filled.text!r}")
        return
    if when is None or when.value.date() != resolve_date(args["due_date"], now):
        raise Redraw(f"due date not found as written in {filled.text!r}")


_WORD = re.compile(r"[a-z0-9]{3,}")
_FILLER = {"task", "tasks", "the", "and", "for", "due", "add", "create", "new", "project", "with"}


def _stems(text: str) -> set[str]:
    """Content words cut to five letters ("budget" meets "budgeting"), as verify compares them."""
    return {word[:5] for word in _WORD.findall(text.lower())} - {w[:5] for w in _FILLER}


def _check_lookup(filled: Filled) -> None:
    """The task a lookup writes to must be the listed task the request names best, alone.

    ``nodes.verify`` rejects a write after a lookup to a task whose title shares fewer
    content words with the request than another listed task's; we keep only draws where
    the named task (or the two named tasks) wins outright.
    """
    if not filled.first_round:
        return
    listed = {t["id"]: t["title"] for t in filled.setup.tasks if t.get("status") != "completed"}
    wanted = _stems(filled.text)
    scores = {task_id: len(_stems(title) & wanted) for task_id, title in listed.items()}
    targets = {args["task_id"] for _, args in filled.calls[filled.first_round :]}
    others = [score for task_id, score in scores.items() if task_id not in targets]
    if min(scores[t] for t in targets) == 0 or max(others, default=0) >= min(
        scores[t] for t in targets
    ):
        raise Redraw(f"the lookup's task is not the best match for {filled.text!r}")


def _check_binding(filled: Filled, label: str) -> None:
    """A "$k" reference must be exactly what nodes.verify binds a missing id to."""
    from nodes.verify import id_bindings

    names = [name for name, _ in filled.calls]
    for index, (name, raw) in enumerate(filled.calls):
        start = filled.first_round if filled.first_round and index >= filled.first_round else 0
        references = {
            key: int(value[1:])
            for key, value in raw.items()
            if isinstance(value, str) and value.startswith("$")
        }
        shown = {key: value for key, value in raw.items() if key not in references}
        expected = {
            key: start + position
            for key, position in id_bindings(name, shown, names[start:index]).items()
        }
        if expected != references:
            raise InvalidExample(
                f"{label}: call {index} ({name}) binds {references}, verify would bind {expected}"
            )


def play(family: Family, rng: random.Random, now: datetime) -> dict[str, Any]:
    """Fill one family's frame, run it against a seeded store, and return the conversation."""
    from graph.prompts import CONTINUE_PROMPT, system_prompt
    from nodes.classify import DECLINE
    from nodes.respond import describe_result
    from taskagent.tools import run_tool, validate_call

    filled = family.build(Scene(rng, now))
    filled = with_typo(with_lowercase(with_wrapper(filled, rng), rng), rng)
    _check_due_date(filled, now)
    _check_lookup(filled)
    _check_binding(filled, family.name)
    store = _store()
    user = store.ensure_user("trainer")
    _seed(store, user, filled.setup, now)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(now)},
        {"role": "user", "content": filled.text},
    ]
    if not filled.calls:
        messages.append({"role": "assistant", "content": DECLINE})
        return {"family": family.name, "now": now.isoformat(), "messages": messages, "tools": []}

    tool_calls: list[dict[str, Any]] = []
    tool_messages: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for index, (name, raw) in enumerate(filled.calls):
        references = {
            key: int(value[1:])
            for key, value in raw.items()
            if isinstance(value, str) and value.startswith("$")
        }
        shown = {key: value for key, value in raw.items() if key not in references}
        try:
            checked = validate_call(name, shown | {key: 1 for key in references}, now)
        except ValueError as exc:
            raise InvalidExample(f"{family.name}: {filled.text!r}: {exc}") from exc
        arguments = checked.model_dump(mode="json", exclude_unset=True)
        for key in DATE_FIELDS & shown.keys():  # validated above; kept as written
            arguments[key] = shown[key]
        for key in references:  # the dependent id is bound by execute, so the model omits it
            arguments.pop(key, None)
        executed = dict(arguments)
        for key, source in references.items():
            entity = results[source]["result"].get("project" if key == "project_id" else "task")
            executed[key] = entity["id"]
        result = run_tool(store, user, name, validate_call(name, executed, now), now)
        call_id = f"call_{index}"
        tool_calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": json.dumps(arguments, separators=(",", ":")),
                },
            }
        )
        tool_messages.append(
            {"role": "tool", "tool_call_id": call_id, "content": tool_result_text(result)}
        )
        results.append({"name": name, "ok": True, "arguments": executed, "result": result})
        if index + 1 == filled.first_round:
            # End of the lookup round: the graph runs it, then asks the model to go on.
            messages.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
            messages += tool_messages
            messages.append({"role": "user", "content": CONTINUE_PROMPT})
            tool_calls, tool_messages = [], []
    messages.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
    messages += tool_messages
    messages.append({"role": "assistant", "content": " ".join(describe_result(r) for r in results)})
    return {
        "family": family.name,
        "now": now.isoformat(),
        "messages": messages,
        "tools": [name for name, _ in filled.calls],
    }


# --- quotas -------------------------------------------------------------------------------------


def multi_group(family: Family) -> str:
    if family.name == "parallel.reads":
        return "parallel.reads"
    if family.name.startswith("parallel."):
        return "parallel.writes"
    return family.name.split(".")[0]


def _apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, deterministic)."""
    scale = sum(weights.values())
    exact = {key: total * weight / scale for key, weight in weights.items()}
    counts = {key: int(value) for key, value in exact.items()}
    leftover = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[:leftover]:
        counts[key] += 1
    return counts


def plan_families(args: DataArgs, rng: random.Random) -> list[Family]:
    """Which family each example comes from, meeting the quotas exactly."""
    n_no_tool = round(args.n * args.no_tool_share)
    n_multi = round(args.n * args.multi_share)
    buckets: dict[str, list[Family]] = defaultdict(list)
    for item in FAMILIES:
        if item.kind == "no_tool":
            buckets["no_tool"].append(item)
        elif item.kind == "multi":
            buckets[multi_group(item)].append(item)
        else:
            buckets[item.tools[0]].append(item)
    counts = {"no_tool": n_no_tool}
    counts |= _apportion(n_multi, MULTI_GROUP_SHARES)
    counts |= _apportion(args.n - n_no_tool - n_multi, SINGLE_TOOL_SHARES)
    chosen: list[Family] = []
    for bucket, count in counts.items():
        members = buckets[bucket]
        per_family = _apportion(count, {f.name: f.weight for f in members})
        for member in members:
            chosen += [member] * per_family[member.name]
    rng.shuffle(chosen)
    return chosen


def generate(args: DataArgs) -> list[dict[str, Any]]:
    rng = random.Random(args.seed)
    base = datetime(2026, 1, 5, 9, 0)
    examples = []
    planned = plan_families(args, rng)
    try:
        from tqdm import tqdm

        families = tqdm(planned, desc="generating", unit="example", mininterval=2)
    except ImportError:
        families = planned
    for index, family in enumerate(families):
        for _attempt in range(30):
            now = base + timedelta(
                days=rng.randint(0, 330),
                hours=rng.randint(0, 9),
                minutes=rng.choice([0, 15, 30, 45]),
            )
            try:
                example = play(family, rng, now)
                break
            except (ToolError, Redraw):  # e.g. "remind me Friday at 8am" on a Friday at 9
                continue
        else:
            raise InvalidExample(f"{family.name}: no valid example in 30 draws")
        example["id"] = f"ex{index:04d}"
        examples.append(example)
    return examples


# --- the report ----------------------------------------------------------------------------------


def optional_arguments() -> dict[str, list[str]]:
    """Each tool's optional arguments, from its argument model."""
    from taskagent.tools import TOOLS

    return {
        name: [key for key, info in spec.args_model.model_fields.items() if not info.is_required()]
        for name, spec in TOOLS.items()
    }


def planned_calls(example: dict[str, Any]) -> list[list[tuple[str, dict[str, Any]]]]:
    """The example's calls as the model wrote them, one list per assistant reply."""
    rounds = []
    for message in example["messages"]:
        if message["role"] == "assistant" and message.get("tool_calls"):
            rounds.append(
                [
                    (call["function"]["name"], json.loads(call["function"]["arguments"]))
                    for call in message["tool_calls"]
                ]
            )
    return rounds


def argument_coverage(examples: list[dict[str, Any]]) -> dict[str, Any]:
    """Per tool: share of its examples in which each optional argument is written, and
    (for ids) share in which it is bound from an earlier call in the same reply."""
    from nodes.verify import id_bindings

    optional = optional_arguments()
    having: Counter[str] = Counter()
    written: dict[str, Counter[str]] = defaultdict(Counter)
    bound: dict[str, Counter[str]] = defaultdict(Counter)
    for example in examples:
        seen: dict[str, set[str]] = defaultdict(set)
        tied: dict[str, set[str]] = defaultdict(set)
        for reply in planned_calls(example):
            names = [name for name, _ in reply]
            for index, (name, arguments) in enumerate(reply):
                seen[name] |= set(arguments)
                tied[name] |= set(id_bindings(name, arguments, names[:index]))
        having.update(seen.keys())
        for name in seen:
            written[name].update(seen[name] & set(optional[name]))
            bound[name].update(tied[name])
    coverage = {
        name: {key: round(written[name][key] / having[name], 3) for key in optional[name]}
        for name in sorted(having)
        if optional[name]
    }
    bound_share = {
        name: {key: round(count / having[name], 3) for key, count in sorted(bound[name].items())}
        for name in sorted(bound)
        if bound[name]
    }
    return {"coverage": coverage, "bound": bound_share}


def stats(examples: list[dict[str, Any]]) -> dict[str, Any]:
    per_tool: Counter[str] = Counter()
    calls_per_tool: Counter[str] = Counter()
    for example in examples:
        per_tool.update(set(example["tools"]))
        calls_per_tool.update(example["tools"])
    no_tool = sum(1 for e in examples if not e["tools"])
    multi = sum(1 for e in examples if len(e["tools"]) > 1)
    turns = [sum(1 for m in e["messages"] if m["role"] != "system") for e in examples]
    total = max(1, len(examples))
    return {
        "total": len(examples),
        "single_tool": len(examples) - multi - no_tool,
        "multi_tool": multi,
        "no_tool": no_tool,
        "per_tool": dict(sorted(per_tool.items())),
        "avg_turns": round(sum(turns) / max(1, len(turns)), 2),
        "shares": {
            "single_tool": round((len(examples) - multi - no_tool) / total, 3),
            "multi_tool": round(multi / total, 3),
            "no_tool": round(no_tool / total, 3),
        },
        "calls_per_tool": dict(sorted(calls_per_tool.items())),
        "lookups": sum(1 for e in examples if e["family"].startswith("lookup.")),
        "families": len({e["family"] for e in examples}),
        "distinct_requests": len({e["messages"][1]["content"] for e in examples}),
        **argument_coverage(examples),
    }


def split(examples: list[dict[str, Any]], args: DataArgs) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(args.seed + 1)
    shuffled = examples[:]
    rng.shuffle(shuffled)
    n_val = max(1, round(len(shuffled) * args.val_fraction))
    return {"val": shuffled[:n_val], "train": shuffled[n_val:]}


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def digest(examples: list[dict[str, Any]], args: DataArgs) -> str:
    """The sha256 that ``write`` records for these examples (val file, then train file)."""
    splits = split(examples, args)
    return hashlib.sha256(jsonl(splits["val"]) + jsonl(splits["train"])).hexdigest()


def write(examples: list[dict[str, Any]], args: DataArgs) -> dict[str, Path]:
    paths = {}
    for name, rows in split(examples, args).items():
        path = args.out_dir / f"{name}.jsonl"
        path.write_bytes(jsonl(rows))
        paths[name] = path
    data = b"".join(p.read_bytes() for p in paths.values())
    (args.out_dir / "dataset.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
    return paths
