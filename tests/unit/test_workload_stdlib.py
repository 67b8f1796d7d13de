"""The workload side imports the standard library only (it runs in the measured interpreter).

`profiler/workload/` (runner, models, reference, loopback) is imported by the
workload's own Python, which may be another interpreter without the toolkit's
dependencies; and whatever it imports would run inside the measured process.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import profiler

PACKAGE = Path(profiler.__file__).resolve().parent
WORKLOAD = PACKAGE / "workload"


def imported_modules(path: Path, top_level_only: bool = False) -> set[str]:
    """Every module an `import` or `from ... import` in the file names."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add("profiler.workload (relative)")
    return found


def test_every_import_of_the_workload_side_is_stdlib_or_the_workload_itself() -> None:
    files = list(WORKLOAD.rglob("*.py"))
    assert len(files) > 8  # the runner, the models, the reference, loopback
    # the package's own __init__ runs first in the workload too: its top level counts
    # (it loads the toolkit's run reader lazily, on `profiler.load_run` only)
    found = {(path, m) for path in files for m in imported_modules(path)}
    found |= {(PACKAGE / "__init__.py", m) for m in imported_modules(PACKAGE / "__init__.py", True)}
    # the start-up hook's modules sit beside it on the program's path, imported by name
    hook = {p.stem for p in (WORKLOAD / "hook").glob("*.py")}
    outside = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path, module in found
        if module.split(".")[0] not in sys.stdlib_module_names
        and not module.startswith("profiler.workload")
        and module != "profiler"
        and not (path.parent == WORKLOAD / "hook" and module in hook)
        and not _the_dask_models(path, module)
    }
    assert not outside, sorted(outside)


DASK_MODEL_FILES = {"models/dask_model.py", "runner.py"}  # the model and its `dask-check`


def _the_dask_models(path: Path, module: str) -> bool:
    """The dask model measures a Dask cluster: it alone imports dask.distributed (and its
    cloudpickle), inside the functions that run only when that model is asked for."""
    if str(path.relative_to(WORKLOAD)) not in DASK_MODEL_FILES:
        return False
    if module.split(".")[0] not in ("distributed", "cloudpickle"):
        return False
    return module not in imported_modules(path, top_level_only=True)


def test_the_runner_starts_without_site_packages() -> None:
    # GIVEN an interpreter that sees only the standard library and this checkout (-S: no site)
    code = (
        "import sys; import profiler.workload.runner, profiler.workload.loopback; "
        "import profiler.workload.models.reference; "
        "third = [m for m in ('pandas', 'numpy', 'orjson', 'jinja2', 'rich') if m in sys.modules]; "
        "print(third)"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # THEN it imports, and no third-party module came with it
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
