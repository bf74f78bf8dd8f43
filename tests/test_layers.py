"""The import graph of textmad/, read with `ast` (imports inside functions included): no circles, and no
import up a layer. The layer table is written once, here (DESIGN.md draws it)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "textmad"

# Lowest first. A module belongs to the layer of the longest prefix that names it ("textmad.corpus"
# covers textmad.corpus.*). A module may import its own layer (without circles) and any lower one.
LAYERS = [
    ("base", ["textmad.errors", "textmad.io", "textmad.text", "textmad.stats", "textmad.progress", "textmad.modes",
              "textmad.evaluate.registry"]),  # the metric registry sits at the bottom: no dependencies
    ("layout", ["textmad.rundir"]),
    ("recipe", ["textmad.recipe"]),
    ("stages", ["textmad.corpus", "textmad.mix", "textmad.model", "textmad.train", "textmad.generate",
                "textmad.evaluate", "textmad.watermark", "textmad.budget", "textmad.cards"]),
    ("orchestrators", ["textmad.loop", "textmad.seeds", "textmad.sweep", "textmad.export", "textmad.provenance"]),
    ("views", ["textmad.report"]),
    ("commands", ["textmad.commands", "textmad.evaluate.cli", "textmad.corpus.cli", "textmad.watermark.cli",
                  "textmad.sweep.cli"]),
    ("cli", ["textmad.cli", "textmad.__main__", "textmad"]),
]
RANK = {prefix: i for i, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}


def layer(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in RANK:
            return RANK[".".join(parts[:n])]
    raise AssertionError(f"{module}: in no layer of tests/test_layers.py LAYERS; add it there and to DESIGN.md")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (imports for type checkers only,
    never executed)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def internal_imports(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The textmad modules ``path`` imports, anywhere in the file (a name imported from a package is the
    package's submodule when one has that name, else the package's __init__)."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == root.name}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != root.name:
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {m for m in found if m in modules and m != here}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    files = sorted(root.rglob("*.py"))
    modules = {module_name(p, root) for p in files}
    return {module_name(p, root): internal_imports(p, root, modules) for p in files}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} ({LAYERS[layer(a)][0]}) -> {b} ({LAYERS[layer(b)][0]})"
                  for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def test_every_module_has_a_layer():
    for module in import_graph():
        layer(module)


def test_no_import_circles():
    found = circles(import_graph())
    assert not found, ("modules that import each other (move the shared piece down a layer):\n  "
                       + "\n  ".join(", ".join(c) for c in found))


def test_no_import_up_a_layer():
    found = upward(import_graph())
    assert not found, ("imports up a layer (LAYERS, lowest first: " + " < ".join(name for name, _ in LAYERS)
                       + "):\n  " + "\n  ".join(found))


# the views read run directories and sweep summaries: they never import what runs or writes them
NOT_FOR_VIEWS = ("textmad.loop", "textmad.seeds", "textmad.sweep", "textmad.provenance", "textmad.export")


def test_the_views_import_neither_the_loop_nor_the_sweep():
    found = sorted(f"{a} -> {b}" for a, targets in import_graph().items() if a.startswith("textmad.report")
                   for b in targets if b.startswith(NOT_FOR_VIEWS))
    assert not found, "views importing what runs: " + ", ".join(found)


def test_the_checks_catch_a_circle_and_an_upward_import(tmp_path):
    """The same checks on a copy of textmad/ with one import added that closes a circle and runs up a layer."""
    import shutil

    copy = tmp_path / "textmad"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "recipes", "corpora"))
    io = copy / "io.py"
    io.write_text(io.read_text(encoding="utf-8") + "\n\ndef _late():\n    from textmad import loop\n",
                  encoding="utf-8")
    graph = import_graph(copy)
    assert "textmad.loop" in graph["textmad.io"]
    assert any("textmad.io" in c and "textmad.loop" in c for c in circles(graph))
    assert "textmad.io (base) -> textmad.loop (orchestrators)" in upward(graph)


@pytest.mark.parametrize("source, expected", [
    ("from textmad import rundir", {"textmad.rundir"}),
    ("from textmad.evaluate import METRICS", {"textmad.evaluate"}),
    ("import textmad.evaluate.registry", {"textmad.evaluate.registry"}),
    ("def f():\n    from textmad.report.tables import emit", {"textmad.report.tables"}),
])
def test_imports_are_read_where_they_are(tmp_path, source, expected):
    root = tmp_path / "textmad"
    (root / "evaluate").mkdir(parents=True)
    (root / "report").mkdir()
    for name in ("__init__.py", "rundir.py", "mod.py", "evaluate/__init__.py", "evaluate/registry.py",
                 "report/__init__.py", "report/tables.py"):
        (root / name).write_text("", encoding="utf-8")
    (root / "mod.py").write_text(source + "\n", encoding="utf-8")
    assert import_graph(root)["textmad.mod"] == expected


def test_the_layout_and_the_recipe_do_not_import_torch():
    """rundir (file names, detection, the run table) and the recipe load in a process without torch."""
    import subprocess
    import sys

    from conftest import subprocess_env

    code = "import sys, textmad.rundir, textmad.recipe; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_type_checking_imports_are_not_edges():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import textmad.loop\nelse:\n"
                     "    import textmad.mix\nimport textmad.rundir\n")
    names = {a.name for n in runtime_nodes(tree) if isinstance(n, ast.Import) for a in n.names}
    assert names == {"textmad.mix", "textmad.rundir"}
