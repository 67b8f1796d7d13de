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


MIN_VERSION = (3, 10)  # the runner's oldest supported Python


def pyenv_versions() -> dict[str, Path]:
    """Installed pyenv CPython versions the runner supports (3.10+) and their `python3`."""
    versions: dict[str, Path] = {}
    root = pyenv_root() / "versions"
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            exe = entry / "bin" / "python3"
            if (
                re.fullmatch(r"\d+\.\d+\.\d+", entry.name)
                and _version_key(entry.name)[:2] >= MIN_VERSION
                and exe.exists()
            ):
                versions[entry.name] = exe
    return versions


def built_root() -> Path:
    """Where `make python-ft` builds its interpreters (tools/python-ft.sh)."""
    default = Path.home() / ".cache" / "concprof" / "pythons"
    return Path(os.environ.get("CONCPROF_PYTHONS", default))


def built_versions() -> dict[str, Path]:
    """Interpreters `make python-ft` built: "3.13.5" (GIL) and "3.13.5t" (free-threaded)."""
    versions: dict[str, Path] = {}
    root = built_root()
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(-t)?", entry.name)
            if match is None:
                continue
            free = bool(match[4])
            exe = entry / "bin" / f"python{match[1]}.{match[2]}{'t' if free else ''}"
            if exe.exists():
                versions[entry.name.replace("-t", "t")] = exe
    return versions


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.removesuffix("t").split("."))


def _check(path: str, spec: str) -> str:
    """The interpreter at `path` runs and is 3.10+; else UsageError."""
    try:
        probe = subprocess.run(
            [path, "-c", "import sys; print(sys.version_info >= (3, 10))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as exc:
        raise UsageError(f"PYTHON={spec}: {path} cannot run ({exc.strerror})") from exc
    if probe.stdout.strip() != "True":
        raise UsageError(
            f"PYTHON={spec} ({path}) is not a working Python 3.10 or newer interpreter"
        )
    return path


def resolve_python(spec: str | None) -> str:
    """Return an interpreter path for PYTHON=<spec>; UsageError names the choices."""
    if not spec:
        return sys.executable
    installed = pyenv_versions()
    built = built_versions()
    choices = ", ".join([*installed, *built]) or "none"
    if re.fullmatch(r"\d+\.\d+(\.\d+)?t", spec):  # a free-threaded build
        matches = [
            v for v in built if v == spec or (v.startswith(spec[:-1] + ".") and v[-1] == "t")
        ]
        if matches:
            return str(built[max(matches, key=_version_key)])
        raise UsageError(
            f"no free-threaded Python {spec} built; `make python-ft` builds 3.13t "
            f"(into {built_root()}); installed: {choices}"
        )
    if re.fullmatch(r"\d+\.\d+(\.\d+)?", spec):
        if _version_key(spec)[:2] < MIN_VERSION:
            raise UsageError(
                f"Python {spec} is too old: the runner needs 3.10 or newer; installed: {choices}"
            )
        matches = [v for v in installed if v == spec or v.startswith(spec + ".")]
        if matches:
            return str(installed[max(matches, key=_version_key)])
        if spec in built:  # `make python-ft`'s GIL build, e.g. 3.13.5
            return str(built[spec])
        on_path = shutil.which(f"python{spec}")
        if on_path:
            return _check(on_path, spec)
        raise UsageError(f"no Python {spec} found in pyenv or on PATH; installed: {choices}")
    path = Path(spec).expanduser()
    resolved = str(path) if path.exists() else shutil.which(spec)
    if not resolved or not os.access(resolved, os.X_OK):
        raise UsageError(
            f"PYTHON={spec} is not an executable interpreter; use a version "
            f"({choices}) or a path to a python executable"
        )
    return _check(resolved, spec)
