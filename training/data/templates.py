"""Families of training conversations: phrase banks × slots × a small world of tasks.

A family is one kind of request ("create_task.need_to": a plain statement with a due
date; "lookup.delete_task": delete a task named by its title). Its builder draws a
frame from :mod:`training.data.phrases`, fills the slots, seeds the store with the
tasks, projects and events the request refers to (a :class:`Scene`), and says which
calls the request should produce. ``training.data.generate`` plays them out against a
real store.

Conventions the model learns (they match ``nodes.verify`` and the graph):

* optional arguments the user states are always in the call;
* a task named by id ("finish task 3", "#3", "TASK-0003", "task three") is one direct
  call; only a task named by its title gets a lookup: ``list_tasks`` in a round of its
  own, then, with the results in view, the write the request asked for on that task;
* calls that depend on each other are planned in one reply, and a later call leaves out
  the id an earlier call in the same reply creates (``"$0"`` below: bound to call 0's
  result at execution, exactly as ``nodes.verify`` binds a missing ``project_id`` /
  ``task_id`` to the latest ``create_project`` / ``create_task`` before it);
* dates are copied as the user wrote them.

Every family trains: the dev eval set is written by hand, apart from these banks, and
``training.data.leakage`` fails the build if one of its inputs shows up here.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from training.data import phrases as P

# --- entities ------------------------------------------------------------------------------------


def _split_title(entry: str) -> tuple[str, str]:
    title, _, handle = entry.partition("|")
    return title.strip(), handle.strip()


TITLE_HANDLES: dict[str, str] = dict(_split_title(entry) for entry in P.TITLES)
TITLES: list[str] = list(TITLE_HANDLES)
PROJECTS: list[str] = P.PROJECTS
TAGS: list[str] = P.TAGS
OUT_OF_SCOPE: list[str] = P.OUT_OF_SCOPE


def _article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def slots_in(frame: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(frame) if name}


_PREPOSITIONS = {"by", "for", "before", "until", "till", "to", "of", "forward", "on", "from"}


def word_before(frame: str, slot: str) -> str:
    """The word a frame puts right before ``{slot}`` ("by" in "done by {due}")."""
    index = frame.find("{" + slot + "}")
    words = frame[:index].split() if index >= 0 else []
    return words[-1].strip("(,") if words else ""


@dataclass
class Filled:
    """A phrased request, the world it happens in, and the calls it should produce.

    ``calls`` hold arguments before normalisation; a string "$k" stands for the id that
    call k of the same reply creates. ``first_round`` > 0: the first N calls are a round
    of their own (a lookup); the model sees their results before it makes the rest.
    """

    text: str
    calls: list[tuple[str, dict[str, Any]]]
    setup: Scene
    first_round: int = 0


class Scene:
    """The draw for one example: its random source, its clock, and the store's contents."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.tasks: list[dict[str, Any]] = []
        self.projects: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self._titles: set[str] = set()

    # --- choices ---------------------------------------------------------------------

    def choice(self, items: Sequence[Any]) -> Any:
        return self.rng.choice(items)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # --- titles, tasks, projects ------------------------------------------------------

    def _clashes(self, title: str) -> bool:
        """Would this title make a lookup ambiguous (its handle or words inside another)?"""
        handle = TITLE_HANDLES[title].lower()
        for other in self._titles:
            other_handle = TITLE_HANDLES[other].lower()
            if (
                handle in other.lower()
                or other_handle in title.lower()
                or title.lower() in other.lower()
                or other.lower() in title.lower()
            ):
                return True
        return False

    def new_title(self) -> str:
        """A title not used yet in this scene, distinct enough to be named unambiguously."""
        for _ in range(50):
            title = self.choice(TITLES)
            if title not in self._titles and not self._clashes(title):
                self._titles.add(title)
                return title
        raise RuntimeError("no distinct title left")  # pragma: no cover

    def _new_id(self, taken: set[int], low_only: bool = False) -> int:
        while True:
            roll = self.rng.random()
            if low_only or roll < 0.55:
                value = self.rng.randint(1, 12)
            elif roll < 0.85:
                value = self.rng.randint(13, 99)
            else:
                value = self.rng.randint(100, 999)
            if value not in taken:
                return value

    def task(self, title: str | None = None, low_id: bool = False, **fields: Any) -> dict[str, Any]:
        """A task that already exists in the store."""
        task_id = self._new_id({t["id"] for t in self.tasks}, low_only=low_id)
        task = {"id": task_id, "title": title or self.new_title(), **fields}
        if task["title"] not in self._titles:
            self._titles.add(task["title"])
        self.tasks.append(task)
        return task

    def background(self, low: int = 0, high: int = 2) -> None:
        """Other tasks that exist (a store is rarely empty)."""
        for _ in range(self.rng.randint(low, high)):
            extra: dict[str, Any] = {}
            if self.chance(0.3):
                extra["priority"] = self.choice(["urgent", "high", "low"])
            if self.chance(0.25):
                extra["tags"] = [self.choice(TAGS)]
            self.task(**extra)

    def project(self) -> dict[str, Any]:
        taken = {p["id"] for p in self.projects}
        names = {p["name"] for p in self.projects}
        name = self.choice([n for n in PROJECTS if n not in names])
        project = {"id": self._new_id(taken), "name": name}
        self.projects.append(project)
        return project

    def event(self, day: date, title: str | None = None) -> None:
        hour = self.rng.choice([8, 9, 10, 11, 13, 14, 15, 16, 17])
        starts = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=hour, minutes=self.rng.choice([0, 30])
        )
        self.events.append(
            {
                "title": title or self.choice(EVENT_TITLES),
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=self.rng.choice([30, 60, 90])),
            }
        )

    # --- how things are written -------------------------------------------------------

    def ref(self, task_id: int) -> str:
        """A task id as people write it: 12, #12, task 12, TASK-0012, task twelve."""
        if task_id in P.NUMBER_WORDS and self.chance(0.08):
            return self.choice(P.ID_WORD_FORMS).format(word=P.NUMBER_WORDS[task_id])
        return self.choice(P.ID_FORMS).format(n=task_id, n4=f"{task_id:04d}")

    def project_ref(self, project: dict[str, Any]) -> str:
        return self.choice(P.PROJECT_REF_FORMS).format(n=project["id"], pname=project["name"])

    def _fits(self, phrase: str, before: str) -> bool:
        """ "by in 3 days" is not English: relative phrases do not follow a preposition."""
        if before.lower() not in _PREPOSITIONS:
            return True
        return not (phrase.startswith(("in ", "a ", "two weeks")) or " from " in phrase)

    def _draw(self, bank: list[str], before: str) -> str:
        while True:
            phrase = self.choice(bank)
            if self._fits(phrase, before):
                return self._dated(phrase)

    def _dated(self, phrase: str) -> str:
        ahead = self.now.date() + timedelta(days=self.rng.randint(1, 40))
        if phrase == "{iso}":
            return ahead.isoformat()
        if phrase == "{slash}":
            return f"{ahead.month}/{ahead.day}"
        return phrase

    def due(self, before: str = "") -> str:
        """A due date as written; ``before`` is the word the frame puts in front of it."""
        return self._draw(P.DUE_DATES, before)

    def day(self, before: str = "") -> str:
        return self._draw(P.CALENDAR_DAYS, before)

    def when(self, before: str = "") -> str:
        if self.chance(0.55):
            return self.choice(P.REMIND_DAY_TIME).format(
                day=self.choice(P.REMIND_DAYS), time=self.choice(P.REMIND_TIMES)
            )
        return self._draw(P.REMIND_RELATIVE, before)

    def level(self) -> str:
        return self.choice(P.PRIORITY_LEVELS)

    def tags(self) -> list[str]:
        return self.rng.sample(TAGS, 2 if self.chance(0.3) else 1)

    def message(self) -> str:
        return self.choice(P.REMINDER_MESSAGES) if self.chance(0.6) else self.choice(TITLES)

    def target(self, task: dict[str, Any]) -> str:
        """A task named by its title or handle, for a lookup."""
        form = self.choice(P.TARGET_FORMS)
        return form.format(title=task["title"], handle=TITLE_HANDLES[task["title"]])


