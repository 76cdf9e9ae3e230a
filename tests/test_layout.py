"""The architecture, checked: the Whoosh wall, no import circles, no module that does everything.

Read from the source with :mod:`ast` (nothing is imported): every import
statement of ``indexer/`` and ``webui/``, at module level or inside a
function (a lazy import is still a dependency), resolved to the module it
names.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PACKAGES = ("indexer", "webui")
#: held to the same length and docstring rules
TOOLS = ("scripts/devtools",)
#: the most lines a module may have (data tables are kept in data files)
MAX_LINES = 600


def modules(packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted name → file of every module of the packages (folders) given."""
    out = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules (of ``known``, or outside ones by their top name) that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # ``from pkg import mod`` imports the module pkg.mod when there is one
            targets = [
                f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rpartition(".")[0]  # a name inside a module
            found.add(target if target in known else target.split(".")[0])
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_only_the_index_package_imports_whoosh():
    offenders = sorted(
        name
        for name, deps in graph().items()
        if "whoosh" in deps and not (name == "indexer.index" or name.startswith("indexer.index."))
    )
    assert offenders == []
    # and the wall is real: the index package does use it
    assert any(
        "whoosh" in deps for name, deps in graph().items() if name.startswith("indexer.index")
    )


def test_the_import_graph_has_no_circles():
    g = graph()
    internal = {name: {d for d in deps if d in g} for name, deps in g.items()}
    circles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(internal[node]):
            if state.get(dep) == 1:
                circles.append(path[path.index(dep) :] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for name in sorted(internal):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_nothing_in_indexer_but_the_cli_imports_the_web_app():
    offenders = sorted(
        name
        for name, deps in graph().items()
        if name.startswith("indexer")
        and not name.startswith("indexer.cli")
        and any(d == "webui" or d.startswith("webui.") for d in deps)
    )
    assert offenders == []


def test_views_get_the_engine_from_ext_not_from_the_factory_or_each_other():
    g = graph()
    for name, deps in g.items():
        if name.startswith("webui.views."):
            assert "webui" not in deps, name
            assert not any(d.startswith("webui.views.") for d in deps), name


def test_no_module_is_too_long():
    long = {
        name: n
        for name, path in modules(PACKAGES + TOOLS).items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_says_what_it_is_for():
    missing = [
        name
        for name, path in modules(PACKAGES + TOOLS).items()
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == []
