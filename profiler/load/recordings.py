"""One model's observed run as one typed object: what each recorder recorded, in memory.

Filled by profiler.load.model_dir; nothing here is derived. A recorder that did
not run (or wrote nothing) is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class ProcfsFrames:
    threads: pd.DataFrame
    processes: pd.DataFrame
    cores: pd.DataFrame
    clock_ticks_per_s: int
    interval_s: float


@dataclass(frozen=True)
class PyspyRecording:
    samples: pd.DataFrame  # pid, tid (py-spy's ids), samples, leaf, stack
    rate_hz: float
    found_ns: dict[int, int]  # pid -> CLOCK_MONOTONIC ns py-spy began sampling it ({}: unknown)


@dataclass(frozen=True)
class PerfTrace:
    events: pd.DataFrame  # profiler.load.perf's columns
    meta: dict[str, Any]  # perf_meta.json (the GIL and sched traces' budgets and stops)
    exit_commands: dict[int, str]  # tid -> its command when it exited


@dataclass(frozen=True)
class VizRecording:
    spans: pd.DataFrame  # pid, tid, name, start_us, dur_us from that run's own start
    names: pd.DataFrame  # pid, tid, kind, name
    window_us: float  # that run's model run length


@dataclass(frozen=True)
class Recordings:
    model: str
    doc: dict[str, Any]  # the runner's observed.json
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
        return int(self.doc["pid"])

    @property
    def reference_pid(self) -> int:
        """py-spy's round counter (profiler.workload.models.reference): not part of the workload."""
        return int(self.doc.get("gil_reference_pid") or -1)

    @property
    def helper_pids(self) -> set[int]:
        return {int(p) for p in self.doc.get("helper_pids", [])}
