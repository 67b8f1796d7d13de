"""`concprof doctor`: what works on this machine, and how to enable what does not."""

from __future__ import annotations

import os
import platform

from profiler.orchestrate.interpreters import (
    built_root,
    built_versions,
    pyenv_versions,
    resolve_python,
)
from profiler.record import availability_of
from profiler.record.names import RECORDER_NAMES

Row = tuple[str, bool, str]


def doctor_rows(python_spec: str | None) -> list[Row]:
    python = resolve_python(python_spec)
    versions = ", ".join(pyenv_versions()) or "none"
    rows: list[Row] = [
        ("workload python", True, python),
        ("other interpreters", bool(pyenv_versions()), f"PYTHON=<version> can use: {versions}"),
        _free_threaded(),
        (
            "platform",
            platform.system() == "Linux",
            f"{platform.system()} {platform.release()}, {os.cpu_count()} cores",
        ),
    ]
    for name in RECORDER_NAMES:
        availability = availability_of(name, python)
        detail = availability.reason
        if not availability.ok and availability.fix:
            detail += f" — fix: {availability.fix}"
        rows.append((f"recorder {name}", availability.ok, detail))
    return rows


def _free_threaded() -> Row:
    built = built_versions()
    free = [v for v in built if v.endswith("t")]
    if free:
        return ("free-threaded python", True, f"PYTHON=... can use: {', '.join(built)}")
    return (
        "free-threaded python",
        False,
        f"none built — fix: make python-ft (CPython 3.13.5 with and without the GIL, from "
        f"Debian's source package, into {built_root()})",
    )
