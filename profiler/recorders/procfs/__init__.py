"""procfs: per-thread on-CPU time, run-queue time, last core and context switches; per-core
busy time; polled from /proc beside the run (recorder), loaded (load), turned into shares
(tables)."""

from __future__ import annotations

from profiler.recorders.procfs.load import ProcfsFrames, load_procfs
from profiler.recorders.procfs.recorder import ProcfsSampler
from profiler.recorders.procfs.tables import procfs_tables
from profiler.recorders.source_tables import Source

SOURCE: Source[ProcfsFrames] = Source(
    "procfs",
    exact=False,
    how={"cores": "on-CPU time per poll, on the core last seen; /proc/stat for the rest"},
    load=lambda raw, window: load_procfs(raw, window.t0_ns),
    tables=lambda frames, window, context: procfs_tables(frames, window, context.cpu_count),
    sampler=ProcfsSampler,
)
