"""The import graph of sop-xl's modules, grouped into layers (``python tests/import_graph.py``).

Layers, inner to outer; a module may import its own layer and the layers inside it, never one
outside it (tests/test_layers.py asserts this):

- ``core``: the calculations (forecast, inventory, supply, reconcile, kpi, records, and the
  shared helpers they use); no workbook, no Excel;
- ``workbook``: the template's schema and the two gateways (file, live Excel);
- ``cycle``: the steps, their registry and the transactions on a workbook;
- ``faces``: what people call: the command line, the ribbon macros, the UDFs, the add-in.

Imports inside a function (done late, e.g. to keep start-up fast) count the same.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("core", "workbook", "cycle", "faces")
FACES = {
    "sop_xl.cli",
    "sop_xl.commands",
    "sop_xl.macros",
    "sop_xl.addin",
    "sop_udfs",
    "sop_xl.vba_project",
    "sop_xl.compound_file",
    "sop_xl.__main__",
    "sop_xl.demo",
}
CORE = {"sop_xl", "sop_xl.forecast", "sop_xl.inventory", "sop_xl.supply", "sop_xl.reconcile",
        "sop_xl.kpi", "sop_xl.records", "sop_xl.errors", "sop_xl.cells", "sop_xl.files",
        "sop_xl.periods", "sop_xl.longtable"}  # fmt: skip


def layer(module: str) -> str:
    """The layer of a module, by its package (``sop_xl.forecast.auto`` -> ``core``)."""
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        if prefix in FACES:
            return "faces"
        if prefix == "sop_xl.cycle":
            return "cycle"
        if prefix == "sop_xl.workbook":
            return "workbook"
        if prefix in CORE and depth > 1:
            return "core"
    if module == "sop_xl":
        return "core"
    raise ValueError(f"module {module} is in no layer: add it to tests/import_graph.py")


def modules() -> dict[str, Path]:
    """Every module of the package and the UDF module, by dotted name."""
    found = {"sop_udfs": ROOT / "udfs" / "sop_udfs.py"}
    for path in sorted((ROOT / "sop_xl").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports (absolute and relative, at any depth)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    known = modules()
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    return {name: imports(name, path) for name, path in modules().items()}


def violations() -> list[str]:
    """``a (cycle) imports b (faces)`` for every import that points outward."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    bad = []
    for name, targets in sorted(graph().items()):
        for target in sorted(targets):
            if rank[layer(target)] > rank[layer(name)]:
                bad.append(f"{name} ({layer(name)}) imports {target} ({layer(target)})")
    return bad


if __name__ == "__main__":
    edges = graph()
    for lay in LAYERS:
        print(f"[{lay}]")
        for name in sorted(n for n in edges if layer(n) == lay):
            inner = sorted(t for t in edges[name] if not t.startswith(name + "."))
            print(f"  {name} -> {', '.join(inner) if inner else '-'}")
    bad = violations()
    print(f"{len(bad)} import(s) pointing outward" + (":" if bad else ""))
    print("\n".join(f"  {b}" for b in bad))
    sys.exit(1 if bad else 0)