EVENT_TITLES = [
    "Team stand-up", "Dentist", "Lunch with Priya", "Project review", "Yoga", "1:1 with Sam",
    "Client call", "School run", "Gym", "Design review", "Coffee with Marco", "Board meeting",
    "Parents evening", "Piano lesson", "Sprint planning", "Doctor", "Book club", "Haircut",
]  # fmt: skip


# --- filling slots -------------------------------------------------------------------------------


def fill(frame: str, values: dict[str, Any]) -> str:
    return frame.format_map(values)


def _prio_values(scene: Scene, level: str) -> dict[str, str]:
    adjective = scene.choice(P.PRIORITY_ADJECTIVES[level])
    return {
        "level": level,
        "prio": scene.choice(P.PRIORITY_WORDS[level]),
        "prio_adj": adjective,
        "a_prio_adj": _article(adjective),
    }


def _append(text: str, extras: list[str]) -> str:
    """Add extra phrases to a request, before a final question mark."""
    if not extras:
        return text
    tail = ""
    if text.endswith("?"):
        text, tail = text[:-1], "?"
    return text + "".join(extras) + tail


# Optional arguments stated for create_task: how often each is added when the frame lacks it.
CREATE_TASK_RATES = {
    "due_date": 0.42,
    "priority": 0.42,
    "tags": 0.40,
    "description": 0.45,
    "project_id": 0.5,
}


def task_request(
    scene: Scene,
    frame: str,
    title: str | None = None,
    rates: dict[str, float] | None = None,
    allow_project: bool = True,
) -> tuple[str, dict[str, Any]]:
    """Fill a create_task frame and add stated optional arguments; returns text and args."""
    rates = CREATE_TASK_RATES if rates is None else rates
    title = title or scene.new_title()
    quoted = "'{title}'" in frame or '"{title}"' in frame or "“{title}”" in frame
    if quoted and scene.chance(0.4):
        title = title[0].upper() + title[1:]
    args: dict[str, Any] = {"title": title}
    values: dict[str, Any] = {"title": title}
    present = slots_in(frame)
    level = scene.level()
    values |= _prio_values(scene, level)
    if present & {"prio", "prio_adj", "a_prio_adj"}:
        args["priority"] = level
    if "due" in present:
        values["due"] = args["due_date"] = scene.due(word_before(frame, "due"))
    if "tag" in present:
        values["tag"] = scene.choice(TAGS)
        args["tags"] = [values["tag"]]
    if "desc" in present:
        values["desc"] = args["description"] = scene.choice(P.DESCRIPTIONS)
    if "project" in present:
        project = scene.project()
        values["project"] = scene.project_ref(project)
        args["project_id"] = project["id"]
    text = fill(frame, values)

    extras = []
    for name, rate in rates.items():
        if name in args or not scene.chance(rate):
            continue
        if name == "project_id" and not allow_project:
            continue
        if name == "due_date":
            extra = scene.choice(P.DUE_EXTRAS)
            args["due_date"] = scene.due(word_before(extra, "due"))
            extras.append(extra.format(due=args["due_date"]))
        elif name == "priority":
            level = scene.level()
            args["priority"] = level
            words = _prio_values(scene, level)
            bank = P.PRIORITY_EXTRAS if scene.chance(0.7) else P.PRIORITY_LEVEL_EXTRAS
            extras.append(scene.choice(bank).format(**words))
        elif name == "tags":
            tags = scene.tags()
            args["tags"] = tags
            bank = P.TWO_TAG_EXTRAS if len(tags) == 2 else P.TAG_EXTRAS
            extras.append(scene.choice(bank).format(tag=tags[0], tag2=tags[-1]))
        elif name == "description":
            args["description"] = scene.choice(P.DESCRIPTIONS)
            extras.append(scene.choice(P.DESC_EXTRAS).format(desc=args["description"]))
        elif name == "project_id":
            project = scene.project()
            args["project_id"] = project["id"]
            extras.append(scene.choice(P.PROJECT_EXTRAS).format(project=scene.project_ref(project)))
    scene.rng.shuffle(extras)
    return _append(text, extras), args


