"""Template families for the training and dev data: phrasings × slots × entities.

A family is one way of asking for something ("create_task.need_to": "I need to
{title} {when}"). Each family has several paraphrases and builds the expected
calls from the slots it filled. Every family trains: the dev eval set is written by
hand, apart from these templates, and ``training.data.leakage`` fails the build if
one of its inputs (normalised) shows up here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TITLES = [
    "review the Q4 budget",
    "call the plumber",
    "renew my passport",
    "book flights to Lisbon",
    "draft the roadmap",
    "pay the electricity bill",
    "prepare slides for Monday",
    "water the plants",
    "update the onboarding doc",
    "fix the login bug",
    "send the invoice to Acme",
    "clean the garage",
    "buy a birthday gift for Sam",
    "schedule a dentist appointment",
    "write the quarterly report",
    "back up the laptop",
    "order new printer ink",
    "reply to the landlord",
    "plan the team offsite",
    "file the tax return",
    "review pull request 42",
    "call mom",
    "cancel the gym membership",
    "submit the expense report",
    "organize the shared drive",
    "prepare the budget proposal",
    "interview the design candidate",
    "renew the car insurance",
    "update the website copy",
    "read the security audit",
    "book a table for Friday dinner",
    "pick up the dry cleaning",
    "migrate the database",
    "write release notes",
    "check the smoke alarms",
    "email the contractor",
    "research CRM tools",
    "finish the online course",
    "sort the receipts",
    "test the backup restore",
]
PROJECTS = [
    "Q1 Goals",
    "Website Redesign",
    "Home Renovation",
    "Hiring",
    "Product Launch",
    "Taxes 2026",
    "Onboarding",
    "Wedding",
    "Marketing Push",
    "Infrastructure",
    "Kitchen Remodel",
    "Garden",
]
TAGS = [
    "finance",
    "work",
    "home",
    "urgent-ish",
    "health",
    "admin",
    "travel",
    "family",
    "dev",
    "errands",
]
DAY_EXPRESSIONS = [
    "today",
    "tomorrow",
    "Friday",
    "next Monday",
    "in two days",
    "in 3 days",
    "next week",
    "end of the week",
    "on Wednesday",
    "next Thursday",
    "in a week",
    "Dec 1st",
    "March 15",
]
TIMES = ["9am", "10:30am", "noon", "3pm", "5pm", "8am", "6:30pm"]
PRIORITY_WORDS = {
    "urgent": ["urgent", "super urgent", "ASAP"],
    "high": ["high-priority", "important", "high priority"],
    "low": ["low-priority", "low priority", "whenever"],
    "normal": ["normal-priority"],
}
OUT_OF_SCOPE = [
    "What's the weather in Paris?",
    "Write me a poem about the sea",
    "Who won the football game last night?",
    "Translate 'good morning' into Japanese",
    "What is the capital of Australia?",
    "Tell me a joke",
    "How do I bake sourdough bread?",
    "Explain quantum computing simply",
    "What's 17 times 23?",
    "Recommend a good sci-fi movie",
    "How tall is Mount Everest?",
    "Convert 100 dollars to euros",
    "Summarize the plot of Hamlet",
    "What time is it in Tokyo?",
    "Give me a workout plan",
    "Why is the sky blue?",
    "Can you help me debug this Python error?",
    "Any tips for staying focused while studying?",
    "What's the difference between a task and a project in Scrum?",
    "hi, how are you today?",
    "Who painted the Mona Lisa?",
    "Write a limerick about a cat",
    "How many calories are in an apple?",
]


def id_spelling(task_id: int, rng: random.Random) -> str:
    """12, #12, task 12 and TASK-0012 all mean task 12."""
    return rng.choice(
        [f"task {task_id}", f"#{task_id}", f"task #{task_id}", f"TASK-{task_id:04d}", f"{task_id}"]
    )


@dataclass
class Filled:
    """A phrased request and the calls it should produce (arguments before normalisation)."""

    text: str
    calls: list[tuple[str, dict[str, Any]]]
    setup: list[tuple[str, dict[str, Any]]]
    # >0: the first N calls are a round of their own (a lookup); the model sees their
    # results before it makes the rest, as the graph's second plan round does.
    first_round: int = 0


Builder = Callable[[random.Random], Filled]


@dataclass(frozen=True)
class Family:
    name: str
    tools: tuple[str, ...]
    build: Builder


FAMILIES: list[Family] = []


