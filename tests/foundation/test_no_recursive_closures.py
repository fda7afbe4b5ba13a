"""The lineage's levels, the packs' requirements and the footprint's shares are walked by module
functions, not closures calling themselves: such a closure holds itself (its cell), a reference
cycle per call for the garbage collector, whose full passes stall a long-lived process."""

from __future__ import annotations

import ast
from pathlib import Path

import territoria
from territoria.catalog.packs import with_requirements
from territoria.core.vocab import AccessLevel
from territoria.footprint.attribution import Graph, shares
from territoria.governance.levels import Node, effective_levels
from territoria.testing.cycles import cyclic_garbage

NODES = {
    "raw": Node(AccessLevel.restricted),
    "communes": Node(AccessLevel.open),
    "model": Node(AccessLevel.open, ("raw", "communes")),
    "indicator": Node(AccessLevel.open, ("model",), secrecy="statistical"),
}


def test_effective_levels_leave_no_reference_cycle() -> None:
    levels = effective_levels(NODES)
    assert levels["model"].effective == AccessLevel.restricted and levels["model"].inherited_from == "raw"
    assert levels["indicator"].effective == AccessLevel.open
    assert cyclic_garbage(lambda: effective_levels(NODES)) == 0


def test_with_requirements_leaves_no_reference_cycle() -> None:
    names = [p.name for p in with_requirements(["energy_ghg"])]
    assert names.index("territory") < names.index("energy_ghg")
    assert cyclic_garbage(lambda: with_requirements(["energy_ghg", "territory"])) == 0


def test_shares_leave_no_reference_cycle() -> None:
    graph = Graph(
        step_inputs={"ingest:a": [], "model:b": ["a"], "model:c": ["a"], "indicator:d": ["b", "c"]},
        producers={"a": "ingest:a", "b": "model:b", "c": "model:c", "d": "indicator:d"},
        sources={"ingest:a": "a"},
        packs={},
    )
    assert shares(graph, "d") == {"indicator:d": 1.0, "model:b": 1.0, "model:c": 1.0, "ingest:a": 1.0}
    assert cyclic_garbage(lambda: shares(graph, "d")) == 0


def test_no_closure_in_the_package_calls_itself() -> None:
    """Any new one (the three above were found this way)."""
    found = []
    for path in Path(territoria.__file__).parent.rglob("*.py"):
        for outer in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            kinds = ast.FunctionDef | ast.AsyncFunctionDef
            inners = [n for n in ast.walk(outer) if n is not outer and isinstance(n, kinds)]
            found += [
                f"{path.name}:{inner.lineno} {outer.name}.{inner.name}"
                for inner in inners
                if any(isinstance(n, ast.Name) and n.id == inner.name for n in ast.walk(inner))
            ]
    assert found == []
