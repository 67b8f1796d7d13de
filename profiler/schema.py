"""Column lists of the exported tables that more than one stage relies on
(docs/run-directory.md)."""

from __future__ import annotations

from typing import Literal

# main: the runner; worker: a pool's process; server: started by setup(); program: not Python
ProcessRole = Literal["main", "worker", "server", "program", "other"]

# the states of gil_intervals (perf): a GIL build's (recorders.perf.gil), perf's own time carved
# out of them (recorders.perf.observer), a free-threaded build's (recorders.perf.lock_states)
GIL_STATES = ("hold", "hold_preempted", "wait", "nogil_running", "blocked")
PROBE = "probe"
LOCK_STATES = ("running", "runnable", "parking", "lock_wait", "blocked")
TRACE_STATES = tuple(dict.fromkeys((*GIL_STATES, PROBE, *LOCK_STATES)))

THREAD_COLUMNS = [
    "model",
    "pid",
    "tid",
    "process_role",
    "thread_name",
    "wall_s",
    "lifetime_s",
    "gil_hold_pct",
    "gil_hold_preempted_pct",
    "gil_wait_pct",
    "gil_wait_raw_pct",
    "gil_hold_raw_pct",
    "probe_s",
    "nogil_running_pct",
    "running_pct",
    "runnable_pct",
    "lock_wait_pct",
    "blocked_pct",
    "on_cpu_pct",
    "gil_hold_err_pct",
    "gil_unmeasured",
    "on_cpu_err_pct",
    "source",
    "best",
]
PROCESS_COLUMNS = [
    "model",
    "pid",
    "process_role",
    "cpu_s",
    "gil_busy_pct",
    "gil_busy_err_pct",
    "gil_unmeasured",
    "sample_rounds",
    "unsampled_pct",
    "gil_contended_pct",
    "lock_contended_pct",
    "stw_pct",
    "stw_pauses",
    "peak_rss_mb",
    "source",
    "best",
]

# what the report's GIL table shows (the CSV keeps every column)
THREAD_REPORT_COLUMNS = [
    c for c in THREAD_COLUMNS if c not in ("on_cpu_err_pct", "best", "wall_s", "gil_unmeasured")
]

# no GIL in a program that is not Python (role `program`): these cells stay empty
GIL_COLUMNS = [
    c
    for c in dict.fromkeys([*THREAD_COLUMNS, *PROCESS_COLUMNS])
    if c.startswith("gil_") or c in ("probe_s", "sample_rounds", "unsampled_pct")
]
