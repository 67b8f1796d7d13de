"""py-spy: sampled GIL holder and stacks of every thread of every process.

`py-spy record --gil --idle --threads --subprocesses --nonblocking --format raw`:
only samples in which a thread holds the GIL are kept, aggregated per
(process, thread, stack). The raw (collapsed) format carries no timestamps,
so py-spy gives shares, not timelines: a thread's GIL share is its
GIL-holding samples / (rate x model-run wall time), with a binomial error.
Not chrometrace: it cannot close spans when the GIL moves and mixes up
forked children.

py-spy runs with real-time priority (`chrt -f 1`) where that is allowed
(root or CAP_SYS_NICE), and the runner it starts is put back to the normal
policy (`chrt -o 0`): a sampler that must wait for a free core samples when
one frees up, and on a busy machine cores free up when a thread blocks,
e.g. while the GIL changes hands, so its samples lean toward "nobody holds
the GIL" (measured on the gil scenario with perf: 3 points of GIL-busy time
missing, under 1 with real-time priority; docs/recorders.md).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import sys
from pathlib import Path

from profiler.record.base import Availability, RecorderFailed, Target
from profiler.rundir import write_json

DEFAULT_RATE_HZ = 250
_SAMPLES = re.compile(r"Samples: (\d+) Errors: (\d+)")


def pyspy_binary() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def realtime_prefix() -> tuple[list[str], list[str]]:
    """(before py-spy, before the runner): real-time py-spy, normal runner; or nothing."""
    chrt = shutil.which("chrt")
    if chrt is None or not _may_realtime():
        return [], []
    return [chrt, "-f", "1"], [chrt, "-o", "0"]


def _may_realtime() -> bool:
    """Root, CAP_SYS_NICE (bit 23 of CapEff) or an RLIMIT_RTPRIO of at least 1."""
    if os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_RTPRIO)[0] >= 1:
        return True
    status = Path("/proc/self/status")
    caps = [
        line.split()[1] for line in status.read_text().splitlines() if line.startswith("CapEff")
    ]
    return bool(caps) and bool(int(caps[0], 16) >> 23 & 1)


def _ptrace_scope() -> int:
    try:
        return int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text())
    except (OSError, ValueError):
        return 0


class PySpy:
    name = "py-spy"
    exclusive = False
    output = "pyspy.txt"

    def __init__(self, rate_hz: int = DEFAULT_RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self.realtime: list[str] = []

    def available(self, python: str) -> Availability:
        binary = pyspy_binary()
        if binary is None:
            return Availability(False, "py-spy is not installed", "pip install py-spy (make venv)")
        if _ptrace_scope() >= 3 or (_ptrace_scope() == 2 and os.geteuid() != 0):
            return Availability(
                False,
                "ptrace is restricted (kernel.yama.ptrace_scope)",
                "run as root or sysctl kernel.yama.ptrace_scope=1",
            )
        priority = (
            "real-time priority"
            if realtime_prefix()[0]
            else "normal priority (no CAP_SYS_NICE: shares lean low on a busy machine)"
        )
        return Availability(True, f"{binary}, {self.rate_hz} Hz, GIL-holding samples, {priority}")

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        binary = pyspy_binary()
        assert binary is not None
        self.realtime, runner_back = realtime_prefix()
        return [
            *self.realtime,
            binary,
            "record",
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
            str(target.raw_dir / self.output),
            "--",
            *runner_back,
            *argv,
        ]

    def finish(self, target: Target, stderr: str) -> list[Path]:
        out = target.raw_dir / self.output
        log = target.raw_dir / "pyspy.log"
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
            "realtime": bool(self.realtime),
        }
        return [out, log, write_json(target.raw_dir / "pyspy_meta.json", meta)]
