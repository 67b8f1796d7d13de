"""py-spy: sampled GIL holder and stacks of every thread of every process.

`py-spy record --gil --idle --threads --subprocesses --nonblocking --format raw`:
only samples in which a thread holds the GIL are kept, aggregated per
(process, thread, stack). The raw (collapsed) format carries no timestamps,
so py-spy gives shares, not timelines: a thread's GIL share is its
GIL-holding samples / the sampling rounds in the model run, counted by
profiler.workload.models.reference (profiler.recorders.sampling has the errors).
Not chrometrace: it cannot close spans when the GIL moves and mixes up
forked children.

py-spy runs at the highest CFS priority (nice -20) where that is allowed
(root, CAP_SYS_NICE or RLIMIT_NICE), and the runner it starts is put back
to this process's niceness. A sampler that must wait for a core samples
when one frees up, and on a busy machine cores free up when a thread
blocks, e.g. while the GIL changes hands, so its samples lean toward
"nobody holds the GIL" (measured on the gil scenario with perf: about 3
points of GIL-busy time missing at normal priority, about 1 at nice -20).
Real-time priority (chrt -f) removes the lean too, but its wake-ups preempt
the GIL holder instead of taking an idle core (5% of a spinner's time).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import sys
import time
from pathlib import Path

from profiler.atomic import write_json
from profiler.recorders.base import (
    Availability,
    RecorderFailed,
    Sampler,
    Target,
    Traits,
    is_free_threaded,
)
from profiler.recorders.pyspy.files import PyspyFiles
from profiler.recorders.system import ptrace_scope

DEFAULT_RATE_HZ = 250
HIGHEST_NICE = -20
_SAMPLES = re.compile(r"Samples: (\d+) Errors: (\d+)")
LOG_LEVEL = "RUST_LOG=py_spy::python_spy=info,py_spy::python_process_info=info"


def pyspy_binary() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def priority_prefixes() -> tuple[list[str], list[str]]:
    """(before py-spy, before the runner): py-spy at nice -20, the runner at ours; or nothing."""
    nice = shutil.which("nice")
    if nice is None or not _may_raise_priority():
        return [], []
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    return [nice, "-n", str(HIGHEST_NICE - ours)], [nice, "-n", str(ours - HIGHEST_NICE)]


def _may_raise_priority() -> bool:
    """Root, CAP_SYS_NICE (bit 23 of CapEff), or an RLIMIT_NICE that allows nice -20."""
    if os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 20 - HIGHEST_NICE:
        return True
    lines = Path("/proc/self/status").read_text().splitlines()
    caps = [line.split()[1] for line in lines if line.startswith("CapEff")]
    return bool(caps) and bool(int(caps[0], 16) >> 23 & 1)


class PySpy:
    name = "py-spy"
    exclusive = False
    note = ""
    attaches = False
    stopped_part_way = False

    def __init__(self, rate_hz: int = DEFAULT_RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self.traits = Traits(
            exact=False,
            measures=frozenset({"gil", "stacks", "threads"}),
            rate_hz=float(rate_hz),
            counts_rounds=True,  # its shares are of the runner's counted rounds
            traces=True,
        )
        self.raised: list[str] = []

    def outputs(self, raw: Path) -> list[Path]:
        return PyspyFiles(raw).all()

    def beside(self) -> Sampler:
        from profiler.recorders.pyspy.attached import PySpyAttached  # it builds on this class

        return PySpyAttached()

    def available(self, python: str) -> Availability:
        binary = pyspy_binary()
        if binary is None:
            return Availability(False, "py-spy is not installed", "pip install py-spy (make venv)")
        if is_free_threaded(python):
            return Availability(
                False,
                f"{python} is a free-threaded build: py-spy finds no Python version in it "
                "(and --gil, its GIL-holder sampling, has no meaning without a GIL)",
                "procfs gives the threads' CPU there; perf and py-spy the GIL twin's "
                "(PYTHON=3.13.5)",
            )
        if ptrace_scope() >= 3 or (ptrace_scope() == 2 and os.geteuid() != 0):
            return Availability(
                False,
                "ptrace is restricted (kernel.yama.ptrace_scope)",
                "run as root or sysctl kernel.yama.ptrace_scope=1",
            )
        priority = (
            f"nice {HIGHEST_NICE}"
            if priority_prefixes()[0]
            else "normal priority (no CAP_SYS_NICE: shares lean low on a busy machine)"
        )
        return Availability(True, f"{binary}, {self.rate_hz} Hz, GIL-holding samples, {priority}")

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        self.raised, runner_back = priority_prefixes()
        return [*self.raised, *self.command(target), "--", *runner_back, *argv]

    def command(self, target: Target, pid: int | None = None) -> list[str]:
        """py-spy record with this recorder's flags; on `pid` (attach) or before a command."""
        binary = pyspy_binary()
        assert binary is not None
        return [
            "env",
            LOG_LEVEL,  # pyspy.log then says when each process began to be sampled
            binary,
            "record",
            *(["--pid", str(pid)] if pid is not None else []),
            "--gil",
            "--idle",
            "--threads",
            "--subprocesses",
            "--nonblocking",
            "--rate",
            str(self.rate_hz),
            "--format",
            "raw",
            "-o",
            str(PyspyFiles(target.raw_dir).txt),
        ]

    def attach(self, pid: int, target: Target) -> None:
        """Nothing to attach: the command runs under this recorder from its start."""

    def finish(self, target: Target, stderr: str) -> list[Path]:
        raw = PyspyFiles(target.raw_dir)
        out, log = raw.txt, raw.log
        log.write_text(stderr)
        if not out.exists():
            last = [line for line in stderr.splitlines() if line.strip()]
            raise RecorderFailed(f"py-spy wrote no output: {last[-1] if last else 'no message'}")
        counts = _SAMPLES.findall(stderr)
        meta = {
            "rate_hz": self.rate_hz,
            "samples": int(counts[-1][0]) if counts else None,
            "errors": int(counts[-1][1]) if counts else None,
            "format": "raw",
            "flags": "--gil --idle --threads --subprocesses --nonblocking",
            "nice": HIGHEST_NICE if self.raised else os.getpriority(os.PRIO_PROCESS, 0),
            # pyspy.log's times are CLOCK_REALTIME, the runner's CLOCK_MONOTONIC
            "realtime_minus_monotonic_ns": time.time_ns() - time.monotonic_ns(),
        }
        return [out, log, write_json(raw.meta, meta)]
