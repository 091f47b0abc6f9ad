"""The import contract of lab/: arrows point one way.

Every import statement in lab/ counts, wherever it stands (at the top, inside a function, under
`if TYPE_CHECKING:`), because a late or type-only import that closes a circle is still a circle:
the two modules cannot be understood, tested or moved apart. And no module imports another's
private name (a leading underscore): what a module offers others is its public names.

Two arrows no import statement shows count too. Importing `a.b.c` from outside the package `a.b`
runs `a/b/__init__.py` first, so the importer depends on each package it enters. And the component
registry imports every module of its package by discovery (importlib), so it depends on them all:
a part a kind is built on that entered the kinds' package through an `__init__` that discovered
them would be a circle that works only while something else happens to import the kinds first.

The graph is read from the source with `ast` (decision 44 says why not a library)."""
from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lab"
# Modules that import every module of a package by discovery, and that package.
DISCOVERS = {"lab.sim.components.registry": "lab.sim.components"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def _imports(name: str, path: Path, known: set[str]) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                # `from package import module` is an arrow to the module itself.
                found.append((sub, "", node.lineno) if sub in known else (target, alias.name, node.lineno))
    return found


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    private: list[str] = []
    for name, path in modules.items():
        for target, imported, line in _imports(name, path, known):
            if target in known and target != name:
                graph[name].add(target)
                graph[name].update(_packages_entered(name, target, known))
                if imported.startswith("_") and not imported.startswith("__"):
                    private.append(f"{path.relative_to(ROOT)}:{line} imports {imported} from {target}")
    for name, package in DISCOVERS.items():
        graph[name].update(m for m in known if m.rpartition(".")[0] == package and m != name)
    return graph, private


def _packages_entered(importer: str, target: str, known: set[str]) -> set[str]:
    """The packages whose `__init__` importing `target` runs: its enclosing packages that do not
    enclose the importer (those are already running)."""
    parts = target.split(".")
    enclosing = (".".join(parts[:i]) for i in range(1, len(parts)))
    return {p for p in enclosing if p in known and not (importer == p or importer.startswith(p + "."))}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_no_module_in_lab_takes_part_in_an_import_circle():
    graph, _ = _graph()
    circles = _circles(graph)
    assert not circles, "import circles (late and type-only imports count):\n" + "\n".join(
        " <-> ".join(c) for c in circles)
    TopologicalSorter(graph).prepare()  # the same, said by the standard library: no CycleError


def test_no_module_imports_another_modules_private_name():
    _, private = _graph()
    assert not private, "private names imported across modules:\n" + "\n".join(private)


def test_the_registry_is_the_only_module_that_discovers_modules():
    # DISCOVERS must name every module that imports by discovery, or its arrows go unseen.
    found = {name for name, path in _modules().items()
             if "iter_modules" in path.read_text() and "import_module" in path.read_text()}
    assert found == set(DISCOVERS)


def test_entering_a_package_from_outside_is_an_arrow_to_its_init():
    known = {"lab", "lab.sim", "lab.sim.components", "lab.sim.components.base", "lab.sim.parts.remote"}
    assert _packages_entered("lab.sim.parts.remote", "lab.sim.components.base", known) == {"lab.sim.components"}
    assert _packages_entered("lab.sim.components.cache", "lab.sim.components.base", known) == set()


def test_the_checker_finds_a_circle_and_a_private_import(tmp_path):
    # The contract must be able to fail: a two-module circle and a private import are caught.
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert _circles(graph) == [["a", "b"]]
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        pass
    else:
        raise AssertionError("graphlib accepted a circle")
    source = tmp_path / "m.py"
    source.write_text("from .other import _hidden, shown\nimport os\n")
    found = _imports("lab.x.m", source, {"lab.x.other"})
    assert ("lab.x.other", "_hidden", 1) in found and ("os", "", 2) in found
