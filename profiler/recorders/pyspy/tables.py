"""py-spy's tables: GIL shares per thread and per process, with their sampling errors."""

from __future__ import annotations

import pandas as pd

from profiler.recorders.pyspy.load import PyspyRecording
from profiler.recorders.sampling import (
    extrapolate,
    late_found,
    native_tids,
    pyspy_process_shares,
    pyspy_shares,
)
from profiler.recorders.source_tables import SourceTables
from profiler.recorders.window import Program, Window
from profiler.workload.models.base import MEASURED_FRAME
from profiler.workload.models.reference import ROUND_FRAME

# py-spy reads the GIL's holder and each thread's state in separate reads of the target's
# memory, without stopping it (--nonblocking): when the holder changes every few tens of
# µs its readings are stale. Measured (docs/benchmarks.md): `syscalls` under threads
# switches ~23,000 times/s and py-spy's share is 9-11 points off perf's; every other
# workload switches at most ~1,200/s and py-spy agrees with perf. The limit sits between.
HANDOFF_LIMIT_HZ = 5000.0


def pyspy_tables(
    pyspy: PyspyRecording | None,
    rec: Window,
    named: pd.DataFrame,
    last_seen_ns: dict[int, int],
    switch_rate_hz: dict[int, float] | None = None,
) -> SourceTables | None:
    """`named`: pid, tid of every thread the runner named (a named thread never seen
    holding the GIL held it 0%); `last_seen_ns`: when each process ended (procfs);
    `switch_rate_hz`: each process's voluntary context switches per second (procfs)."""
    holding = holding_samples(pyspy, rec)
    if holding is None or pyspy is None:
        return None
    reference = pyspy.samples["pid"] == rec.reference_pid
    in_window = reference & pyspy.samples["leaf"].str.startswith(ROUND_FRAME)
    rounds = int(pyspy.samples.loc[in_window, "samples"].sum())  # not its start-up
    unseen = named[["pid", "tid"]].assign(samples=0, leaf="", stack="")
    samples = pd.concat([holding, unseen], ignore_index=True)
    counted = rounds if rec.program.gil_reference_ok else None
    window_s = rec.window_us / 1e6
    shares = pyspy_shares(samples, pyspy.rate_hz, window_s, counted)
    shares["wall_s"] = window_s
    busy = pyspy_process_shares(samples, pyspy.rate_hz, window_s, counted)
    late = late_found(pyspy.found_ns, worker_starts_ns(rec), last_seen_ns, (rec.t0_ns, rec.t1_ns))
    shares, busy = extrapolate(shares, busy, late)
    shares, busy = unmeasurable(shares, busy, switch_rate_hz or {})
    return SourceTables("py-spy", threads=shares, processes=busy, stacks=holding)


HOOK_FRAME = r";[^;]*_concprof_named_start \([^;]*\)"


def holding_samples(pyspy: PyspyRecording | None, rec: Window) -> pd.DataFrame | None:
    """py-spy's GIL-holding samples of the workload's threads in the window: pid, tid (native),
    samples, leaf, stack. Not the round counter, not helpers, and the runner's main thread
    only inside the model run."""
    if pyspy is None:
        return None
    samples = native_tids(pyspy.samples, thread_idents(rec.program))
    # helpers (a server started by setup) live before and after the window, and raw
    # output has no timestamps: their samples cannot be placed in it, so no rows
    samples = samples[(samples["pid"] != rec.reference_pid) & ~samples["pid"].isin(rec.helper_pids)]
    if rec.program.whole_process:  # record/attach: the window is the program's life
        # without the start-up hook's frame (workload/hook/sitecustomize.py) in every thread
        stacks = samples["stack"].str.replace(HOOK_FRAME, "", regex=True)
        return samples.assign(stack=stacks)
    # the runner's main thread is inside the model run only within measured_model_run();
    # its other samples are start-up, the scenario's import, setup and teardown (raw
    # output has no timestamps): before this filter they made MainThread "hold" 60%
    main = (samples["pid"] == rec.root_pid) & (samples["tid"] == rec.program.main_tid)
    return samples[~main | samples["stack"].str.contains(MEASURED_FRAME, regex=False)]


def thread_idents(program: Program) -> dict[tuple[int, int], int]:
    """(pid, pthread ident) -> native tid, for every thread whose ident the runner noted."""
    return {(t.pid, t.ident): t.tid for t in program.threads if t.ident}


def worker_starts_ns(rec: Window) -> dict[int, int]:
    """pid -> when its first worker started (the runner's note), CLOCK_MONOTONIC ns."""
    started: dict[int, int] = {}
    for start in rec.program.worker_starts:
        started[start.pid] = min(started.get(start.pid, start.start_ns), start.start_ns)
    return started


def unmeasurable(
    threads: pd.DataFrame, processes: pd.DataFrame, switch_rate_hz: dict[int, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Empty the GIL shares of processes whose threads switch faster than py-spy can read
    the holder (HANDOFF_LIMIT_HZ); `gil_unmeasured` says why, on their rows."""
    why = {
        pid: (
            f"{rate:,.0f} voluntary context switches/s (procfs): the GIL holder changes "
            f"faster than py-spy reads it (limit {HANDOFF_LIMIT_HZ:,.0f}/s)"
        )
        for pid, rate in switch_rate_hz.items()
        if rate > HANDOFF_LIMIT_HZ
    }
    out = []
    for frame, columns in (
        (threads, ["gil_hold_pct", "gil_hold_err_pct"]),
        (processes, ["gil_busy_pct", "gil_busy_err_pct"]),
    ):
        frame = frame.assign(gil_unmeasured=frame["pid"].map(why))
        frame.loc[frame["gil_unmeasured"].notna(), columns] = float("nan")
        out.append(frame)
    return out[0], out[1]
