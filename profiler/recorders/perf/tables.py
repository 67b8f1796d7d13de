"""perf's tables: exact GIL states per thread, GIL busy per process, cores, and their checks."""

from __future__ import annotations

from typing import Any

import pandas as pd

from profiler.recorders import cores as cores_mod
from profiler.recorders.perf import checks as gil_checks
from profiler.recorders.perf import gil, lock_states, observer
from profiler.recorders.perf import intervals as perf_threads
from profiler.recorders.perf.load import PerfTrace
from profiler.recorders.source_tables import SourceTables
from profiler.recorders.window import Window

GIL_RENAMES = {
    "hold_pct": "gil_hold_pct",
    "hold_preempted_pct": "gil_hold_preempted_pct",
    "wait_pct": "gil_wait_pct",
}


def perf_tables(perf: PerfTrace | None, rec: Window, cpu_count: int) -> SourceTables | None:
    if perf is None:
        return None
    events, meta = perf.events, perf.meta
    out = SourceTables("perf", commands=dict(perf.exit_commands))
    # the GIL probes' trace ends where its budget was spent (profiler.recorders.perf.gil_trace):
    # GIL states are known from the window's start to there, sched events for all of it
    sched_end = sched_trace_end(meta, events, rec.t1_ns)
    gil_end = min(gil_trace_end(meta, rec.t1_ns), sched_end)
    if gil_end <= rec.t0_ns:
        out.gil_traced_pct = 0.0
        return out
    gil_window_us = (gil_end - rec.t0_ns) / 1e3
    out.gil_traced_pct = min(100.0, gil_window_us / rec.window_us * 100.0)
    out.cores, out.cores_timeline = _cores(rec, events, sched_end, cpu_count)
    if lock_states.has_lock_events(events):  # a free-threaded build: no GIL
        return _lock_tables(out, events, rec, gil_end, gil_window_us)
    intervals = gil.gil_intervals(events, rec.root_pid, rec.t0_ns, gil_end)
    intervals = intervals[intervals["pid"] != rec.reference_pid]
    if intervals.empty:
        return out
    intervals, correction = observer.correct_probe_cost(
        intervals, gil.gil_events_us(events, rec.t0_ns, gil_end)
    )
    # shares of the window less the time the probes stalled each process (perf/observer.py)
    windows_us = {
        pid: gil_window_us - correction.stall_us.get(pid, 0.0)
        for pid in intervals["pid"].astype(int).unique()
    }
    shares = gil.state_shares(intervals, windows_us).rename(columns=GIL_RENAMES)
    raw = observer.raw_shares_us(intervals)
    shares = shares.merge(raw, on=["pid", "tid"], how="left")
    shares["gil_hold_raw_pct"] = shares.pop("hold_raw_us") / gil_window_us * 100.0
    shares["gil_wait_raw_pct"] = shares.pop("wait_raw_us") / gil_window_us * 100.0
    shares["on_cpu_pct"] = shares["gil_hold_pct"] + shares["nogil_running_pct"]
    shares["gil_hold_err_pct"] = 0.0
    shares["on_cpu_err_pct"] = 0.0
    out.threads = shares
    out.processes = gil.process_shares(intervals, windows_us)
    checks = gil_checks.check(intervals, events[events["t_ns"] <= gil_end])
    out.extra = {
        "gil_intervals": intervals,
        "gil_stats": gil_checks.gil_stats(events, intervals, rec.t0_ns, gil_end),
        "checks": pd.DataFrame([_checks_row(checks, correction)]),
    }
    return out


def _cores(
    rec: Window, events: pd.DataFrame, sched_end: int, cpu_count: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    spans = cores_mod.cpu_spans_from_switches(events, rec.t0_ns, sched_end)
    owner = perf_threads.tid_owner(events, perf_threads.tree_pids(events, rec.root_pid))
    skip = rec.helper_pids | {rec.reference_pid}
    tids = {tid for tid, pid in owner.items() if pid not in skip}  # the whole window
    sched_window_us = (sched_end - rec.t0_ns) / 1e3
    return cores_mod.cores_from_perf(spans, tids, sched_window_us, cpu_count)


def _lock_tables(
    out: SourceTables, events: pd.DataFrame, rec: Window, trace_end: int, window_us: float
) -> SourceTables:
    """A free-threaded build's states (recorders.perf.lock_states): no GIL columns; running,
    runnable, lock_wait, blocked per thread; lock contention and stop-the-world per process."""
    intervals = lock_states.lock_intervals(events, rec.root_pid, rec.t0_ns, trace_end)
    intervals = intervals[~intervals["pid"].isin(rec.helper_pids | {rec.reference_pid})]
    if intervals.empty:
        return out
    pauses = lock_states.stw_pauses(events, rec.root_pid, rec.t0_ns, trace_end)
    shares = lock_states.lock_shares(intervals, window_us)
    shares["on_cpu_err_pct"] = 0.0
    out.threads = shares
    out.processes = lock_states.process_lock_shares(intervals, pauses, window_us)
    out.extra = {"gil_intervals": intervals.assign(probe_of=""), "stw_pauses": pauses}
    return out


def _checks_row(checks: gil_checks.Checks, correction: observer.ProbeCorrection) -> dict[str, Any]:
    return {
        "overlapping_holders": checks.overlapping_holders,
        "max_overlap_us": checks.max_overlap_us,
        "acquisitions_without_request": checks.acquisitions_without_request,
        "negative_intervals": checks.negative_intervals,
        "inferred_switch_ins": checks.inferred_switch_ins,
        "probe_hit_us": correction.probe_us,
        "uncontended_acquisitions": correction.uncontended,
        "contended_acquisitions": correction.contended,
        "probe_removed_ms": correction.removed_us / 1e3,
        "probe_wait_removed_ms": correction.wait_removed_us / 1e3,
        "probe_stall_max_ms": max(correction.stall_us.values(), default=0.0) / 1e3,
        "ok": checks.ok,
    }


def sched_trace_end(meta: dict[str, Any] | None, events: pd.DataFrame, t1_ns: int) -> int:
    """Where the sched trace ends: t1, or (capped: perf stopped mid-drain) the earliest
    of each core's last switch, up to which every core's switches are all there."""
    if not ((meta or {}).get("sched_trace") or {}).get("capped"):
        return t1_ns
    switches = events[events["kind"] == "switch"]
    if switches.empty:
        return t1_ns
    return min(t1_ns, int(switches.groupby("cpu")["t_ns"].max().min()))


def gil_trace_end(meta: dict[str, Any] | None, t1_ns: int) -> int:
    """Where the GIL trace of a model window ending at `t1_ns` ends: its budget's stop, or t1."""
    stopped = ((meta or {}).get("gil_trace") or {}).get("stopped_ns")
    return min(t1_ns, int(stopped)) if stopped else t1_ns