def family(name: str, *tools: str) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        FAMILIES.append(Family(name, tools, build))
        return build

    return register


def _existing(rng: random.Random, count: int = 3) -> list[tuple[str, dict[str, Any]]]:
    return [("create_task", {"title": t}) for t in rng.sample(TITLES, count)]


def _pick_priority(rng: random.Random) -> tuple[str, str]:
    level = rng.choice(["urgent", "high", "low"])
    return level, rng.choice(PRIORITY_WORDS[level])


# --- create_task ----------------------------------------------------------------------------


@family("create_task.imperative", "create_task")
def _(rng: random.Random) -> Filled:
    title, day = rng.choice(TITLES), rng.choice(DAY_EXPRESSIONS)
    level, word = _pick_priority(rng)
    text = rng.choice(
        [
            f"Create a {word} task to {title} due {day}",
            f"Add a {word} task: {title}, due {day}",
            f"Make a {word} task to {title} by {day}",
        ]
    )
    return Filled(text, [("create_task", {"title": title, "priority": level, "due_date": day})], [])


@family("create_task.need_to", "create_task")
def _(rng: random.Random) -> Filled:
    title, day = rng.choice(TITLES), rng.choice(DAY_EXPRESSIONS)
    text = rng.choice(
        [
            f"I need to {title} {day}",
            f"remember to {title} {day}",
            f"gotta {title} {day}",
            f"don't let me forget to {title} {day}",
        ]
    )
    return Filled(text, [("create_task", {"title": title, "due_date": day})], [])


@family("create_task.terse", "create_task")
def _(rng: random.Random) -> Filled:
    title = rng.choice(TITLES)
    tag = rng.choice(TAGS)
    text = rng.choice(
        [f"todo: {title}", f"new task {title} tagged {tag}", f"add {title} to my list"]
    )
    args: dict[str, Any] = {"title": title}
    if "tagged" in text:
        args["tags"] = [tag]
    return Filled(text, [("create_task", args)], [])


@family("create_task.quoted", "create_task")
def _(rng: random.Random) -> Filled:
    title, day = rng.choice(TITLES), rng.choice(DAY_EXPRESSIONS)
    level, word = _pick_priority(rng)
    text = f"Please add a task called '{title.capitalize()}', {word}, due {day}"
    return Filled(
        text,
        [("create_task", {"title": title.capitalize(), "priority": level, "due_date": day})],
        [],
    )


# --- list_tasks -----------------------------------------------------------------------------


@family("list_tasks.show", "list_tasks")
def _(rng: random.Random) -> Filled:
    text = rng.choice(
        [
            "show my tasks",
            "list my tasks",
            "what's on my plate?",
            "what do I have to do?",
            "show me everything I still need to do",
            "my todo list please",
            "what's left on my list?",
            "anything outstanding?",
            "give me a rundown of my tasks",
            "what have I got left to do",
            "pull up my to-dos",
        ]
    )
    return Filled(text, [("list_tasks", {})], _existing(rng))


@family("list_tasks.filtered", "list_tasks")
def _(rng: random.Random) -> Filled:
    status = rng.choice(["completed", "in_progress", "pending"])
    word = {
        "completed": rng.choice(["completed", "finished", "done"]),
        "in_progress": rng.choice(["in-progress", "started"]),
        "pending": rng.choice(["pending", "open"]),
    }[status]
    text = rng.choice([f"list my {word} tasks", f"which tasks are {word}?", f"show {word} tasks"])
    return Filled(text, [("list_tasks", {"status": status})], _existing(rng))


@family("list_tasks.priority", "list_tasks")
def _(rng: random.Random) -> Filled:
    level = rng.choice(["urgent", "high", "low"])
    text = rng.choice(
        [f"show my {level} priority tasks", f"any {level} tasks?", f"list {level}-priority items"]
    )
    return Filled(text, [("list_tasks", {"priority": level})], _existing(rng))


# --- update_task ----------------------------------------------------------------------------


@family("update_task.priority", "update_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    level, _word = _pick_priority(rng)
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"make {ref} {level}",
            f"set the priority of {ref} to {level}",
            f"bump {ref} to {level}",
            f"{ref} is {level} now",
            f"flag {ref} as {level}",
            f"change {ref} to {level} priority",
        ]
    )
    return Filled(text, [("update_task", {"task_id": task_id, "priority": level})], setup)


