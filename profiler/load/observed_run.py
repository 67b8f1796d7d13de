"""One model's observed run as one typed object: the runner's document and what each recorder
recorded, in memory. Filled by profiler.load.model_dir; nothing here is derived. A recorder
that did not run (or wrote nothing) is None.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler.load.recordings import PerfTrace, ProcfsFrames, PyspyRecording, VizRecording
from profiler.workload.documents import RunResult


@dataclass(frozen=True)
class Recordings:
    model: str
    doc: RunResult  # the runner's observed.json
    t0_ns: int  # the model run's window, CLOCK_MONOTONIC
    t1_ns: int
    procfs: ProcfsFrames | None
    pyspy: PyspyRecording | None
    perf: PerfTrace | None
    viztracer: VizRecording | None

    @property
    def window_us(self) -> float:
        return (self.t1_ns - self.t0_ns) / 1e3

    @property
    def root_pid(self) -> int:
        return self.doc.pid

    @property
    def reference_pid(self) -> int:
        """py-spy's round counter (profiler.workload.models.reference): not part of the workload."""
        return self.doc.gil_reference_pid or -1

    @property
    def helper_pids(self) -> set[int]:
        return set(self.doc.helper_pids)
