"""The import structure of `xunity/`: layers import downwards, nothing in a cycle.

Every import of every module counts, function-level ones included (they
are how a cycle hides); only imports under `if TYPE_CHECKING:` are aside,
since they never run.  docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "xunity"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("ir",),
    ("dialects",),
    ("schedule",),
    ("legalize",),
    ("strategies",),
    ("lowering",),
    ("transforms",),
    ("pipeline",),
    ("backends",),
    ("runtime",),
    ("compile_cache", "api"),
    ("frontends",),
    ("models",),
    ("llm",),
    ("registry", "universe", "tools"),
)
"""Lowest first.  A module may import its own layer and the ones below."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", "")
    return name == "TYPE_CHECKING"


def _imports(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Names of the xunity modules `tree` imports (TYPE_CHECKING blocks aside)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("xunity"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                keep = len(parent) - node.level + (1 if is_package else 0)
                base = ".".join(parent[:keep] + ([base] if base else []))
            if base.startswith("xunity"):
                # `from xunity.x import y` may name a submodule y.
                for alias in node.names:
                    found.add(f"{base}.{alias.name}")
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    """module -> the xunity modules it imports (only ones that exist)."""
    sources = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in sources.items():
        tree = ast.parse(path.read_text(), str(path))
        names = _imports(tree, module, path.name == "__init__.py")
        graph[module] = {n for n in names if n in sources and n != module}
    return graph


def _layer(module: str) -> int | None:
    """The layer of `module`; None for the package face `xunity` itself."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def test_every_module_has_a_layer() -> None:
    for module in _graph():
        _layer(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = []
    for module, imported in sorted(_graph().items()):
        low = _layer(module)
        for target in sorted(imported):
            high = _layer(target)
            if low is not None and high is not None and high > low:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports of a higher layer:\n  " + "\n  ".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycles() -> None:
    # A package's __init__ that re-exports its modules is imported by them
    # only through `from package.module import ...`, which Python resolves
    # after the package itself: such edges are not cycles at run time.
    graph = {
        module: {t for t in targets if not module.startswith(t + ".")}
        for module, targets in _graph().items()
    }
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n  " + "\n  ".join(
        " <-> ".join(cycle) for cycle in cycles
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from xunity.api import compile", {"xunity.api", "xunity.api.compile"}),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from xunity.api import compile",
            set(),
        ),
        ("def f():\n    import xunity.pipeline", {"xunity.pipeline"}),
    ],
)
def test_import_reader(source: str, expected: set[str]) -> None:
    """The reader sees function-level imports and skips TYPE_CHECKING ones."""
    assert _imports(ast.parse(source), "xunity.x", False) == expected
