"""What perf's GIL uprobes need from the machine: the interpreter's library and its symbols,
tracefs mounted, capabilities, and probe groups named after their owner (stale ones removed)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from functools import cache
from pathlib import Path

GIL_FUNCTIONS = ("take_gil", "drop_gil")
# a free-threaded build (no GIL): where threads park on a contended lock, and the pauses
LOCK_FUNCTIONS = ("_PyParkingLot_Park", "stop_the_world", "start_the_world")
CAP_PERFMON = 38
CAP_SYS_ADMIN = 21


def python_library(python: str) -> str:
    """The file that holds the interpreter's ceval code: the libpython it maps, or the
    executable (Debian's /usr/bin/python3.X links libpython in statically, though a
    libpython3.X.so is installed beside it: only the maps say which one runs)."""
    code = (
        "import os, sys\n"
        "libs = [line.split()[-1] for line in open('/proc/self/maps')\n"
        "        if os.path.basename(line.split()[-1]).startswith('libpython')]\n"
        "print(libs[0] if libs else os.path.realpath(sys.executable))\n"
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


def file_capabilities(path: str) -> int:
    """The permitted capabilities a file grants when executed (`setcap ...+ep`), as a mask.

    The `security.capability` attribute is a vfs_cap_data: a magic word, then
    (permitted, inheritable) pairs of 32-bit words, low word first.
    """
    try:
        raw = os.getxattr(path, "security.capability")
    except OSError:
        return 0
    words = struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4])
    permitted = words[1::2]  # after the magic word: permitted, inheritable, permitted, ...
    return sum(word << (32 * i) for i, word in enumerate(permitted))


def perf_event_paranoid() -> int:
    try:
        return int(Path("/proc/sys/kernel/perf_event_paranoid").read_text())
    except (OSError, ValueError):
        return 2


TRACEFS = Path("/sys/kernel/tracing")
TRACEFS_ROOTS = (TRACEFS, Path("/sys/kernel/debug/tracing"))


def _has_uprobe_events(root: Path) -> bool:
    try:
        return (root / "uprobe_events").exists()
    except OSError:  # mounted, but not readable by this user (mode 700 by default)
        return False


def tracefs() -> Path | None:
    """The tracefs mount this user can read uprobe_events in, or None."""
    return next((root for root in TRACEFS_ROOTS if _has_uprobe_events(root)), None)


def tracefs_mounted() -> bool:
    """tracefs is mounted (whether or not this user may read it)."""
    try:
        mounts = Path("/proc/self/mounts").read_text().split()
    except OSError:
        return False
    return "tracefs" in mounts


def may_create_probes() -> bool:
    """This user may add and remove uprobes: write access to tracefs's uprobe_events."""
    root = tracefs()
    return root is not None and os.access(root / "uprobe_events", os.W_OK)


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
    if root is None or not may_create_probes():  # another user's probes are not ours to sweep
        return []
    try:
        text = (root / "uprobe_events").read_text()
    except OSError:
        return []
    groups = set(re.findall(r"^[pr]:concprof(\d+)/", text, flags=re.M))
    return sorted(f"concprof{pid}" for pid in groups if not Path(f"/proc/{pid}").exists())


def teardown_command(group: str) -> list[str]:
    """A shell command that exits 0 once no probe of `group` is left, removing them if any
    are (a watchdog runs it until it does: the kernel lets go of probes in use late)."""
    events = TRACEFS / "uprobe_events"
    left = f"grep -qs ':{group}/' {events}"
    return ["sh", "-c", f"! {left} || {{ perf probe -q -d '{group}:*'; ! {left}; }}"]


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
def probe_functions(library: str) -> tuple[str, ...]:
    """Every function perf can probe in `library` (static symbols count; perf's default
    filter hides names that start with `_`, so it is widened)."""
    done = subprocess.run(
        ["perf", "probe", "-x", library, "-F", "--filter=*"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return tuple(done.stdout.split())


@cache
def symbols_present(library: str) -> tuple[str, ...]:
    """Which of GIL_FUNCTIONS and LOCK_FUNCTIONS perf can probe in `library`."""
    found = set(probe_functions(library))
    return tuple(f for f in (*GIL_FUNCTIONS, *LOCK_FUNCTIONS) if f in found)


PRIVILEGE_FIX = (
    "run it with sudo, or give perf CAP_PERFMON and this user write access to tracefs "
    "(`concprof doctor` lists the ways; docs/recorders.md)"
)


def privilege_problem(perf_binary: str) -> str:
    """What this user lacks for perf's uprobes and sched events; "" when nothing.

    Measured on Linux 6.x: creating a uprobe is a write to tracefs's
    uprobe_events (root only by default: CAP_PERFMON alone does not do it);
    recording tracepoints system-wide needs CAP_PERFMON (or CAP_SYS_ADMIN) in
    perf, or kernel.perf_event_paranoid = -1; and perf reads each event's id
    in tracefs, so the tracefs files must be readable too.
    """
    if os.geteuid() == 0:
        return ""
    lacks = []
    root = tracefs()
    if root is None:
        mounted = tracefs_mounted()
        lacks.append(
            f"tracefs at {TRACEFS} is not readable by this user"
            if mounted
            else f"tracefs is not mounted at {TRACEFS} and only root may mount it"
        )
    elif not may_create_probes():
        lacks.append(f"no write access to {root / 'uprobe_events'}")
    wanted = 1 << CAP_PERFMON | 1 << CAP_SYS_ADMIN
    if (
        not (file_capabilities(perf_binary) | capabilities()) & wanted
        and perf_event_paranoid() > -1
    ):
        lacks.append(
            f"{perf_binary} has no CAP_PERFMON and kernel.perf_event_paranoid is "
            f"{perf_event_paranoid()}, not -1"
        )
    return "; ".join(lacks)


def missing_symbols(library: str, missing: list[str]) -> tuple[str, str]:
    """(reason, fix) for an interpreter whose library perf cannot probe.

    Measured on Debian 12: /usr/bin/python3.11 (libpython linked in, stripped) has
    no symbols; `apt-get install python3.11-dbg` adds its detached debug file
    (/usr/lib/debug/.build-id/), and perf then finds take_gil, but the build's
    link-time optimisation inlined drop_gil into its callers: a probe on it saw 54
    of 942 GIL releases, so the GIL states cannot be built from it.
    """
    named = symbols_named_like(library, tuple(missing))
    reason = f"{library} has no symbols for {', '.join(missing)}"
    if named:
        reason += (
            f" (only {', '.join(named)}: a link-time-optimised build whose inlined copies a "
            "probe misses)"
        )
    fix = (
        "profile with an interpreter whose libpython keeps its symbol table: pyenv's "
        "(`pyenv install 3.11`, PYTHON=3.11), the project's own builds (`make python-ft`, "
        "PYTHON=3.13.5) or any CPython built from source; distribution builds (Debian's "
        "/usr/bin/python3.X, even with python3.X-dbg) cannot be traced exactly: py-spy "
        "samples them instead"
    )
    return reason, fix


def symbols_named_like(library: str, functions: tuple[str, ...]) -> list[str]:
    """Local symbols that are `function.<suffix>` (GCC's LTO and clone names)."""
    names = probe_functions(library)
    return sorted({n for n in names for f in functions if n.startswith(f + ".")})


def privilege_row() -> tuple[str, bool, str]:
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