# --- list filters as a noun phrase ---------------------------------------------------------------

LIST_FILTER_WEIGHTS = {"status": 23, "priority": 24, "tags": 25, "project_id": 26, "due_before": 4}
LIST_FILTER_COUNTS = [(0, 4), (1, 20), (2, 40), (3, 28), (4, 8)]


def _weighted(scene: Scene, pairs: Sequence[tuple[Any, float]]) -> Any:
    return scene.rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def list_filters(
    scene: Scene, count: int | None = None, finished: bool = True
) -> tuple[str, dict[str, Any]]:
    """A noun phrase such as "urgent work tasks in project 4" and the filters it states.

    ``finished``: whether the phrase may ask for completed tasks (not after "what's left").
    """
    if count is None:
        count = _weighted(scene, LIST_FILTER_COUNTS)
    kinds: list[str] = []
    pool = dict(LIST_FILTER_WEIGHTS)
    for _ in range(count):
        kind = _weighted(scene, list(pool.items()))
        kinds.append(kind)
        del pool[kind]
    args: dict[str, Any] = {}
    before: list[str] = []
    after: list[str] = []
    if "status" in kinds:
        statuses = ["pending", "in_progress", "in_progress", "completed", "completed"]
        status = scene.choice(statuses if finished else statuses[:3])
        args["status"] = status
        if scene.chance(0.7):
            before.append(scene.choice(P.STATUS_ADJECTIVES[status]))
        else:
            after.append(scene.choice(P.STATUS_AFTER[status]))
    if "priority" in kinds:
        level = scene.level()
        args["priority"] = level
        before.append(scene.choice(P.PRIORITY_ADJECTIVES[level]))
    if "tags" in kinds:
        tags = scene.tags()
        if scene.chance(0.5) and len(tags) == 1:
            before.append(tags[0])
        else:
            forms = [f for f in P.TAG_AFTER_NOUN if ("{tag2}" in f) == (len(tags) == 2)]
            after.insert(0, scene.choice(forms).format(tag=tags[0], tag2=tags[-1]))
        args["tags"] = tags
    if "project_id" in kinds:
        project = scene.project()
        args["project_id"] = project["id"]
        after.append(scene.choice(P.PROJECT_AFTER_NOUN).format(project=scene.project_ref(project)))
    if "due_before" in kinds:
        form = scene.choice(P.DUE_AFTER_NOUN)
        args["due_before"] = scene.due(word_before(form, "due"))
        after.append(form.format(due=args["due_before"]))
    phrase = " ".join([*before, scene.choice(P.LIST_NOUNS), *after])
    return phrase, args


def seed_matches(scene: Scene, filters: dict[str, Any]) -> None:
    """Put a task in the store that the filters find (most lists are not empty)."""
    fields: dict[str, Any] = {}
    if "status" in filters:
        fields["status"] = filters["status"]
    if "priority" in filters:
        fields["priority"] = filters["priority"]
    if "tags" in filters:
        fields["tags"] = list(filters["tags"][:1])
    if "project_id" in filters:
        fields["project_id"] = filters["project_id"]
    if "due_before" in filters:
        fields["due_before"] = filters["due_before"]  # resolved when the store is seeded
    for _ in range(scene.rng.randint(1, 2)):
        scene.task(**fields)


# --- the registry --------------------------------------------------------------------------------

Builder = Callable[[Scene], Filled]


@dataclass(frozen=True)
class Family:
    name: str
    tools: tuple[str, ...]
    build: Builder
    kind: str = "single"  # single | multi | no_tool
    weight: float = 1.0


FAMILIES: list[Family] = []


def family(
    name: str, *tools: str, kind: str | None = None, weight: float = 1.0
) -> Callable[[Builder], Builder]:
    if kind is None:
        kind = "no_tool" if not tools else "single" if len(tools) == 1 else "multi"

    def register(build: Builder) -> Builder:
        FAMILIES.append(Family(name, tools, build, kind, weight))
        return build

    return register


# --- create_task ---------------------------------------------------------------------------------

_CREATE_GROUP_WEIGHTS = {
    "imperative": 14, "need_to": 12, "terse": 8, "question": 9, "polite": 7, "statement": 8,
    "quoted": 6, "priority": 10, "tagged": 4, "in_project": 5, "described": 3, "typo": 6,
}  # fmt: skip


def _create_task_family(group: str) -> None:
    @family(f"create_task.{group}", "create_task", weight=_CREATE_GROUP_WEIGHTS[group])
    def _(scene: Scene) -> Filled:
        text, args = task_request(scene, scene.choice(P.CREATE_TASK_FRAMES[group]))
        scene.background(0, 2)
        return Filled(text, [("create_task", args)], scene)


for _group in P.CREATE_TASK_FRAMES:
    _create_task_family(_group)


# --- list_tasks ----------------------------------------------------------------------------------


_STILL_OPEN_WORDS = ("left", "remain", "still", "outstanding")


@family("list_tasks.filtered", "list_tasks", weight=86)
def _(scene: Scene) -> Filled:
    phrase, args = list_filters(scene)
    frames = P.LIST_TASKS_FRAMES
    if args.get("status") == "completed":
        frames = [f for f in frames if not any(w in f for w in _STILL_OPEN_WORDS)]
    text = fill(scene.choice(frames), {"tasks": phrase})
    if args and scene.chance(0.8):
        seed_matches(scene, args)
    scene.background(1, 3)
    return Filled(text, [("list_tasks", args)], scene)


