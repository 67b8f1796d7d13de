"""The package's shape (issue #13): short import chains, small modules, no stdlib names.

Counted on the source, not assumed: a module added anywhere in profiler/ is held
to the same limits.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import profiler

PACKAGE = Path(profiler.__file__).resolve().parent
MAX_CHAIN = 7  # modules in the longest import chain (A imports B imports C ...)
MAX_LINES = 300


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "scenarios" in path.relative_to(PACKAGE).parts:  # scenario files, not the package
            continue
        name = ".".join(("profiler", *path.relative_to(PACKAGE).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The profiler modules this one imports (anywhere in it, typing-only imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("profiler"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
    return found - {name, "profiler"}


def longest_chain() -> list[str]:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}

    @cache
    def longest(name: str) -> tuple[str, ...]:
        below = [longest(d) for d in graph[name] if d in graph]
        return (name, *max(below, key=len, default=()))

    return list(max((longest(n) for n in graph), key=len))


def test_the_longest_import_chain_is_at_most_seven_modules() -> None:
    chain = longest_chain()
    assert len(chain) >= 3  # the walk found the package's imports
    assert len(chain) <= MAX_CHAIN, " -> ".join(chain)


def test_no_module_is_over_three_hundred_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert max(sizes.values()) > 100  # counted real files
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_no_module_is_named_after_a_standard_library_module() -> None:
    names = {name.rsplit(".", 1)[-1] for name in modules()} - {"profiler", "__main__"}
    assert names & set(sys.stdlib_module_names) == set()
