"""The observed model run every recorder's tables are cut to: its window on CLOCK_MONOTONIC
and who is who in it (the runner's document: root process, py-spy's round counter,
helper processes)."""

from __future__ import annotations

from dataclasses import dataclass

from profiler.workload.documents import RunResult


@dataclass(frozen=True)
class Window:
    model: str
    doc: RunResult  # the runner's observed.json
    t0_ns: int  # the model run's window, CLOCK_MONOTONIC
    t1_ns: int

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
