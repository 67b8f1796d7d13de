"""`concprof doctor`: what works on this machine, and how to enable what does not."""

from __future__ import annotations

import os
import platform

from profiler.orchestrate.interpreters import pyenv_versions, resolve_python
from profiler.record import availability_of
from profiler.record.names import RECORDER_NAMES

Row = tuple[str, bool, str]


def doctor_rows(python_spec: str | None) -> list[Row]:
    python = resolve_python(python_spec)
    versions = ", ".join(pyenv_versions()) or "none"
    rows: list[Row] = [
        ("workload python", True, python),
        ("other interpreters", bool(pyenv_versions()), f"PYTHON=<version> can use: {versions}"),
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
