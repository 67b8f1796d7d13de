"""Resolve the workload's interpreter: empty (the toolkit's own), a version, or a path."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from profiler.errors import UsageError


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def pyenv_versions() -> dict[str, Path]:
    """Installed pyenv CPython versions (e.g. '3.13.0') and their `python3`."""
    versions: dict[str, Path] = {}
    root = pyenv_root() / "versions"
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            exe = entry / "bin" / "python3"
            if re.fullmatch(r"\d+\.\d+\.\d+", entry.name) and exe.exists():
                versions[entry.name] = exe
    return versions


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def resolve_python(spec: str | None) -> str:
    """Return an interpreter path for PYTHON=<spec>; UsageError names the choices."""
    if not spec:
        return sys.executable
    if re.fullmatch(r"\d+\.\d+(\.\d+)?", spec):
        matches = [v for v in pyenv_versions() if v == spec or v.startswith(spec + ".")]
        if matches:
            return str(pyenv_versions()[max(matches, key=_version_key)])
        on_path = shutil.which(f"python{spec}")
        if on_path:
            return on_path
        found = ", ".join(pyenv_versions()) or "none"
        raise UsageError(
            f"no Python {spec} found in pyenv or on PATH; installed pyenv versions: {found}"
        )
    path = Path(spec).expanduser()
    resolved = shutil.which(spec) if not path.exists() else str(path)
    if not resolved or not os.access(resolved, os.X_OK):
        raise UsageError(
            f"PYTHON={spec} is not an executable interpreter; use a version (e.g. 3.13) "
            "or a path to a python executable"
        )
    probe = subprocess.run(
        [resolved, "-c", "import sys; print(sys.version_info >= (3, 10))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if probe.stdout.strip() != "True":
        raise UsageError(f"PYTHON={spec} is not a Python 3.10 or newer interpreter")
    return resolved
