"""`concprof doctor`: what works on this machine, and how to enable what does not."""

from __future__ import annotations

import os
import platform

from profiler.interpreters import pyenv_versions, resolve_python


def doctor_rows(python_spec: str | None) -> list[tuple[str, bool, str]]:
    rows: list[tuple[str, bool, str]] = []
    python = resolve_python(python_spec)
    rows.append(("workload python", True, python))
    versions = ", ".join(pyenv_versions()) or "none"
    rows.append(
        ("pyenv interpreters", bool(pyenv_versions()), f"PYTHON=<version> can use: {versions}")
    )
    rows.append(
        (
            "platform",
            platform.system() == "Linux",
            f"{platform.system()} {platform.release()}, {os.cpu_count()} cores",
        )
    )
    return rows
