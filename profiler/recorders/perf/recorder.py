"""perf: exact GIL request/acquire/release per thread and exact on-CPU intervals.

uprobes on CPython's `take_gil` (entry = request, return = acquired) and
`drop_gil` (release) in the workload interpreter's libpython (or its
executable when linked statically), plus `sched:sched_switch` and
`sched:sched_process_fork/exit`, on CLOCK_MONOTONIC (`-k mono`), the
runner's clock. Two standalone recordings (profiler.recorders.perf.gil_trace), both
ready before the launched command, held at its start, goes on:
- sched events system-wide (`-a`): recorded per task, sched_switch fires in
  the outgoing task's context, so a workload thread's switch-in is missed
  whenever the previous task was not ours; system-wide it is always seen,
  and so is what else ran on each core. Capped at SCHED_CAP_BYTES, where perf
  stops by itself and the workload goes on;
- the GIL probes on the command's process (`-p`, inherited by what it
  starts), stopped when their cost reaches the run's probe budget, so a
  workload that cycles the GIL very often is not slowed beyond the bound.
perf.txt holds both, in time order once loaded. The loader keeps the runner's
process tree (rebuilt from the fork events).

Probes live in a group of their own, `concprof<pid>`, with event names that
carry the same tag (perf refuses an event name that exists in any group, so
two concurrent runs need distinct names). Adding them is all or nothing, also
under Ctrl-C; they are removed after the run, also when it fails; groups left
by concprof processes that died are removed at the next start.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import TextIO

from profiler.atomic import write_json
from profiler.layout import RawDir
from profiler.recorders.base import Availability, RecorderFailed, Target, Traits, is_free_threaded
from profiler.recorders.perf.files import PerfFiles
from profiler.recorders.perf.gil_trace import (
    PROBE_HIT_COST_S,
    SCHED_CAP_BYTES,
    STOP_COST_S,
    PerfRecording,
    budget_bytes,
)
from profiler.recorders.perf.uprobes import (
    GIL_FUNCTIONS,
    LOCK_FUNCTIONS,
    PRIVILEGE_FIX,
    missing_symbols,
    mount_tracefs,
    privilege_problem,
    probe_tag,
    python_library,
    symbols_present,
    tracefs,
)

SCHED_EVENTS = ("sched:sched_switch", "sched:sched_process_fork", "sched:sched_process_exit")
SCRIPT_FIELDS = "pid,tid,cpu,time,event,trace"


@cache
class Perf:
    name = "perf"
    traits = Traits(
        exact=True,
        measures=frozenset({"gil", "threads", "cores"}),
        costs_the_run=True,  # a few µs per GIL cycle: --max-slowdown bounds it
        stop_cost_s=STOP_COST_S,
        follows_running=True,
    )
    exclusive = False
    note = ""
    attaches = True  # the GIL probes follow the launched command from its start
    stopped_part_way = False

    @staticmethod
    def group_of(pid: int) -> str:
        """The probe group of the concprof process `pid`."""
        return f"concprof{pid}"

    def __init__(self) -> None:
        self.group = self.group_of(os.getpid())
        self.tag = probe_tag(os.getpid())
        self.events: list[str] = []
        self.gil: PerfRecording | None = None
        self.sched: PerfRecording | None = None
        self.note = ""
        self.stopped_part_way = False

    def outputs(self, raw: Path) -> list[Path]:
        return PerfFiles(raw).all()

    def beside(self) -> None:
        return None  # it joins a running program itself (attach, attach_all)

    def available(self, python: str) -> Availability:
        binary = shutil.which("perf")
        if binary is None:
            return Availability(False, "perf is not installed", "apt-get install linux-perf")
        mounted = mount_tracefs()  # root only: a fresh machine boots without it
        denied = privilege_problem(binary)
        if denied:
            return Availability(False, f"not available to this user ({denied})", PRIVILEGE_FIX)
        if tracefs() is None:
            return Availability(
                False,
                "uprobes are not available (no uprobe_events in tracefs)",
                "mount tracefs (mount -t tracefs nodev /sys/kernel/tracing) on a kernel "
                "with CONFIG_UPROBE_EVENTS",
            )
        library = python_library(python)
        free_threaded = is_free_threaded(python)
        wanted = LOCK_FUNCTIONS if free_threaded else GIL_FUNCTIONS
        present = symbols_present(library)
        missing = [f for f in wanted if f not in present]
        if missing:
            return Availability(False, *missing_symbols(library, missing))
        what = (
            "a free-threaded build, no GIL: uprobes on _PyParkingLot_Park (lock waits) and "
            "stop_the_world/start_the_world"
            if free_threaded
            else "uprobes on take_gil/drop_gil"
        )
        return Availability(
            True, f"{what} in {library}; sched_switch" + (f" ({mounted})" if mounted else "")
        )

    def _probe(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["perf", "probe", *args], capture_output=True, text=True, timeout=120, check=False
        )

    def probe_specs(self, python: str) -> list[str]:
        """GIL build: take_gil (entry, return), drop_gil. Free-threaded build: the parking
        lot (entry, return) and the stop-the-world pair (profiler.recorders.perf.lock_states)."""
        g, tag = self.group, self.tag
        if is_free_threaded(python):
            return [
                f"{g}:park_{tag}=_PyParkingLot_Park",
                f"{g}:park_ret_{tag}=_PyParkingLot_Park%return",
                f"{g}:stw_{tag}=stop_the_world",
                f"{g}:stw_end_{tag}=start_the_world%return",
            ]
        return [
            f"{g}:take_gil_{tag}=take_gil",
            f"{g}:take_gil_ret_{tag}=take_gil%return",
            f"{g}:drop_gil_{tag}=drop_gil",
        ]

    def add_probes(self, python: str) -> list[str]:
        """All probes or none (also when interrupted); perf's own error text is kept."""
        library = python_library(python)
        specs = self.probe_specs(python)
        try:
            for spec in specs:
                done = self._probe(["-x", library, "-a", spec])
                if done.returncode != 0:
                    error = " ".join(done.stderr.split())[-300:] or f"exit code {done.returncode}"
                    raise RecorderFailed(f"perf probe -a {spec} failed: {error}")
        except BaseException:
            self.remove_probes()
            raise
        listed = subprocess.run(
            ["perf", "probe", "-l", f"{self.group}:*"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
        return sorted(set(re.findall(rf"{self.group}:\w+", listed)))

    def abandon(self) -> None:
        self.remove_probes()

    def remove_probes(self) -> None:
        self._probe(["-q", "-d", f"{self.group}:*"])

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        """The probes now; the command runs as it is (perf attaches to it, held, in attach)."""
        self.events = self.add_probes(target.python)
        return argv

    def attach(self, pid: int, target: Target) -> None:
        """Start both recordings before the held command `pid` goes on.

        sched events system-wide (capped at SCHED_CAP_BYTES: perf stops itself
        there, the workload goes on), then the GIL probes on `pid` and what it
        starts (stopped at their budget).
        """
        self.attach_all([pid], target)

    def attach_all(self, pids: list[int], target: Target) -> None:
        """attach() on several processes already running (`concprof attach`: a process and
        its children); what they start later is followed too."""
        logs = RawDir(target.raw_dir).logs
        self.sched = PerfRecording(
            ["-a"],
            list(SCHED_EVENTS),
            PerfFiles(target.raw_dir).data,
            logs / "perf_sched.err",
            None,
            target.track,
            label="sched events",
            max_bytes=SCHED_CAP_BYTES,
            mmap_pages=1024,
        )
        self.gil = PerfRecording(
            ["-p", ",".join(str(pid) for pid in pids)],
            self.events,
            PerfFiles(target.raw_dir).gil_data,
            logs / "perf_gil.err",
            budget_bytes(target.probe_budget_s),
            target.track,
        )

    def _script(self, data: Path, out: TextIO) -> str:
        done = subprocess.run(
            ["perf", "script", "-i", str(data), "--ns", "-F", SCRIPT_FIELDS],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RecorderFailed(f"perf script -i {data.name} failed: {done.stderr.strip()[-200:]}")
        return done.stderr

    def finish(self, target: Target, stderr: str) -> list[Path]:
        self.note = ""
        coverage = self.gil.stop() if self.gil is not None else None
        self.stopped_part_way = bool(coverage and coverage.stopped_ns)
        sched = self.sched.stop() if self.sched is not None else None
        logs = "".join(t.log_text() for t in (self.gil, self.sched) if t is not None)
        self.gil = self.sched = None
        self.remove_probes()
        for trace in (coverage, sched):
            if trace is not None and trace.error:
                raise RecorderFailed(trace.error)  # a trace cut short at an unknown point
        if sched is not None and sched.capped:
            self.note = (
                f"sched events reached their {SCHED_CAP_BYTES / 2**20:g} MB cap: cores and GIL "
                "states end where the trace does"
            )
        data = PerfFiles(target.raw_dir).data
        gil_data = PerfFiles(target.raw_dir).gil_data
        for path in (data, gil_data):
            if not path.exists() or path.stat().st_size == 0:
                raise RecorderFailed(
                    f"perf wrote no {path.name}: {stderr.strip()[-200:] or 'no message'}"
                )
        script = PerfFiles(target.raw_dir).txt
        partial = script.with_name(".perf.txt.partial")  # renamed only when whole
        try:
            with partial.open("w") as out:
                notes = self._script(gil_data, out) + self._script(data, out)
            os.replace(partial, script)
        finally:
            partial.unlink(missing_ok=True)
        lost = re.findall(r"lost (\d+) chunks", stderr + notes + logs)
        meta = {
            "events": [*self.events, *SCHED_EVENTS],
            "library": python_library(target.python),
            "clock": "CLOCK_MONOTONIC (-k mono)",
            "lost_chunks": sum(int(n) for n in lost),
            "gil_trace": {
                "budget_bytes": coverage.budget_bytes if coverage else None,
                "trace_bytes": coverage.trace_bytes if coverage else None,
                "stopped_ns": coverage.stopped_ns if coverage else None,
                "probe_hit_cost_s": PROBE_HIT_COST_S,
                "probe_budget_s": target.probe_budget_s,
                "error": coverage.error if coverage else "",
            },
            "sched_trace": {
                "cap_bytes": SCHED_CAP_BYTES,
                "trace_bytes": sched.trace_bytes if sched else None,
                "capped": bool(sched and sched.capped),
            },
            "stderr": (stderr + notes).strip()[-2000:],
        }
        return [data, gil_data, script, write_json(PerfFiles(target.raw_dir).meta, meta)]