@family("update_task.due", "update_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id, day = rng.randint(1, len(setup)), rng.choice(DAY_EXPRESSIONS)
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"move {ref} to {day}",
            f"push {ref} back to {day}",
            f"reschedule {ref} for {day}",
            f"{ref} should be due {day}",
            f"change the deadline on {ref} to {day}",
            f"can {ref} wait until {day}?",
        ]
    )
    return Filled(text, [("update_task", {"task_id": task_id, "due_date": day})], setup)


@family("update_task.started", "update_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"I've started {ref}",
            f"I'm working on {ref} now",
            f"mark {ref} as in progress",
            f"I began {ref} this morning",
        ]
    )
    return Filled(text, [("update_task", {"task_id": task_id, "status": "in_progress"})], setup)


@family("update_task.rename", "update_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id, title = rng.randint(1, len(setup)), rng.choice(TITLES)
    ref = id_spelling(task_id, rng)
    text = rng.choice([f"rename {ref} to {title}", f"change the title of {ref} to '{title}'"])
    return Filled(text, [("update_task", {"task_id": task_id, "title": title})], setup)


# --- complete_task / delete_task ------------------------------------------------------------


@family("complete_task.done", "complete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"mark {ref} as done",
            f"{ref} is done",
            f"I finished {ref}",
            f"complete {ref}",
            f"check off {ref}",
            f"tick off {ref}",
            f"knocked out {ref}",
        ]
    )
    return Filled(text, [("complete_task", {"task_id": task_id})], setup)


@family("complete_task.casual", "complete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [f"done with {ref}", f"wrapped up {ref}, close it", f"{ref} can be closed out"]
    )
    return Filled(text, [("complete_task", {"task_id": task_id})], setup)


@family("delete_task.remove", "delete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"delete {ref}",
            f"remove {ref}",
            f"get rid of {ref}",
            f"trash {ref}",
            f"drop {ref}",
            f"bin {ref}, I don't need it",
            f"{ref} is no longer needed, delete it",
            f"wipe {ref} off the list",
        ]
    )
    return Filled(text, [("delete_task", {"task_id": task_id})], setup)


@family("delete_task.polite", "delete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [f"please delete {ref}, it's not needed anymore", f"can you remove {ref} from my list?"]
    )
    return Filled(text, [("delete_task", {"task_id": task_id})], setup)


# --- create_project / get_calendar / create_reminder ----------------------------------------


@family("create_project.new", "create_project")
def _(rng: random.Random) -> Filled:
    name = rng.choice(PROJECTS)
    text = rng.choice(
        [
            f"Create a project {name}",
            f"start a new project called {name}",
            f"new project: {name}",
            f"set up a project named '{name}'",
        ]
    )
    return Filled(text, [("create_project", {"name": name})], [])


@family("get_calendar.day", "get_calendar")
def _(rng: random.Random) -> Filled:
    day = rng.choice(["today", "tomorrow", "Friday", "next Monday"])
    text = rng.choice(
        [
            f"what's on my calendar {day}?",
            f"show my agenda for {day}",
            f"am I free {day}?",
            f"what do I have {day}?",
            f"how busy am I {day}?",
            f"what's my schedule like {day}?",
            f"check my appointments for {day}",
        ]
    )
    return Filled(text, [("get_calendar", {"date": day})], [])


@family("get_calendar.now", "get_calendar")
def _(rng: random.Random) -> Filled:
    text = rng.choice(
        ["show my calendar", "what's on my agenda?", "any meetings today?", "my schedule please"]
    )
    return Filled(text, [("get_calendar", {})], [])


@family("create_reminder.about", "create_reminder")
def _(rng: random.Random) -> Filled:
    title, day, at = (
        rng.choice(TITLES),
        rng.choice(["tomorrow", "Friday", "next Monday"]),
        rng.choice(TIMES),
    )
    text = rng.choice(
        [
            f"remind me {day} at {at} to {title}",
            f"ping me {day} at {at} about {title}",
            f"set a reminder for {day} at {at}: {title}",
            f"give me a nudge {day} at {at} to {title}",
            f"alert me at {at} {day} so I {title}",
            f"{day} at {at}, remind me: {title}",
        ]
    )
    return Filled(
        text, [("create_reminder", {"remind_at": f"{day} at {at}", "message": title})], []
    )


@family("create_reminder.task", "create_reminder")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id, day, at = (
        rng.randint(1, len(setup)),
        rng.choice(["tomorrow", "Friday"]),
        rng.choice(TIMES),
    )
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [f"remind me about {ref} {day} at {at}", f"set a reminder for {ref} on {day} at {at}"]
    )
    return Filled(
        text, [("create_reminder", {"task_id": task_id, "remind_at": f"{day} at {at}"})], setup
    )


# --- chains and parallel calls --------------------------------------------------------------


@family("chain.project_task", "create_project", "create_task")
def _(rng: random.Random) -> Filled:
    name, title, day = rng.choice(PROJECTS), rng.choice(TITLES), rng.choice(DAY_EXPRESSIONS)
    text = rng.choice(
        [
            f"Create a project {name} and add a task to {title} due {day}",
            f"start project {name}, then add a task to {title} by {day}",
        ]
    )
    return Filled(
        text,
        [
            ("create_project", {"name": name}),
            ("create_task", {"title": title, "due_date": day, "project_id": "$0"}),
        ],
        [],
    )


@family("chain.task_reminder", "create_task", "create_reminder")
def _(rng: random.Random) -> Filled:
    title, at = rng.choice(TITLES), rng.choice(TIMES)
    text = rng.choice(
        [
            f"add a task to {title} and remind me about it tomorrow at {at}",
            f"create a task to {title}, then set a reminder for it tomorrow at {at}",
        ]
    )
    return Filled(
        text,
        [
            ("create_task", {"title": title}),
            ("create_reminder", {"task_id": "$0", "remind_at": f"tomorrow at {at}"}),
        ],
        [],
    )


@family("parallel.complete_two", "complete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng, 4)
    first, second = rng.sample(range(1, 5), 2)
    text = rng.choice(
        [
            f"mark {id_spelling(first, rng)} and {id_spelling(second, rng)} as done",
            f"I finished {id_spelling(first, rng)} and {id_spelling(second, rng)}",
        ]
    )
    return Filled(
        text, [("complete_task", {"task_id": first}), ("complete_task", {"task_id": second})], setup
    )


@family("parallel.create_list", "create_task", "list_tasks")
def _(rng: random.Random) -> Filled:
    title = rng.choice(TITLES)
    text = rng.choice(
        [
            f"add a task to {title} and then show my tasks",
            f"create a task to {title}, then list everything",
        ]
    )
    return Filled(text, [("create_task", {"title": title}), ("list_tasks", {})], _existing(rng, 2))


# --- idioms, plain statements, chains out of verb order (what a quick LoRA still missed) --


@family("list_tasks.idiom", "list_tasks")
def _(rng: random.Random) -> Filled:
    text = rng.choice(
        [
            "what's left?",
            "anything due?",
            "what's outstanding?",
            "where am I at with my todos?",
            "gimme my list",
            "what needs doing?",
            "catch me up on my tasks",
        ]
    )
    return Filled(text, [("list_tasks", {})], _existing(rng))


@family("complete_task.idiom", "complete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"cross off {ref}",
            f"{ref} is finished",
            f"got {ref} done",
            f"{ref}: done!",
            f"nailed {ref}",
            f"{ref} is taken care of",
        ]
    )
    return Filled(text, [("complete_task", {"task_id": task_id})], setup)


@family("delete_task.idiom", "delete_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"scrap {ref}",
            f"nuke {ref}",
            f"forget about {ref}, delete it",
            f"kill {ref}",
            f"{ref} isn't happening, remove it",
        ]
    )
    return Filled(text, [("delete_task", {"task_id": task_id})], setup)


@family("update_task.statement", "update_task")
def _(rng: random.Random) -> Filled:
    setup = _existing(rng)
    task_id = rng.randint(1, len(setup))
    ref = id_spelling(task_id, rng)
    text = rng.choice(
        [
            f"I've begun {ref}",
            f"{ref} is underway",
            f"started on {ref} yesterday",
            f"{ref} is in progress now",
        ]
    )
    return Filled(text, [("update_task", {"task_id": task_id, "status": "in_progress"})], setup)


@family("chain.project_after_verb", "create_project", "create_task")
def _(rng: random.Random) -> Filled:
    name, title = rng.choice(PROJECTS), rng.choice(TITLES)
    text = rng.choice(
        [
            f"add a task to {title} under a new project called {name}",
            f"put {title} in a new project {name}",
        ]
    )
    return Filled(
        text,
        [("create_project", {"name": name}), ("create_task", {"title": title, "project_id": "$0"})],
        [],
    )


