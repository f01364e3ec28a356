"""The package's structure: wings in layers, every import pointing down a layer, no import cycle (read with `ast`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnnapp"
# top to bottom: a module may import its own layer's modules or any layer below, never one above
LAYERS = [
    ("faces", ("cnnapp.__main__", "cnnapp.cli", "cnnapp.api", "cnnapp.ui")),
    ("jobs", ("cnnapp.jobs",)),
    ("course", ("cnnapp.course",)),
    ("training", ("cnnapp.training",)),
    ("serving", ("cnnapp.serving",)),
    ("models", ("cnnapp.models",)),
    ("data", ("cnnapp.data",)),
    ("foundation", ("cnnapp",)),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path, known: set[str]) -> set[str]:
    """The cnnapp modules `path` imports, anywhere in it (a function's lazy import counts too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from cnnapp.ui import common` imports the module common, `from cnnapp.ui import T` the package
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith("cnnapp"):
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    # a package's __init__ is imported with any of its modules: an edge to it is not a dependency on its siblings
    return {name: imports(path, known) - {name} for name, path in mods.items()}


def layer(module: str) -> int:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes) and (
            prefixes != ("cnnapp",) or module.count(".") <= 1
        ):
            return i
    raise AssertionError(f"{module} is in no layer")


def test_every_import_points_down_a_layer_or_stays_in_its_own():
    upward = [
        f"{m} ({LAYERS[layer(m)][0]}) imports {d} ({LAYERS[layer(d)][0]})"
        for m, deps in graph().items()
        for d in deps
        if d != "cnnapp" and layer(d) < layer(m)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle_in_the_package():
    g = graph()
    seen: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for dep in sorted(g.get(node, ())):
            if seen.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in seen:
                visit(dep, [*path, dep])
        seen[node] = 2

    for start in sorted(g):
        if start not in seen:
            visit(start, [start])
    assert not cycles, "\n".join(cycles)


def test_the_top_level_holds_only_the_faces_and_the_foundation():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 16, top


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_oversized_without_saying_why(path):
    lines = path.read_text().count("\n")
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert lines <= 450 or "longer than" in doc.lower(), f"{path.name} has {lines} lines and no reason in its docstring"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_class_is_oversized_without_saying_why(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno >= 200:
            doc = (ast.get_docstring(node) or "").lower()
            assert "longer than" in doc, f"{path.name}: class {node.name} has {node.end_lineno - node.lineno + 1} lines"


def _error_classes() -> set[str]:
    """`CnnappError` and its subclasses, by name."""
    from cnnapp.errors import CnnappError

    found, todo = set(), [CnnappError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def test_every_refusal_a_person_reads_is_a_message_code():
    """A `CnnappError` raised with a plain string is shown in English on a Spanish page: raise it with `msg(code)`
    (the command line, English only, may keep its strings)."""
    errors = _error_classes()
    plain = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            call = node.exc if isinstance(node, ast.Raise) else None
            if not isinstance(call, ast.Call) or not call.args:
                continue
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            first = call.args[0]
            string = isinstance(first, ast.Constant) and isinstance(first.value, str)
            literal = string or isinstance(first, ast.JoinedStr)
            if name in errors and literal:
                plain.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert len(errors) > 8, errors  # the subclasses are found
    assert plain == [], "\n".join(plain)