@family("list_tasks.idiom", "list_tasks", weight=14)
def _(scene: Scene) -> Filled:
    frame, template = scene.choice(P.LIST_TASKS_FIXED)
    values: dict[str, Any] = {}
    args: dict[str, Any] = {}
    for key, value in template.items():
        if value == "{due}":
            values["due"] = args[key] = scene.due(word_before(frame, "due"))
        elif value == ["{tag}"]:
            values["tag"] = scene.choice(TAGS)
            args[key] = [values["tag"]]
        elif value == "{pid}":
            project = scene.project()
            values["project"] = scene.project_ref(project)
            args[key] = project["id"]
        else:
            args[key] = value
    if args and scene.chance(0.8):
        seed_matches(scene, args)
    scene.background(1, 3)
    return Filled(fill(frame, values), [("list_tasks", args)], scene)


# --- update_task ---------------------------------------------------------------------------------

UPDATE_KIND_WEIGHTS = [("priority", 27), ("due_date", 22), ("title", 25), ("status", 23),
                       ("description", 3)]  # fmt: skip
UPDATE_EXTRA_RATE = 0.65


def _update_values(scene: Scene, ref: str) -> dict[str, Any]:
    values: dict[str, Any] = {"ref": ref, "new_title": scene.new_title()}
    values |= _prio_values(scene, scene.level())
    values["due"] = scene.due("to")
    values["desc"] = scene.choice(P.DESCRIPTIONS)
    return values


