"""The observed run every recorder's tables are cut to: its window on CLOCK_MONOTONIC and
who is who in it (Program: the root process, its workers and threads, py-spy's round
counter, helper processes), whether a model run of the runner's or a recorded program."""

from __future__ import annotations

from dataclasses import dataclass, field

from profiler.workload.documents import RunResult, ThreadRecord, WorkerStart


@dataclass(frozen=True)
class Program:
    """Who is who in an observed run, as the recorders' tables need it."""

    pid: int  # the root process
    main_tid: int
    threads: list[ThreadRecord] = field(default_factory=list)  # every thread named
    worker_pids: list[int] = field(default_factory=list)  # a pool's, or a program's children
    helper_pids: list[int] = field(default_factory=list)  # started by setup(): not measured
    worker_starts: list[WorkerStart] = field(default_factory=list)
    gil_reference_pid: int | None = None  # py-spy's round counter (observed model runs)
    gil_reference_ok: bool | None = None
    whole_process: bool = False  # a recording: the window is the program's life, no model run

    @classmethod
    def of_run(cls, doc: RunResult) -> Program:
        """A model run of the runner's (its observed.json)."""
        return cls(
            pid=doc.pid,
            main_tid=doc.main_tid,
            threads=list(doc.threads),
            worker_pids=list(doc.worker_pids),
            helper_pids=list(doc.helper_pids),
            worker_starts=list(doc.worker_starts),
            gil_reference_pid=doc.gil_reference_pid,
            gil_reference_ok=doc.gil_reference_ok,
        )


@dataclass(frozen=True)
class Window:
    model: str  # the rows' `model` column: the model, or "record" for a recording
    program: Program
    t0_ns: int  # the window, CLOCK_MONOTONIC
    t1_ns: int

    @property
    def window_us(self) -> float:
        return (self.t1_ns - self.t0_ns) / 1e3

    @property
    def root_pid(self) -> int:
        return self.program.pid

    @property
    def reference_pid(self) -> int:
        """py-spy's round counter (profiler.workload.models.reference): not part of the workload."""
        return self.program.gil_reference_pid or -1

    @property
    def helper_pids(self) -> set[int]:
        return set(self.program.helper_pids)
