"""The run context: per-run knobs passed to every node through ``Runtime[Context]``.

Each field falls back to an environment variable ``TASKAGENT_<FIELD>`` and then to
``taskagent.yaml``'s ``agent`` section, so the CLI, REST API, UI and LangGraph
Studio all run the same agent with the same defaults.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from graph.config import TIER_ORDER, load_settings

# The longest message a turn accepts (classify's check). Adapters that save history (REST,
# MCP) refuse longer messages up front, so an oversized one never reaches a checkpoint.
MAX_MESSAGE_CHARS = 4000

# Who a run acts for when no user is given and TASKAGENT_USER is unset.
DEFAULT_USER = "local"


@dataclass(kw_only=True)
class Context:
    """Who the agent acts for, which clock it reads, and how hard it tries."""

    # Empty means "not given": a user passed explicitly (even one named "local") always
    # wins; only an unset user falls back to TASKAGENT_USER, then to "local".
    user: str = field(
        default="",
        metadata={
            "description": "User every tool call runs as (unset: TASKAGENT_USER, else local)."
        },
    )
    now: str = field(
        default="",
        metadata={
            "description": "ISO datetime that pins the clock (tests, evals); empty = real time."
        },
    )
    tiers: str = field(
        default=",".join(TIER_ORDER),
        metadata={"description": "Comma-separated tier order: primary, fallback, emergency."},
    )
    history_messages: int = field(
        default=4, metadata={"description": "Earlier messages the planner sees."}
    )
    max_plan_steps: int = field(default=3, metadata={"description": "Plan rounds per turn."})
    max_repairs: int = field(
        default=1, metadata={"description": "Repairs of an invalid tool call."}
    )
    max_message_chars: int = field(
        default=MAX_MESSAGE_CHARS, metadata={"description": "Longest accepted message."}
    )
    arbitration: str = field(
        default="rules-first",  # chosen on dev: docs/model.md, the ablation
        metadata={
            "description": (
                "How the planner combines its parts when the rules tier is in the order: "
                "agreement (the rule plan runs when the intent classifier agrees with it, "
                "else the model is asked), rules-first (any whole rule plan runs; the model "
                "is asked where the rules have none) or off (model first, rules on failure)."
            )
        },
    )
    classifier_confidence: float = field(
        default=0.8,
        metadata={"description": "Least per-tool certainty for the classifier's vote to count."},
    )

    def __post_init__(self) -> None:
        """Fill fields left at their default from the environment, then the config file.

        ``user``'s default is the empty "not given", so an explicit user is never replaced.
        """
        agent_defaults = load_settings().agent
        for f in fields(self):
            if getattr(self, f.name) != f.default:
                continue
            raw: Any = os.environ.get(f"TASKAGENT_{f.name.upper()}", agent_defaults.get(f.name))
            if raw is None or raw == "":
                continue
            cast = type(getattr(self, f.name))
            with contextlib.suppress(
                TypeError, ValueError
            ):  # a malformed override keeps the default
                setattr(self, f.name, cast(raw))
        if not self.user:
            self.user = DEFAULT_USER

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
