"""The package's shape: no module named after a stdlib module, and nothing below the CLI
prints or exits. The layer rules themselves are import-linter contracts
([tool.importlinter] in pyproject.toml, run by `make lint`); module size follows the
concept, so there is no line cap.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import profiler

PACKAGE = Path(profiler.__file__).resolve().parent
# the terminal's own modules: the command, and the renderer it hands its console to;
# the workload side is another process whose output goes to its logs
TALKS_TO_THE_TERMINAL = {"profiler.cli", "profiler.cli_args", "profiler.render.terminal"}
OWN_PROCESSES = {"profiler.orchestrate.watchdog"}  # `python -m ...`: its exit is its own


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "scenarios" in path.relative_to(PACKAGE).parts:  # scenario files, not the package
            continue
        name = ".".join(("profiler", *path.relative_to(PACKAGE).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def test_no_module_is_named_after_a_standard_library_module() -> None:
    names = {name.rsplit(".", 1)[-1] for name in modules()} - {"profiler", "__main__"}
    assert len(names) > 50  # counted real files
    assert names & set(sys.stdlib_module_names) == set()


def calls_to_the_terminal(path: Path) -> list[str]:
    """print(...), sys.exit(...) and exit(...) calls in a file, as `name:line`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else f"{func.value.id}.{func.attr}"
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            else ""
        )
        if name in ("print", "exit", "sys.exit"):
            found.append(f"{name}:{node.lineno}")
    return found


def test_nothing_below_the_cli_prints_or_exits() -> None:
    below = {
        name: path
        for name, path in modules().items()
        if name not in TALKS_TO_THE_TERMINAL | OWN_PROCESSES
        and not name.startswith(("profiler.workload", "profiler.__main__"))
    }
    assert calls_to_the_terminal(PACKAGE / "cli_args.py")  # the check sees real calls
    offenders = {name: calls_to_the_terminal(path) for name, path in below.items()}
    assert {name: calls for name, calls in offenders.items() if calls} == {}


def only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def test_every_module_is_in_the_architecture_doc() -> None:
    """docs/architecture.md's module table names every module of the tree, and no other."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    listed = set()
    for row in rows:
        cell = row.split("|")[1]
        names = [n.strip() for n in cell.replace("`", "").split(",")]
        folder = names[0].rsplit("/", 1)[0] + "/" if "/" in names[0] else ""
        listed |= {n if "/" in n else folder + n for n in names}
    tree = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "scenarios" not in path.relative_to(PACKAGE).parts
        and not (path.name == "__init__.py" and only_a_docstring(path))
    }
    assert tree - listed == set(), "modules missing from docs/architecture.md"
    assert {n for n in listed if n.endswith(".py")} - tree == set(), "modules that are gone"


RECORDER_REFERENCE = re.compile(
    r"""profiler\.recorders\.(perf|pyspy|procfs|viztracer)\b|(["'])(perf|py-spy|procfs|viztracer)\2"""
)


def test_a_recorder_is_named_in_code_only_in_its_folder_and_the_registry() -> None:
    """Adding a recorder touches its package and one registry line: no module outside
    profiler/recorders/ imports a recorder's package or tests a recorder's name."""
    outside = {
        str(path.relative_to(PACKAGE)): RECORDER_REFERENCE.findall(path.read_text())
        for path in PACKAGE.rglob("*.py")
        if "recorders" not in path.relative_to(PACKAGE).parts
    }
    assert RECORDER_REFERENCE.findall('from profiler.recorders.perf.load import x; s == "perf"')
    assert {module: hits for module, hits in outside.items() if hits} == {}


def table_lookups(source: str) -> list[str]:
    """`tables["x"]`, `analysis.get("x")`, `run["x"]` in code (not in docstrings)."""
    names = {"tables", "analysis", "run"}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr != "get" or not node.args:
                continue
            target, key = node.func.value, node.args[0]
        else:
            continue
        named = isinstance(target, ast.Name) and target.id in names
        if named and isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.append(f"{target.id}[{key.value!r}]")  # type: ignore[union-attr]
    return found


def test_stages_read_the_analysis_by_attribute_not_by_table_name() -> None:
    """RunAnalysis is read by its typed attributes inside concprof (a user in pandas may
    still write run["threads"]); a string lookup of a table is a typo mypy cannot see."""
    assert table_lookups('x = tables["threads"]\ny = analysis.get("gil_blame")') == [
        "tables['threads']",
        "analysis['gil_blame']",
    ]
    found = {
        str(path.relative_to(PACKAGE)): table_lookups(path.read_text())
        for path in PACKAGE.rglob("*.py")
    }
    assert {module: hits for module, hits in found.items() if hits} == {}