@family("chain.reminder_first", "create_task", "create_reminder")
def _(rng: random.Random) -> Filled:
    title, at = rng.choice(TITLES), rng.choice(TIMES)
    text = f"remind me tomorrow at {at} about a new task: {title}"
    return Filled(
        text,
        [
            ("create_task", {"title": title}),
            ("create_reminder", {"task_id": "$0", "remind_at": f"tomorrow at {at}"}),
        ],
        [],
    )


# --- by title: a lookup round, then the write with the id the lookup returned -----------------


def _by_title(rng: random.Random) -> tuple[list[tuple[str, dict[str, Any]]], int, str]:
    setup = _existing(rng, rng.randint(2, 4))
    task_id = rng.randint(1, len(setup))
    return setup, task_id, str(setup[task_id - 1][1]["title"])


@family("lookup.complete", "list_tasks", "complete_task")
def _(rng: random.Random) -> Filled:
    setup, task_id, title = _by_title(rng)
    text = rng.choice(
        [
            f"mark the {title} task as done",
            f"I finally managed to {title}",
            f"{title}: done",
            f"finished the one about {title}",
            f"close out '{title}'",
        ]
    )
    calls = [("list_tasks", {}), ("complete_task", {"task_id": task_id})]
    return Filled(text, calls, setup, first_round=1)


@family("lookup.delete", "list_tasks", "delete_task")
def _(rng: random.Random) -> Filled:
    setup, task_id, title = _by_title(rng)
    text = rng.choice(
        [
            f"delete the {title} task",
            f"remove '{title}' from my list",
            f"I don't need to {title} anymore, delete it",
            f"get rid of the task to {title}",
        ]
    )
    calls = [("list_tasks", {}), ("delete_task", {"task_id": task_id})]
    return Filled(text, calls, setup, first_round=1)


@family("lookup.update", "list_tasks", "update_task")
def _(rng: random.Random) -> Filled:
    setup, task_id, title = _by_title(rng)
    if rng.random() < 0.5:
        level, word = _pick_priority(rng)
        text = rng.choice([f"make the {title} task {word}", f"'{title}' is {word} now"])
        change: dict[str, Any] = {"priority": level}
    else:
        day = rng.choice(DAY_EXPRESSIONS)
        text = rng.choice([f"move the {title} task to {day}", f"push '{title}' to {day}"])
        change = {"due_date": day}
    calls = [("list_tasks", {}), ("update_task", {"task_id": task_id, **change})]
    return Filled(text, calls, setup, first_round=1)


# People wrap requests in politeness and chat; the request inside stays the same.
PREFIXES = ["could you ", "can you ", "please ", "pls ", "hey, ", "quick one: ", "ok so ",
            "would you mind: ", "hi! ", "can u "]  # fmt: skip
SUFFIXES = [" please", " thanks", " for me", " pls", "!", " thank you", " when you can"]


def with_wrapper(filled: Filled, rng: random.Random, rate: float = 0.3) -> Filled:
    if not filled.calls or rng.random() >= rate:
        return filled
    text = filled.text
    if rng.random() < 0.6:
        text = rng.choice(PREFIXES) + text[:1].lower() + text[1:]
    else:
        text = text.rstrip("?.!") + rng.choice(SUFFIXES)
    return Filled(text, filled.calls, filled.setup, filled.first_round)


# Common typos: the model must read through them. Applied only to words no argument uses.
TYPOS = {
    "create": "crate",
    "remind": "remnd",
    "delete": "delte",
    "please": "plese",
    "task": "taks",
    "tomorrow": "tomorow",
    "complete": "compelte",
    "show": "shwo",
    "reminder": "reminer",
}


def with_typo(filled: Filled, rng: random.Random, rate: float = 0.12) -> Filled:
    if rng.random() >= rate:
        return filled
    argument_text = " ".join(str(v).lower() for _, args in filled.calls for v in args.values())
    words = [w for w in TYPOS if w in filled.text.lower().split() and w not in argument_text]
    if not words:
        return filled
    word = rng.choice(words)
    parts = filled.text.split(" ")
    index = next(i for i, part in enumerate(parts) if part.lower() == word)
    parts[index] = TYPOS[word]
    return Filled(" ".join(parts), filled.calls, filled.setup, filled.first_round)


# --- out of scope ---------------------------------------------------------------------------


@family("no_tool.general")
def _(rng: random.Random) -> Filled:
    return Filled(rng.choice(OUT_OF_SCOPE[:10]), [], [])


@family("no_tool.more")
def _(rng: random.Random) -> Filled:
    return Filled(rng.choice(OUT_OF_SCOPE[10:]), [], [])
