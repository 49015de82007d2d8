"""Imports point one way: ui/ -> graph/ + nodes/ -> taskagent/ (README, Architecture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# what each layer may not import, anywhere in a file (inside functions too)
FORBIDDEN = {
    "taskagent": ("graph", "nodes", "ui", "serving", "training", "evals"),
    "graph": ("ui", "training", "evals"),
    "nodes": ("ui", "training", "evals"),
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & set(FORBIDDEN[layer]))
        for path in sorted((ROOT / layer).rglob("*.py"))
    }
    assert {path: names for path, names in wrong.items() if names} == {}
