"""viztracer: function-level timeline of every thread and process.

Needs a run of its own: it slows call-heavy code several times, so it never
shares a run with the samplers and is never used for timing. One JSON trace
for all processes (`--log_async` shows asyncio tasks); timestamps are
CLOCK_MONOTONIC microseconds, the runner's clock. Forked children report the
parent's tid for their main thread: the loader repairs it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from profiler.recorders.base import Availability, RecorderFailed, Target, Traits
from profiler.recorders.viztracer.files import VizFiles

# viztracer's ring buffer, per process: when it fills, the earliest calls are dropped (the
# trace keeps the latest). 300,000 entries are about 40 MB of JSON per process.
TRACER_ENTRIES = 300_000
METADATA_TAIL_BYTES = 4096  # the combined trace ends with viztracer_metadata


class VizTracer:
    name = "viztracer"
    traits = Traits(exact=True, measures=frozenset({"functions", "threads"}))
    exclusive = True  # it slows call-heavy code several times: a run of its own
    note = ""
    attaches = False
    stopped_part_way = False

    def outputs(self, raw: Path) -> list[Path]:
        return VizFiles(raw).all()

    def beside(self) -> None:
        return None  # it needs a run of its own

    def available(self, python: str) -> Availability:
        probe = subprocess.run(
            [python, "-c", "import viztracer; print(viztracer.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if probe.returncode != 0:
            return Availability(
                False,
                f"viztracer is not importable by {python}",
                f"{python} -m pip install viztracer",
            )
        return Availability(True, f"viztracer {probe.stdout.strip()} (separate traced run)")

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        python, dash_m, module, *rest = argv
        assert dash_m == "-m", argv
        return [
            python,
            "-m",
            "viztracer",
            "--quiet",
            "--log_async",
            "--ignore_frozen",
            "--tracer_entries",
            str(TRACER_ENTRIES),
            "-o",
            str(VizFiles(target.raw_dir).json),
            "-m",
            module,
            "--",
            *rest,
        ]

    def attach(self, pid: int, target: Target) -> None:
        """Nothing to attach: the command runs under this recorder from its start."""

    def finish(self, target: Target, stderr: str) -> list[Path]:
        out = VizFiles(target.raw_dir).json
        if not out.exists() or out.stat().st_size == 0:
            last = [line for line in stderr.splitlines() if line.strip()]
            raise RecorderFailed(f"viztracer wrote no trace: {last[-1] if last else 'no message'}")
        self.note = (
            f"buffer full: the earliest calls were dropped ({TRACER_ENTRIES:,} entries per "
            "process are kept, the latest)"
            if overflowed(out)
            else ""
        )
        return [out]


def overflowed(trace: Path) -> bool:
    """Whether viztracer's ring buffer filled in some process (its metadata says so)."""
    with trace.open("rb") as fh:
        fh.seek(max(0, trace.stat().st_size - METADATA_TAIL_BYTES))
        tail = fh.read()
    return re.search(rb'"overflow"\s*:\s*true', tail) is not None
