"""Catch eval inputs that are copies, or near copies, of training messages.

A dev case whose input the model has already been trained on measures memory, not
skill. This module compares every eval input with every user message in the
training data after :func:`normalise`, which erases the differences that do not
make a sentence new: case, punctuation, spacing, quote styles, and the particular
numbers, ids, dates, times, weekdays and months in it ("mark #3 as done" and "Mark
TASK-0007 as done!" are the same request). Two kinds of leak are reported:

* ``exact``: the normalised texts are equal;
* ``near``: the token sets overlap with a Jaccard similarity at or above the
  threshold (0.9 by default), which catches reordered words and one-word edits
  in longer sentences.

    python -m training.data.leakage --cases evals/cases/dev.jsonl

prints each leak and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
REPO_ROOT = DATA_DIR.parents[1]
TRAINING_FILES = (DATA_DIR / "train.jsonl", DATA_DIR / "val.jsonl")
DEFAULT_CASES = REPO_ROOT / "evals" / "cases" / "dev.jsonl"
DEFAULT_THRESHOLD = 0.9

_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|thurs|weds"
_MONTHS = (
    "january|february|march|april|june|july|august|september|october|november|december|"
    "jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "`": "'", "–": "-", "—": "-"})
_STEPS: list[tuple[re.Pattern[str], str]] = [
    # ISO dates and datetimes, then clock times, before digits are folded
    (re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?)?\b"), " 0 "),
    (re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)"), " 0 "),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), " 0 "),
    (re.compile(r"\b\d+(?:st|nd|rd|th)\b"), " 0 "),
    (re.compile(r"\d+"), "0"),  # any other run of digits: ids, amounts, years
    (re.compile(rf"\b(?:{_WEEKDAYS})\b"), " weekday "),
    (re.compile(rf"\b(?:{_MONTHS})\b"), " month "),
    (re.compile(r"'"), ""),  # what's -> whats, don't -> dont
    (re.compile(r"[^\w\s]|_"), " "),  # every other punctuation mark splits words
    (re.compile(r"\btask\s+0\b"), "0"),  # "task 12", "TASK-0012", "#12" are one id
    (re.compile(r"\s+"), " "),
]


def normalise(text: str) -> str:
    """Lowercase, fold quotes/numbers/dates/weekdays/months, strip punctuation and spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    for pattern, replacement in _STEPS:
        text = pattern.sub(replacement, text)
    return text.strip()


def tokens(text: str) -> frozenset[str]:
    """The set of words in the normalised text."""
    return frozenset(normalise(text).split())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Leak:
    """One eval input that matches one training message."""

    case_id: str
    eval_text: str
    training_text: str
    kind: str  # "exact" or "near"
    similarity: float

    def __str__(self) -> str:
        return (
            f"{self.case_id}: {self.kind} ({self.similarity:.2f}) "
            f"{self.eval_text!r} ~ training {self.training_text!r}"
        )


def find_leaks(
    eval_inputs: Mapping[str, str] | Sequence[str],
    training_texts: Iterable[str],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Leak]:
    """Every (eval input, training message) pair that is an exact or near copy.

    ``eval_inputs`` maps case ids to inputs, or is a plain list (ids are then the
    list positions). Each eval input is reported once per distinct training text it
    matches, exact matches first.
    """
    items = (
        list(eval_inputs.items())
        if isinstance(eval_inputs, Mapping)
        else [(str(i), text) for i, text in enumerate(eval_inputs)]
    )
    training: dict[str, str] = {}  # normalised -> one original spelling
    for text in training_texts:
        training.setdefault(normalise(text), text)
    training_tokens = [(frozenset(norm.split()), original) for norm, original in training.items()]
    leaks: list[Leak] = []
    for case_id, text in items:
        norm = normalise(text)
        if norm in training:
            leaks.append(Leak(case_id, text, training[norm], "exact", 1.0))
            continue
        mine = frozenset(norm.split())
        for theirs, original in training_tokens:
            score = jaccard(mine, theirs)
            if score >= threshold:
                leaks.append(Leak(case_id, text, original, "near", score))
    return leaks


def training_user_messages(paths: Iterable[Path] = TRAINING_FILES) -> list[str]:
    """The user turns of every conversation in the training JSONL files."""
    messages = []
    for path in paths:
        for line in path.read_text().splitlines():
            if line.strip():
                for message in json.loads(line).get("messages", []):
                    if message.get("role") == "user" and isinstance(message.get("content"), str):
                        messages.append(message["content"])
    return messages


def eval_inputs(path: Path) -> dict[str, str]:
    """Case id -> input for an eval cases JSONL file."""
    inputs = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            inputs[str(case.get("id", f"{path.name}:{number}"))] = case["input"]
    return inputs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Find eval inputs copied from training data.")
    parser.add_argument("--cases", type=Path, action="append", help="eval cases JSONL (repeatable)")
    parser.add_argument(
        "--training", type=Path, action="append", help="training JSONL (default: train+val)"
    )
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    training = training_user_messages(args.training or TRAINING_FILES)
    found = 0
    for path in args.cases or [DEFAULT_CASES]:
        inputs = eval_inputs(path)
        leaks = find_leaks(inputs, training, args.threshold)
        for leak in leaks:
            print(f"LEAK {path.name} {leak}")
        print(
            f"{path}: {len(inputs)} inputs vs {len(training)} training messages "
            f"(Jaccard >= {args.threshold}): {len(leaks)} leak(s)"
        )
        found += len(leaks)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
