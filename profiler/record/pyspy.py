"""py-spy: sampled GIL holder and stacks of every thread of every process.

`py-spy record --gil --idle --threads --subprocesses --nonblocking --format raw`:
only samples in which a thread holds the GIL are kept, aggregated per
(process, thread, stack). The raw (collapsed) format carries no timestamps,
so py-spy gives shares, not timelines: a thread's GIL share is its
GIL-holding samples / (rate x model-run wall time), with a binomial error.
Not chrometrace: it cannot close spans when the GIL moves and mixes up
forked children.
"""

from __future__ import annotations

import os
import re
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
        return Availability(True, f"{binary}, {self.rate_hz} Hz, GIL-holding samples")

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        binary = pyspy_binary()
        assert binary is not None
        return [
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
        }
        return [out, log, write_json(target.raw_dir / "pyspy_meta.json", meta)]
