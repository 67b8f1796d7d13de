"""What perf's GIL uprobes need from the machine: the interpreter's library and its symbols,
tracefs mounted, capabilities, and probe groups named after their owner (stale ones removed)."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

GIL_FUNCTIONS = ("take_gil", "drop_gil")
# a free-threaded build (no GIL): where threads park on a contended lock, and the pauses
LOCK_FUNCTIONS = ("_PyParkingLot_Park", "stop_the_world", "start_the_world")
CAP_PERFMON = 38
CAP_SYS_ADMIN = 21


def python_library(python: str) -> str:
    """The file that holds the interpreter's ceval code: libpython, or the executable."""
    code = (
        "import sys, sysconfig, os\n"
        "lib = sysconfig.get_config_var('INSTSONAME') or ''\n"
        "d = sysconfig.get_config_var('LIBDIR') or ''\n"
        "shared = sysconfig.get_config_var('Py_ENABLE_SHARED')\n"
        "p = os.path.join(d, lib)\n"
        "print(p if shared and os.path.exists(p) else os.path.realpath(sys.executable))\n"
    )
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.strip()


def capabilities() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


TRACEFS = Path("/sys/kernel/tracing")


def tracefs() -> Path | None:
    for root in (TRACEFS, Path("/sys/kernel/debug/tracing")):
        if (root / "uprobe_events").exists():
            return root
    return None


@cache
def mount_tracefs() -> str | None:
    """Mount tracefs where the kernel offers it and we are root; what was done, or None.

    A fresh machine boots with tracefs unmounted, and perf's uprobes need it.
    """
    if tracefs() is not None or os.geteuid() != 0 or not TRACEFS.is_dir():
        return None
    done = subprocess.run(
        ["mount", "-t", "tracefs", "nodev", str(TRACEFS)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0 or tracefs() is None:
        return None
    return f"mounted tracefs at {TRACEFS}"


def probe_tag(pid: int) -> str:
    return f"c{pid}"


def stale_probe_groups() -> list[str]:
    """Probe groups `concprof<pid>` whose concprof process is gone."""
    root = tracefs()
    if root is None:
        return []
    try:
        text = (root / "uprobe_events").read_text()
    except OSError:
        return []
    groups = set(re.findall(r"^[pr]:concprof(\d+)/", text, flags=re.M))
    return sorted(f"concprof{pid}" for pid in groups if not Path(f"/proc/{pid}").exists())


def remove_stale_probes() -> list[str]:
    """Remove the probe groups of dead concprof processes; the groups removed."""
    removed = []
    for group in stale_probe_groups():
        done = subprocess.run(
            ["perf", "probe", "-q", "-d", f"{group}:*"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode == 0:
            removed.append(group)
    return removed


@cache
def symbols_present(library: str) -> tuple[str, ...]:
    """Which of GIL_FUNCTIONS and LOCK_FUNCTIONS perf can probe in `library` (static
    symbols count; perf's default filter hides names that start with `_`)."""
    done = subprocess.run(
        ["perf", "probe", "-x", library, "-F", "--filter=*"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = set(done.stdout.split())
    return tuple(f for f in (*GIL_FUNCTIONS, *LOCK_FUNCTIONS) if f in found)
