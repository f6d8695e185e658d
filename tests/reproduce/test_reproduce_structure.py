"""The shape of infoplane.reproduce: one module per experiment, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import infoplane.reproduce
from infoplane.reproduce import FULL
from infoplane.reproduce._experiments import EXPERIMENTS, estimators
from infoplane.reproduce._plan import make_plan
from infoplane.reproduce._runs import MAIN

PACKAGE = Path(infoplane.reproduce.__file__).parent
ROOT = "infoplane.reproduce"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([ROOT, *parts])


def _import_graph() -> dict[str, set[str]]:
    """module -> the modules of the package it imports (TYPE_CHECKING imports too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                for alias in node.names:  # "from pkg import submodule" imports the submodule
                    sub = f"{node.module}.{alias.name}"
                    edges.add(sub if sub in modules else node.module)
        graph[name] = edges - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_in_the_package():
    # was: _display imported ReproduceResult from _reproduce, which imported _display
    graph = _import_graph()
    assert f"{ROOT}._experiments.ib" in graph and f"{ROOT}._reproduce" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_each_experiment_in_one_module():
    keys = [e.KEY for e in EXPERIMENTS]
    assert keys == ["claim1", "claim2", "claim3", "claim4", "relu", "estimators"]
    for experiment in EXPERIMENTS:
        for attribute in ("runs", "measure", "section"):
            assert callable(getattr(experiment, attribute)), (experiment.__name__, attribute)
        assert experiment.__name__.startswith(f"{ROOT}._experiments.")


def test_the_plan_makes_a_shared_run_once_and_the_critique_on_every_seed():
    plan = make_plan(FULL)
    keys = [r.key for r in plan.runs]
    assert len(keys) == len(set(keys)) and MAIN in keys
    assert "depth-5" not in keys  # the main run is the 5-hidden-layer network
    if estimators.present():
        critique = plan.spec("estimators").config
        assert critique.seeds == plan.spec(MAIN).config.seeds == 50
        assert critique.log_epochs == FULL.critique_log_epochs
        # the stated budget: kde + noisy within ~15 min of the ~30 min report
        assert 5 * 60 < estimators.estimated_seconds(FULL) <= 15 * 60
