"""Cleans up after concprof: `python -m profiler.orchestrate.watchdog FD TEARDOWN RUN_JSON
CGROUP OWNER_PID` (TEARDOWN: a JSON list of commands, each run until it exits 0).

Reads lines from the pipe FD: `pgid N` (a process group the run started) and
`done` (the run ended cleanly). At end-of-file without `done`, concprof died:
end every process of the run (its cgroup, else its process groups), run the
recorders' teardown commands (removing their probes), remove its temporary
directories, and mark run.json incomplete if it still says running.
Standard library only; runs in a session of its own, so signals sent to
concprof's group do not reach it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _mark_incomplete(run_json: Path) -> None:
    try:
        doc = json.loads(run_json.read_text())
    except (OSError, ValueError):
        return
    if doc.get("status") != "running":
        return
    doc["status"] = "incomplete"
    doc["error"] = {
        "phase": "killed",
        "model": None,
        "task_index": None,
        "exception": "concprof ended without finishing the run (killed); "
        "the watchdog ended its processes and removed its probes",
    }
    tmp = run_json.with_name(f".{run_json.name}.watchdog")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, run_json)


RETRY_S = 10.0  # a killed perf record releases its events, and a group empties, a little later


def _until(done: Callable[[], bool], retry_s: float = RETRY_S) -> None:
    """Call `done` until it says so or retry_s passes (the kernel lets go of things late)."""
    deadline = time.monotonic() + retry_s
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def _ran(command: list[str]) -> bool:
    try:
        done = subprocess.run(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=RETRY_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def cleanup(
    cgroup: str, groups: list[int], teardown: list[list[str]], run_json: Path, owner: str
) -> None:
    for pgid in groups:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    if cgroup != "-":
        from profiler.orchestrate.containment import kill_group_dir

        kill_group_dir(Path(cgroup))

        def removed() -> bool:
            with contextlib.suppress(OSError):
                Path(cgroup).rmdir()
            return not Path(cgroup).exists()

        _until(removed)

    for command in teardown:
        _until(functools.partial(_ran, command))
    for path in Path(tempfile.gettempdir()).glob(f"concprof-path-{owner}-*"):
        shutil.rmtree(path, ignore_errors=True)
    _mark_incomplete(run_json)


def main(argv: list[str]) -> int:
    fd, teardown, run_json, cgroup = int(argv[0]), json.loads(argv[1]), Path(argv[2]), argv[3]
    owner = argv[4]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    groups: list[int] = []
    with os.fdopen(fd, "r") as pipe:
        for line in pipe:
            word, _, value = line.strip().partition(" ")
            if word == "done":
                return 0
            if word == "pgid" and value.isdigit():
                groups.append(int(value))
    cleanup(cgroup, groups, teardown, run_json, owner)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
