"""The run context: per-run knobs passed to every node through ``Runtime[Context]``.

A field left unset takes the ``agent`` setting of the same name (:mod:`taskagent.settings`:
``TASKAGENT_<FIELD>``, else ``taskagent.yaml``), so the CLI, REST API, UI and LangGraph
Studio all run the same agent with the same defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from taskagent.settings import TIER_ORDER, get_settings


def _setting(name: str, description: str) -> Any:
    """A field whose default is the ``agent`` setting ``name``, read when a Context is made."""
    return field(
        default_factory=lambda: getattr(get_settings().agent, name),
        metadata={"description": description},
    )


@dataclass(kw_only=True)
class Context:
    """Who the agent acts for, which clock it reads, and how hard it tries."""

    # A user passed explicitly (even one named "local") always wins; only an unset or empty
    # user falls back to TASKAGENT_USER, then to "local".
    user: str = _setting(
        "user", "User every tool call runs as (unset: TASKAGENT_USER, else local)."
    )
    now: str = _setting(
        "now", "ISO datetime that pins the clock (tests, evals); empty = real time."
    )
    tiers: str = _setting("tiers", "Comma-separated tier order: primary, fallback, emergency.")
    history_messages: int = _setting("history_messages", "Earlier messages the planner sees.")
    max_plan_steps: int = _setting("max_plan_steps", "Plan rounds per turn.")
    max_repairs: int = _setting("max_repairs", "Repairs of an invalid tool call.")
    max_message_chars: int = _setting("max_message_chars", "Longest accepted message.")
    arbitration: str = _setting(
        "arbitration",
        "How the planner combines its parts when the rules tier is in the order: "
        "agreement (the rule plan runs when the intent classifier agrees with it, "
        "else the model is asked), rules-first (any whole rule plan runs; the model "
        "is asked where the rules have none) or off (model first, rules on failure).",
    )
    classifier_confidence: float = _setting(
        "classifier_confidence", "Least per-tool certainty for the classifier's vote to count."
    )

    def __post_init__(self) -> None:
        if not self.user:
            self.user = get_settings().agent.user

    def clock(self) -> datetime:
        """The run's 'now': pinned when ``now`` is set, else the wall clock."""
        if self.now:
            try:
                return datetime.fromisoformat(self.now).replace(tzinfo=None)
            except ValueError:
                pass
        return datetime.now().replace(microsecond=0)

    def tier_order(self) -> list[str]:
        names = [name.strip() for name in self.tiers.split(",") if name.strip() in TIER_ORDER]
        return names or ["emergency"]
