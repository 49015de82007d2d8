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


def _module_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (anywhere, TYPE_CHECKING too)."""
    modules: dict[str, Path] = {}
    for package in ("taskagent", "graph", "nodes", "ui", "serving", "training", "evals"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            edges[name] |= {t for t in targets if t in modules and t != name}
    return edges


def test_no_two_modules_import_each_other_round_a_circle() -> None:
    edges = _module_graph()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    circles = sorted(f"{a} -> {b}" for a in edges for b in edges[a] if a < b and reaches(b, a))
    assert circles == []
