"""Every process a run starts is found and ended, whatever happens to concprof.

A run gets a cgroup (v2) of its own: each command the run launches enters it
before it execs (a `sh` prologue), so workers, servers and daemons that call
setsid are in it too. At the end of the run, `cgroup.kill` ends whatever is
left. A watchdog process, in a session of its own, holds a pipe from
concprof: if concprof dies without saying goodbye (SIGKILL, a crash), the
watchdog ends the run's processes, removes its perf probes and marks its
run.json incomplete. Without a writable cgroup v2 hierarchy (not root), runs
fall back to process groups and the watchdog still kills those.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PREFIX = "concprof-"
KILL_WAIT_S = 5.0


def cgroup2_root() -> Path | None:
    """The mount point of the cgroup v2 hierarchy, if we may create groups in it."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2":
            root = Path(fields[1])
            if os.access(root, os.W_OK):
                return root
    return None


class RunCgroup:
    """A cgroup v2 group for one run; `wrap` makes a command enter it before it execs."""

    def __init__(self, root: Path, owner_pid: int) -> None:
        self.path = root / f"{PREFIX}{owner_pid}"
        self.path.mkdir(exist_ok=True)

    def wrap(self, argv: Sequence[str]) -> list[str]:
        prologue = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
        return ["/bin/sh", "-c", prologue, str(self.path), *argv]

    def kill_all(self) -> list[int]:
        """End every process still in the group; the pids that were there."""
        return kill_group_dir(self.path)

    def remove(self) -> None:
        kill_group_dir(self.path)
        deadline = time.monotonic() + KILL_WAIT_S  # a killed member leaves a little later
        while self.path.exists() and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                self.path.rmdir()
            if self.path.exists():
                time.sleep(0.05)


def pids_in(path: Path) -> list[int]:
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def kill_group_dir(path: Path) -> list[int]:
    """cgroup.kill (or SIGKILL each member), then wait until the group is empty."""
    found = pids_in(path)
    if not found:
        return []
    try:
        (path / "cgroup.kill").write_text("1")
    except OSError:
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
    deadline = time.monotonic() + KILL_WAIT_S
    while pids_in(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def stale_groups(root: Path | None) -> list[Path]:
    """Run groups whose concprof process is gone."""
    if root is None:
        return []
    return [
        p
        for p in root.glob(f"{PREFIX}*")
        if p.is_dir()
        and p.name.removeprefix(PREFIX).isdigit()
        and not Path(f"/proc/{p.name.removeprefix(PREFIX)}").exists()
    ]


def remove_stale_groups() -> list[str]:
    """End the processes of dead runs and remove their groups; one line per group."""
    notes = []
    for path in stale_groups(cgroup2_root()):
        killed = kill_group_dir(path)
        try:
            path.rmdir()
        except OSError:
            continue
        notes.append(
            f"removed the process group of a dead run: {path}"
            + (f" (ended {len(killed)} processes)" if killed else "")
        )
    return notes


class Watchdog:
    """A process that cleans up after concprof if concprof dies (see orchestrate/watchdog.py)."""

    def __init__(self, cgroup: RunCgroup | None, teardown: list[list[str]], manifest: Path) -> None:
        read_end, self._write_end = os.pipe()
        argv = [
            sys.executable,
            "-m",
            f"{__package__}.watchdog",
            str(read_end),
            json.dumps(teardown),
        ]
        argv += [str(manifest), str(cgroup.path) if cgroup else "-", str(os.getpid())]
        self.process = subprocess.Popen(
            argv,
            pass_fds=(read_end,),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(read_end)

    def track(self, pgid: int) -> None:
        """A process group the run started (the fallback without a cgroup)."""
        os.write(self._write_end, f"pgid {pgid}\n".encode())

    def release(self) -> None:
        """The run ended cleanly: the watchdog leaves without touching anything."""
        try:
            os.write(self._write_end, b"done\n")
            os.close(self._write_end)
        except OSError:
            pass
        try:
            self.process.wait(timeout=KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Containment:
    """What a run uses to keep track of its processes: a cgroup (when it can) and a watchdog."""

    def __init__(self, manifest: Path, teardown: list[list[str]] | None = None) -> None:
        """`manifest`: the run's run.json, marked incomplete if concprof dies; `teardown`:
        commands that undo what the recorders leave behind (their probes), run if it dies."""
        root = cgroup2_root()
        self.cgroup = RunCgroup(root, os.getpid()) if root is not None else None
        self.watchdog = Watchdog(self.cgroup, teardown or [], manifest)

    @property
    def mechanism(self) -> str:
        if self.cgroup is not None:
            return f"cgroup {self.cgroup.path} and a watchdog"
        return "process groups and a watchdog (no writable cgroup v2 hierarchy)"

    def wrap(self, argv: Sequence[str]) -> list[str]:
        return self.cgroup.wrap(argv) if self.cgroup is not None else list(argv)

    def started(self, pgid: int) -> None:
        self.watchdog.track(pgid)

    def sweep(self) -> list[int]:
        """End whatever a finished command left running (daemons, grandchildren)."""
        return self.cgroup.kill_all() if self.cgroup is not None else []

    def close(self) -> list[int]:
        left = self.sweep()
        if self.cgroup is not None:
            self.cgroup.remove()
        self.watchdog.release()
        return left