def update_request(scene: Scene, task: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    """An update of one kind on a task named by id, maybe with more changes appended."""
    ref = scene.ref(task["id"])
    values = _update_values(scene, ref)
    args: dict[str, Any] = {"task_id": task["id"]}
    if kind == "priority":
        if scene.chance(0.3):
            frame, level = scene.choice(P.UPDATE_PRIORITY_FIXED)
        else:
            frame, level = scene.choice(P.UPDATE_PRIORITY_FRAMES), values["level"]
        args["priority"] = level
    elif kind == "due_date":
        frame = scene.choice(P.UPDATE_DUE_FRAMES)
        values["due"] = args["due_date"] = scene.due(word_before(frame, "due"))
    elif kind == "title":
        frame = scene.choice(P.UPDATE_TITLE_FRAMES)
        args["title"] = values["new_title"]
    elif kind == "status":
        frame, status = scene.choice(P.UPDATE_STATUS_FRAMES)
        args["status"] = status
        task["status"] = "pending" if status == "in_progress" else "in_progress"
    else:
        frame = scene.choice(P.UPDATE_DESCRIPTION_FRAMES)
        args["description"] = values["desc"]
    text = fill(frame, values)
    extra_kinds = [k for k, _ in UPDATE_KIND_WEIGHTS if k != kind and k not in args]
    extras = []
    count = 0 if not scene.chance(UPDATE_EXTRA_RATE) else 1 if scene.chance(0.75) else 2
    for extra in scene.rng.sample(extra_kinds, count):
        values = _update_values(scene, ref)
        if extra == "priority":
            args["priority"] = values["level"]
            extras.append(scene.choice(P.UPDATE_EXTRAS["priority"]).format(**values))
        elif extra == "due_date":
            form = scene.choice(P.UPDATE_EXTRAS["due_date"])
            values["due"] = args["due_date"] = scene.due(word_before(form, "due"))
            extras.append(form.format(**values))
        elif extra == "title":
            args["title"] = values["new_title"]
            extras.append(scene.choice(P.UPDATE_EXTRAS["title"]).format(**values))
        elif extra == "status":
            status = "in_progress" if scene.chance(0.8) else "pending"
            args["status"] = status
            task["status"] = "pending" if status == "in_progress" else "in_progress"
            extras.append(scene.choice(P.UPDATE_EXTRAS[status]))
        else:
            args["description"] = values["desc"]
            extras.append(scene.choice(P.UPDATE_EXTRAS["description"]).format(**values))
    return _append(text, extras), args


@family("update_task.direct", "update_task", weight=100)
def _(scene: Scene) -> Filled:
    scene.background(0, 2)
    task = scene.task()
    kind = _weighted(scene, UPDATE_KIND_WEIGHTS)
    text, args = update_request(scene, task, kind)
    return Filled(text, [("update_task", args)], scene)


# --- complete_task / delete_task -----------------------------------------------------------------


def _direct_ref(scene: Scene, task: dict[str, Any]) -> str:
    """Mostly the id alone; sometimes the id with the title beside it (still one direct call)."""
    ref = scene.ref(task["id"])
    if scene.chance(0.08):
        return f"{ref} ({task['title']})"
    return ref


def _by_id_family(tool: str, bank: dict[str, list[str]], group: str, weight: float) -> None:
    @family(f"{tool}.{group}", tool, weight=weight)
    def _(scene: Scene) -> Filled:
        scene.background(0, 2)
        task = scene.task()
        if tool == "complete_task" and scene.chance(0.15):
            task["status"] = "in_progress"
        text = fill(scene.choice(bank[group]), {"ref": _direct_ref(scene, task)})
        return Filled(text, [(tool, {"task_id": task["id"]})], scene)


for _tool, _bank in (
    ("complete_task", P.COMPLETE_TASK_FRAMES),
    ("delete_task", P.DELETE_TASK_FRAMES),
):
    for _group, _frames_ in _bank.items():
        _by_id_family(_tool, _bank, _group, weight=len(_frames_))


# --- create_project ------------------------------------------------------------------------------

PROJECT_DESCRIPTION_RATE = 0.4


def _create_project_family(group: str) -> None:
    @family(f"create_project.{group}", "create_project", weight=len(P.CREATE_PROJECT_FRAMES[group]))
    def _(scene: Scene) -> Filled:
        frame = scene.choice(P.CREATE_PROJECT_FRAMES[group])
        name = scene.choice(PROJECTS)
        args: dict[str, Any] = {"name": name}
        values = {
            "pname": name,
            "a_pname": _article(name),
            "pdesc": scene.choice(P.PROJECT_DESCRIPTIONS),
        }
        if "pdesc" in slots_in(frame):
            args["description"] = values["pdesc"]
        text = fill(frame, values)
        if "description" not in args and scene.chance(PROJECT_DESCRIPTION_RATE):
            args["description"] = scene.choice(P.PROJECT_DESCRIPTIONS)
            extra = scene.choice(P.PROJECT_DESC_EXTRAS).format(pdesc=args["description"])
            text = _append(text, [extra])
        return Filled(text, [("create_project", args)], scene)


for _group in P.CREATE_PROJECT_FRAMES:
    _create_project_family(_group)


# --- get_calendar --------------------------------------------------------------------------------


def _calendar_days(scene: Scene, start: str | None, days: int) -> None:
    """Events on some of the days asked about."""
    from taskagent.dates import resolve_date

    first = resolve_date(start, scene.now) if start else scene.now.date()
    for offset in range(min(days, 7)):
        if scene.chance(0.45):
            scene.event(first + timedelta(days=offset))


_CALENDAR_WEIGHTS = {"now": 8, "day": 30, "span": 21, "count": 12, "window": 15}


def _calendar_family(group: str) -> None:
    @family(f"get_calendar.{group}", "get_calendar", weight=_CALENDAR_WEIGHTS[group])
    def _(scene: Scene) -> Filled:
        frame = scene.choice(P.CALENDAR_FRAMES[group])
        args: dict[str, Any] = {}
        values: dict[str, Any] = {}
        if "day" in slots_in(frame):
            values["day"] = args["date"] = scene.day(word_before(frame, "day"))
        if "span" in slots_in(frame):
            values["span"], args["days"] = scene.choice(P.CALENDAR_SPANS)
        if "n" in slots_in(frame):
            values["n"], args["days"] = scene.choice(P.DAY_COUNTS)
        _calendar_days(scene, args.get("date"), args.get("days", 1))
        return Filled(fill(frame, values), [("get_calendar", args)], scene)


for _group in P.CALENDAR_FRAMES:
    _calendar_family(_group)


@family("get_calendar.fixed", "get_calendar", weight=16)
def _(scene: Scene) -> Filled:
    frame, template = scene.choice(P.CALENDAR_FIXED)
    values: dict[str, Any] = {}
    args = dict(template)
    if args.get("date") == "{day}":
        values["day"] = args["date"] = scene.day(word_before(frame, "day"))
    _calendar_days(scene, args.get("date"), args.get("days", 1))
    return Filled(fill(frame, values), [("get_calendar", args)], scene)


# --- create_reminder -----------------------------------------------------------------------------

_REMINDER_WEIGHTS = {"message": 64, "task": 26, "task_message": 10}


def _reminder_family(group: str) -> None:
    @family(f"create_reminder.{group}", "create_reminder", weight=_REMINDER_WEIGHTS[group])
    def _(scene: Scene) -> Filled:
        frame = scene.choice(P.REMINDER_FRAMES[group])
        values: dict[str, Any] = {"when": scene.when(word_before(frame, "when"))}
        args: dict[str, Any] = {"remind_at": values["when"]}
        if "ref" in slots_in(frame):
            scene.background(0, 2)
            task = scene.task()
            values["ref"] = scene.ref(task["id"])
            args = {"task_id": task["id"], **args}
        if "msg" in slots_in(frame):
            values["msg"] = args["message"] = scene.message()
        return Filled(fill(frame, values), [("create_reminder", args)], scene)


for _group in P.REMINDER_FRAMES:
    _reminder_family(_group)


# --- chains: one reply, later calls bound to what earlier calls create ---------------------------

# Chained create_task clauses carry optional arguments too (the project is bound, so not stated).
CHAIN_TASK_RATES = {"due_date": 0.4, "priority": 0.4, "tags": 0.35, "description": 0.38}
CHAIN_TASK_RATES_WITH_PROJECT = CHAIN_TASK_RATES | {"project_id": 0.6}


def _join(scene: Scene, *clauses: str) -> str:
    text = clauses[0]
    for clause in clauses[1:]:
        text = text.rstrip("?") + scene.choice(P.CONNECTORS) + clause
    return text[:1].upper() + text[1:] if scene.chance(0.4) else text


def _project_clause(scene: Scene) -> tuple[str, str]:
    name = scene.choice(PROJECTS)
    return fill(scene.choice(P.PROJECT_CLAUSES), {"pname": name, "a_pname": _article(name)}), name


@family("chain.project_task", "create_project", "create_task", weight=25)
def _(scene: Scene) -> Filled:
    project_text, name = _project_clause(scene)
    if scene.chance(0.2):
        frame = scene.choice(P.PROJECT_TASK_REVERSED).replace("{pname}", name)
        text, args = task_request(scene, frame, rates=CHAIN_TASK_RATES, allow_project=False)
    else:
        task_text, args = task_request(
            scene, scene.choice(P.TASK_INTO_IT), rates=CHAIN_TASK_RATES, allow_project=False
        )
        text = _join(scene, project_text, task_text)
    return Filled(
        text,
        [("create_project", {"name": name}), ("create_task", args | {"project_id": "$0"})],
        scene,
    )


def remind_about_it(scene: Scene) -> tuple[str, dict[str, Any]]:
    """A reminder clause for the task just created: its id is bound, so not written."""
    saying = scene.chance(0.3)
    frame = scene.choice(P.REMIND_ABOUT_IT_SAYING if saying else P.REMIND_ABOUT_IT)
    when = scene.when(word_before(frame, "when"))
    args: dict[str, Any] = {"task_id": "$0", "remind_at": when}
    values = {"when": when}
    if saying:
        values["msg"] = args["message"] = scene.message()
    return fill(frame, values), args


@family("chain.task_reminder", "create_task", "create_reminder", weight=25)
def _(scene: Scene) -> Filled:
    if scene.chance(0.15):
        frame = scene.choice(P.REMIND_FIRST)
        when = scene.when(word_before(frame, "when"))
        text, args = task_request(scene, frame.replace("{when}", when), rates={})
        reminder: dict[str, Any] = {"task_id": "$0", "remind_at": when}
    else:
        task_text, args = task_request(
            scene, scene.choice(P.TASK_CLAUSES), rates=CHAIN_TASK_RATES_WITH_PROJECT
        )
        remind_text, reminder = remind_about_it(scene)
        text = _join(scene, task_text, remind_text)
    return Filled(text, [("create_task", args), ("create_reminder", reminder)], scene)


@family(
    "chain.project_task_reminder", "create_project", "create_task", "create_reminder", weight=10
)
def _(scene: Scene) -> Filled:
    project_text, name = _project_clause(scene)
    task_text, args = task_request(
        scene, scene.choice(P.TASK_INTO_IT), rates=CHAIN_TASK_RATES, allow_project=False
    )
    remind, reminder = remind_about_it(scene)
    text = _join(scene, project_text, task_text, remind)
    calls = [
        ("create_project", {"name": name}),
        ("create_task", args | {"project_id": "$0"}),
        ("create_reminder", reminder | {"task_id": "$1"}),
    ]
    return Filled(text, calls, scene)


@family("chain.project_two_tasks", "create_project", "create_task", "create_task", weight=9)
def _(scene: Scene) -> Filled:
    name = scene.choice(PROJECTS)
    first, second = scene.new_title(), scene.new_title()
    frame = scene.choice(P.TWO_TASKS_INTO_PROJECT)
    text = fill(frame, {"pname": name, "title": first, "title2": second})
    calls = [
        ("create_project", {"name": name}),
        ("create_task", {"title": first, "project_id": "$0"}),
        ("create_task", {"title": second, "project_id": "$0"}),
    ]
    return Filled(text, calls, scene)


@family("chain.project_task_list", "create_project", "create_task", "list_tasks", weight=7)
def _(scene: Scene) -> Filled:
    project_text, name = _project_clause(scene)
    task_text, args = task_request(
        scene, scene.choice(P.TASK_INTO_IT), rates=CHAIN_TASK_RATES, allow_project=False
    )
    text = _join(scene, project_text, task_text, scene.choice(P.LIST_IT))
    calls = [
        ("create_project", {"name": name}),
        ("create_task", args | {"project_id": "$0"}),
        ("list_tasks", {"project_id": "$0"}),
    ]
    return Filled(text, calls, scene)


@family("chain.task_reminder_list", "create_task", "create_reminder", "list_tasks", weight=5)
def _(scene: Scene) -> Filled:
    task_text, args = task_request(
        scene, scene.choice(P.TASK_CLAUSES), rates=CHAIN_TASK_RATES_WITH_PROJECT
    )
    remind, reminder = remind_about_it(scene)
    text = _join(scene, task_text, remind, scene.choice(P.LIST_TAILS))
    scene.background(1, 2)
    calls = [("create_task", args), ("create_reminder", reminder), ("list_tasks", {})]
    return Filled(text, calls, scene)


@family("chain.two_tasks_reminder", "create_task", "create_task", "create_reminder", weight=4)
def _(scene: Scene) -> Filled:
    first_text, first = task_request(scene, scene.choice(P.TASK_CLAUSES), rates=CHAIN_TASK_RATES)
    second_text, second = task_request(scene, scene.choice(P.TASK_CLAUSES), rates={})
    when = scene.when()
    remind = scene.choice(
        [
            f"remind me about the second one {when}",
            f"remind me about that last one {when}",
            f"set a reminder {when} for the second",
        ]
    )
    text = _join(scene, first_text, second_text, remind)
    calls = [
        ("create_task", first),
        ("create_task", second),
        ("create_reminder", {"task_id": "$1", "remind_at": when}),
    ]
    return Filled(text, calls, scene)


@family("chain.task_calendar", "create_task", "get_calendar", weight=5)
def _(scene: Scene) -> Filled:
    day = scene.day("for")
    frame = scene.choice(P.TASK_THEN_DAY).replace("{day}", day)
    text, args = task_request(scene, frame, rates={"priority": 0.4, "tags": 0.3})
    args["due_date"] = day
    _calendar_days(scene, day, 1)
    return Filled(text, [("create_task", args), ("get_calendar", {"date": day})], scene)


# --- write, then list ("... then show me what's left") -------------------------------------------


def _write_by_id(scene: Scene, tool: str) -> tuple[str, tuple[str, dict[str, Any]]]:
    """One write clause on a task named by id."""
    task = scene.task()
    ref = scene.ref(task["id"])
    if tool == "complete_task":
        return fill(scene.choice(P.COMPLETE_CLAUSES), {"ref": ref}), (tool, {"task_id": task["id"]})
    if tool == "delete_task":
        return fill(scene.choice(P.DELETE_CLAUSES), {"ref": ref}), (tool, {"task_id": task["id"]})
    if tool == "create_reminder":
        when = scene.when()
        text = fill(scene.choice(P.REMINDER_CLAUSES), {"ref": ref, "when": when})
        return text, (tool, {"task_id": task["id"], "remind_at": when})
    kind = scene.choice(list(P.UPDATE_CLAUSES))
    values = _update_values(scene, ref)
    args: dict[str, Any] = {"task_id": task["id"]}
    if kind == "priority":
        args["priority"] = values["level"]
    elif kind == "due_date":
        args["due_date"] = values["due"]
    elif kind == "title":
        args["title"] = values["new_title"]
    else:
        args["status"] = "in_progress"
    text = fill(scene.choice(P.UPDATE_CLAUSES[kind]), values)
    if scene.chance(0.35):  # a second change to the same task: "..., and push it to Friday"
        extra = scene.choice(
            [k for k in ("priority", "due_date", "title", "status") if k not in args]
        )
        values = _update_values(scene, ref)
        form = scene.choice(P.UPDATE_EXTRAS["in_progress" if extra == "status" else extra])
        if extra == "due_date":
            values["due"] = scene.due(word_before(form, "due"))
        args[extra] = {
            "priority": values["level"],
            "due_date": values["due"],
            "title": values["new_title"],
            "status": "in_progress",
        }[extra]
        text += form.format(**values)
    return text, (tool, args)


def _list_tail(scene: Scene) -> tuple[str, dict[str, Any]]:
    if scene.chance(0.75):
        phrase, args = list_filters(scene, count=scene.choice([1, 2, 2, 3]), finished=False)
        return fill(scene.choice(P.LIST_TAILS_FILTERED), {"tasks": phrase}), args
    return scene.choice(P.LIST_TAILS), {}


_THEN_LIST_WEIGHTS = {
    "complete_task": 30, "delete_task": 22, "update_task": 24, "create_task": 16,
    "create_reminder": 8,
}  # fmt: skip


def _then_list_family(tool: str) -> None:
    @family(f"then_list.{tool}", tool, "list_tasks", weight=_THEN_LIST_WEIGHTS[tool])
    def _(scene: Scene) -> Filled:
        scene.background(1, 3)
        if tool == "create_task":
            clause, args = task_request(
                scene, scene.choice(P.TASK_CLAUSES), rates=CHAIN_TASK_RATES_WITH_PROJECT
            )
            write: tuple[str, dict[str, Any]] = (tool, args)
        else:
            clause, write = _write_by_id(scene, tool)
        tail, filters = _list_tail(scene)
        if filters and scene.chance(0.8):
            seed_matches(scene, filters)
        return Filled(_join(scene, clause, tail), [write, ("list_tasks", filters)], scene)


for _tool in _THEN_LIST_WEIGHTS:
    _then_list_family(_tool)


# --- two or three writes on ids named in the request ---------------------------------------------


def _same_write_on_named(
    scene: Scene, tool: str, two: Sequence[str], three: Sequence[str]
) -> Filled:
    """Two (sometimes three) of the same write, on tasks the request names by id."""
    scene.background(0, 2)
    tasks = [scene.task() for _ in range(3 if scene.chance(0.2) else 2)]
    refs = {"ref": scene.ref(tasks[0]["id"]), "ref2": scene.ref(tasks[1]["id"])}
    if len(tasks) == 3:
        refs["ref3"] = scene.ref(tasks[2]["id"])
        frame = scene.choice(three)
    else:
        frame = scene.choice(two)
    calls = [(tool, {"task_id": t["id"]}) for t in tasks]
    return Filled(fill(frame, refs), calls, scene)


@family("parallel.complete_two", "complete_task", "complete_task", weight=22)
def _(scene: Scene) -> Filled:
    return _same_write_on_named(scene, "complete_task", P.TWO_COMPLETE, P.THREE_COMPLETE)


@family("parallel.delete_two", "delete_task", "delete_task", weight=16)
def _(scene: Scene) -> Filled:
    return _same_write_on_named(scene, "delete_task", P.TWO_DELETE, P.THREE_DELETE)


@family("parallel.mixed_writes", "update_task", "complete_task", weight=32)
def _(scene: Scene) -> Filled:
    scene.background(0, 1)
    tools = ["complete_task", "delete_task", "update_task", "update_task", "create_reminder"]
    count = 3 if scene.chance(0.15) else 2
    picked = [scene.choice(tools) for _ in range(count)]
    if len(set(picked)) == 1 and picked[0] != "update_task":
        picked[-1] = "update_task"
    clauses, calls = [], []
    for tool in picked:
        clause, call = _write_by_id(scene, tool)
        clauses.append(clause)
        calls.append(call)
    return Filled(_join(scene, *clauses), calls, scene)


# --- parallel reads ------------------------------------------------------------------------------


@family("parallel.reads", "list_tasks", "get_calendar", weight=15)
def _(scene: Scene) -> Filled:
    scene.background(1, 3)
    mode = scene.choice(["list_day", "list_day", "two_days", "two_lists", "clauses"])
    if mode == "two_days":
        day, day2 = scene.day(), scene.day()
        while day2 == day:
            day2 = scene.day()
        text = fill(scene.choice(P.TWO_DAYS), {"day": day, "day2": day2})
        _calendar_days(scene, day, 1)
        calls = [("get_calendar", {"date": day}), ("get_calendar", {"date": day2})]
    elif mode == "two_lists":
        phrase, args = list_filters(scene, count=scene.choice([1, 2]))
        phrase2, args2 = list_filters(scene, count=scene.choice([1, 2, 2]))
        while args2 == args:
            phrase2, args2 = list_filters(scene, count=1)
        text = fill(scene.choice(P.TWO_LISTS), {"tasks": phrase, "tasks2": phrase2})
        seed_matches(scene, args)
        calls = [("list_tasks", args), ("list_tasks", args2)]
    else:
        day = scene.day("for")
        phrase, args = list_filters(scene, count=scene.choice([0, 1, 2, 2, 3]))
        if mode == "clauses":
            list_clause = fill(scene.choice(P.LIST_CLAUSES), {"tasks": phrase})
            day_clause = fill(scene.choice(P.CALENDAR_CLAUSES), {"day": day})
            text = _join(scene, list_clause, day_clause)
        else:
            frame = scene.choice(P.LIST_AND_DAY)
            if "{tasks}" not in frame:
                args = {}
            text = fill(frame, {"tasks": phrase, "day": day})
        _calendar_days(scene, day, 1)
        if args:
            seed_matches(scene, args)
        calls = [("list_tasks", args), ("get_calendar", {"date": day})]
        if text.lower().startswith("am i free"):  # the calendar is asked about first
            calls.reverse()
    return Filled(text, calls, scene)


# --- by title: a lookup round, then the write with the id the lookup returned --------------------


def _lookup_scene(scene: Scene, targets: int = 1) -> list[dict[str, Any]]:
    """2-5 tasks in the store, the named ones among them in random places."""
    total = scene.rng.randint(max(2, targets + 1), 5)
    tasks = []
    for _ in range(total):
        extra: dict[str, Any] = {}
        if scene.chance(0.3):
            extra["priority"] = scene.choice(["urgent", "high", "low"])
        tasks.append(scene.task(**extra))
    return scene.rng.sample(tasks, targets)


_LOOKUP_WEIGHTS = {
    "complete_task": 28, "delete_task": 18, "update_task": 30, "create_reminder": 12,
    "complete_task.two": 7, "delete_task.two": 5,
}  # fmt: skip


def _lookup_family(key: str) -> None:
    tool = key.split(".")[0]

    @family(f"lookup.{key}", "list_tasks", tool, kind="multi", weight=_LOOKUP_WEIGHTS[key])
    def _(scene: Scene) -> Filled:
        two = key.endswith(".two")
        targets = _lookup_scene(scene, 2 if two else 1)
        task = targets[0]
        values: dict[str, Any] = {
            "target": scene.target(task),
            "title": task["title"],
            "handle": TITLE_HANDLES[task["title"]],
        }
        if two:
            values["target2"] = scene.target(targets[1])
            frame = scene.choice(P.LOOKUP_FRAMES[key])
            writes = [(tool, {"task_id": t["id"]}) for t in targets]
        elif tool == "update_task":
            kind = scene.choice(["priority", "due_date", "status", "title"])
            frame = scene.choice(P.LOOKUP_FRAMES[f"update_task.{kind}"])
            values |= _update_values(scene, "")
            args: dict[str, Any] = {"task_id": task["id"]}
            if kind == "priority":
                args["priority"] = values["level"]
            elif kind == "due_date":
                args["due_date"] = values["due"]
            elif kind == "status":
                args["status"] = "in_progress"
            else:
                args["title"] = values["new_title"]
            writes = [(tool, args)]
        elif tool == "create_reminder":
            values["when"] = scene.when()
            frame = scene.choice(P.LOOKUP_FRAMES[key])
            writes = [(tool, {"task_id": task["id"], "remind_at": values["when"]})]
        else:
            frame = scene.choice(P.LOOKUP_FRAMES[key])
            writes = [(tool, {"task_id": task["id"]})]
        return Filled(fill(frame, values), [("list_tasks", {}), *writes], scene, first_round=1)


for _key in _LOOKUP_WEIGHTS:
    _lookup_family(_key)


# --- out of scope --------------------------------------------------------------------------------


@family("no_tool.decline")
def _(scene: Scene) -> Filled:
    return Filled(scene.choice(OUT_OF_SCOPE), [], scene)


# --- wrappers: politeness, chat, lowercase, typos ------------------------------------------------


def _protected(filled: Filled) -> list[str]:
    """Text that must stay as written: stated arguments and the titles the request names."""
    texts = [str(v) for _, args in filled.calls for v in args.values() if isinstance(v, str)]
    texts += [str(tag) for _, args in filled.calls for tag in args.get("tags") or []]
    for task in filled.setup.tasks:
        texts += [task["title"], TITLE_HANDLES.get(task["title"], task["title"])]
    return texts


def with_wrapper(filled: Filled, rng: random.Random, rate: float = 0.25) -> Filled:
    """People wrap requests in politeness and chat; the request inside stays the same."""
    if not filled.calls or rng.random() >= rate:
        return filled
    text = filled.text
    if rng.random() < 0.6:
        first = text.split(" ")[0]
        keep = not text[1:2].islower() or any(first in part for part in _protected(filled))
        text = rng.choice(P.PREFIXES) + (text[:1] if keep else text[:1].lower()) + text[1:]
    else:
        text = text.rstrip("?.!") + rng.choice(P.SUFFIXES)
    return Filled(text, filled.calls, filled.setup, filled.first_round)


TYPOS = P.TYPOS
_ID_NEXT = re.compile(r"^(?:#?\d|number$|no\.$|" + "|".join(P.NUMBER_WORDS.values()) + r")", re.I)


def with_typo(filled: Filled, rng: random.Random, rate: float = 0.12) -> Filled:
    """A misspelt word the model must read through; never a word an argument uses."""
    if rng.random() >= rate:
        return filled
    protected = " ".join(_protected(filled)).lower()
    parts = filled.text.split(" ")
    places = [
        (part.lower(), index)
        for index, part in enumerate(parts)
        if part.lower() in TYPOS
        and part.lower() not in protected
        # "task 3" / "task three" is an id: leave it readable
        and not (index + 1 < len(parts) and _ID_NEXT.match(parts[index + 1]))
    ]
    if not places:
        return filled
    word, index = rng.choice(sorted(places))
    parts[index] = TYPOS[word]
    return Filled(" ".join(parts), filled.calls, filled.setup, filled.first_round)


_TEXT_ARGUMENTS = {"title", "name", "description", "message", "due_date", "due_before", "date",
                   "remind_at"}  # fmt: skip


def with_lowercase(filled: Filled, rng: random.Random, rate: float = 0.12) -> Filled:
    """All lowercase, as typed on a phone; stated text arguments follow the text."""
    if not filled.calls or rng.random() >= rate:
        return filled
    calls = [
        (name, {k: v.lower() if k in _TEXT_ARGUMENTS and isinstance(v, str) else v
                for k, v in args.items()})
        for name, args in filled.calls
    ]  # fmt: skip
    return Filled(filled.text.lower(), calls, filled.setup, filled.first_round)
