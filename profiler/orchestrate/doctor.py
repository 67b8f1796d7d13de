"""`concprof doctor`: what works on this machine, and how to enable what does not."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from profiler.orchestrate.interpreters import (
    built_root,
    built_versions,
    pyenv_versions,
    resolve_python,
)
from profiler.recorders import availability_of, machine_checks
from profiler.recorders.names import RECORDER_NAMES
from profiler.recorders.system import ptrace_scope

Row = tuple[str, bool, str]  # what, whether it works, the detail or how to enable it


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
    rows += [*machine_checks(), _ptrace()]
    return rows


def _ptrace() -> Row:
    """The kernel's rule for who may trace whom (py-spy reads other processes' memory)."""
    scope = ptrace_scope()
    rules = {
        0: "a process may trace any process of its user (py-spy: profile, record, attach)",
        1: "only a process's ancestors may trace it (Yama ptrace_scope 1): py-spy samples what "
        "concprof starts (profile, record); attach to a running process needs sudo or "
        "CAP_SYS_PTRACE on py-spy",
        2: "only root may trace (Yama ptrace_scope 2): py-spy needs sudo",
        3: "no process may trace (Yama ptrace_scope 3): py-spy cannot run",
    }
    where = "no Yama" if not Path("/proc/sys/kernel/yama").exists() else f"ptrace_scope {scope}"
    return ("ptrace", scope in (0, 1) or os.geteuid() == 0, f"{where}: {rules.get(scope, '')}")


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
