"""`concprof doctor`: what works on this machine, and how to enable what does not."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from profiler.orchestrate.interpreters import (
    built_root,
    built_versions,
    pyenv_versions,
    resolve_python,
)
from profiler.recorders import availability_of
from profiler.recorders.names import RECORDER_NAMES
from profiler.recorders.perf.uprobes import TRACEFS, privilege_problem
from profiler.recorders.pyspy.recorder import ptrace_scope

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
    rows += [_perf_privileges(), _ptrace()]
    return rows


def _perf_privileges() -> Row:
    """Whether this user may use perf's uprobes, and the ways to allow it (docs/recorders.md)."""
    binary = shutil.which("perf") or "perf"
    if os.geteuid() == 0:
        return ("perf privileges", True, "root: uprobes and sched events allowed")
    lacks = privilege_problem(binary)
    if not lacks:
        return ("perf privileges", True, "this user may add uprobes and record sched events")
    real = os.path.realpath(binary)
    ways = (
        f"lacks: {lacks}. Ways, each enough here: (1) one run with sudo "
        "(sudo .venv/bin/concprof profile ...; its files are handed back to you); "
        f"(2) sudo setcap cap_perfmon,cap_sys_ptrace,cap_syslog+ep {real}, plus a group "
        "owning tracefs: sudo groupadd tracing; sudo usermod -aG tracing $USER; "
        "sudo mount -o remount,gid=$(getent group tracing | cut -d: -f3),mode=750 "
        f"{TRACEFS}; sudo chmod g+w {TRACEFS}/uprobe_events. "
        "kernel.perf_event_paranoid=-1 alone is not enough: creating uprobes still "
        "needs write access to tracefs"
    )
    return ("perf privileges", False, ways)


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
