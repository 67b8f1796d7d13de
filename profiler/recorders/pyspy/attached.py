"""py-spy attached to a process that is already running (`concprof record`, `attach`).

The same recording as the wrapper's (profiler.recorders.pyspy.recorder), started with
`--pid` beside the program instead of in front of it, so the program's exit
status is its own and a py-spy that fails cannot take the program down. It
ends when the program does, or on SIGINT (py-spy then writes what it has).
thread_names: the names of a running tree's threads (`py-spy dump`), for `attach`.
"""

from __future__ import annotations

import json
import signal
import subprocess
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

from profiler.layout import RawDir
from profiler.recorders.base import Availability, Target
from profiler.recorders.pyspy.recorder import PySpy, priority_prefixes, pyspy_binary
from profiler.workload.documents import ThreadRecord

STOP_WAIT_S = 30.0  # py-spy writes its output after SIGINT; a large one takes a moment


class PySpyAttached:
    name = "py-spy"

    def __init__(self) -> None:
        self.spy = PySpy()
        self.traits = replace(self.spy.traits, counts_rounds=False, follows_running=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.target: Target | None = None
        self.note = ""

    def available(self, python: str) -> Availability:
        return self.spy.available(python)

    def start(self, root_pid: int, target: Target) -> None:
        self.target = target
        raised, _ = priority_prefixes()
        self.spy.raised = raised
        logs = RawDir(target.raw_dir).logs
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / "pyspy.err").open("wb") as err:
            self.proc = subprocess.Popen(
                [*raised, *self.spy.command(target, pid=root_pid)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
            )
        if target.track is not None:
            target.track(self.proc.pid)

    def stop(self) -> list[Path]:
        """Stop py-spy (if the program has not ended it already); check and describe its output."""
        assert self.target is not None
        if self.proc is not None:
            if self.proc.poll() is None:
                with suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        log = RawDir(self.target.raw_dir).logs / "pyspy.err"
        text = log.read_text(errors="replace") if log.exists() else ""
        return self.spy.finish(self.target, text)  # RecorderFailed: named in the run's status


def thread_names(pid: int) -> list[ThreadRecord]:
    """Every Python thread of the tree with its name (py-spy dump --json); [] if py-spy cannot."""
    binary = pyspy_binary()
    if binary is None:
        return []
    command = [binary, "dump", "--pid", str(pid), "--json", "--subprocesses", "--nonblocking"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        threads = json.loads(done.stdout)
    except (subprocess.TimeoutExpired, ValueError):
        return []
    named = []
    for t in threads:
        pid, tid = int(t["pid"]), int(t.get("os_thread_id") or 0)
        # a program that never imported threading has no name for its main thread
        name = t.get("thread_name") or ("MainThread" if tid == pid else None)
        if tid and name:
            named.append(ThreadRecord(pid, tid, str(name), t["thread_id"]))
    return named
