"""perf: exact GIL request, acquire and release per thread (uprobes on take_gil/drop_gil; on
a free-threaded build, the parking lot and stop-the-world), and every context switch on
every core (sched_switch): recording (recorder, gil_trace, uprobes), loading (load), and
what it gives a model's tables (tables: states, shares, checks, cores)."""

from __future__ import annotations

from profiler.recorders.perf.load import PerfTrace, perf_trace
from profiler.recorders.perf.recorder import Perf
from profiler.recorders.perf.tables import perf_tables
from profiler.recorders.perf.uprobes import (
    mount_tracefs,
    privilege_row,
    remove_stale_probes,
    teardown_command,
)
from profiler.recorders.source_tables import Source

SOURCE: Source[PerfTrace] = Source(
    "perf",
    exact=True,
    how={"cores": "system-wide sched_switch, exact", "gil": "uprobes on take_gil/drop_gil"},
    load=lambda raw, window: perf_trace(raw),
    tables=lambda trace, window, context: perf_tables(trace, window, context.cpu_count),
    prepare=mount_tracefs,  # root only: a fresh machine boots without tracefs
    sweep=lambda: [f"removed perf probes left by a dead run: {g}" for g in remove_stale_probes()],
    teardown=lambda pid: teardown_command(Perf.group_of(pid)),
    checks=lambda: [privilege_row()],
    wrapper=Perf,
)
