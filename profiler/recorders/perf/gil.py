"""Exact per-thread GIL states from perf events, and their shares of the window.

A thread's state at any instant (docs/measurement.md): `hold` (holds the GIL, on CPU),
`hold_preempted` (holds it, descheduled), `wait` (in take_gil, not yet
acquired), `nogil_running` (released it, on CPU), `blocked` (released it,
off CPU). Built from perf events (profiler.recorders.perf.load): take = request,
acquired = take_gil returned, drop = drop_gil entered; switch = on/off CPU.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pandas as pd

from profiler.recorders.perf.intervals import (
    INTERVAL_COLUMNS,
    append_span,
    tid_owner,
    tree_pids,
)
from profiler.schema import GIL_STATES as STATES
from profiler.spans import union_us

Stream = list[tuple[int, str, int]]  # (t_ns, what, core the event happened on)


def _thread_streams(events: pd.DataFrame, owner: dict[int, int]) -> dict[int, Stream]:
    """Per tid: time-ordered (t_ns, what, core), what in on/off/take/acquired/drop/exit."""
    streams: dict[int, Stream] = defaultdict(list)
    gil = events[events["kind"].isin(("take", "acquired", "drop")) & events["tid"].isin(owner)]
    for t, tid, kind, core in zip(gil["t_ns"], gil["tid"], gil["kind"], gil["cpu"], strict=True):
        streams[int(tid)].append((int(t), str(kind), int(core)))
    sw = events[events["kind"] == "switch"]
    for t, prev, nxt, core in zip(sw["t_ns"], sw["a"], sw["b"], sw["cpu"], strict=True):
        if prev in owner:
            streams[int(prev)].append((int(t), "off", int(core)))
        if nxt in owner:
            streams[int(nxt)].append((int(t), "on", int(core)))
    ex = events[(events["kind"] == "exit") & events["a"].isin(owner)]
    for t, tid in zip(ex["t_ns"], ex["a"], strict=True):
        streams[int(tid)].append((int(t), "exit", -1))
    order = {"off": 0, "drop": 1, "take": 2, "acquired": 3, "on": 4, "exit": 5}
    for stream in streams.values():
        stream.sort(key=lambda item: (item[0], order[item[1]]))
    return streams


def _state(gil: str, on_cpu: bool) -> str:
    if gil == "hold":
        return "hold" if on_cpu else "hold_preempted"
    if gil == "wait":
        return "wait"
    return "nogil_running" if on_cpu else "blocked"


def _initial(stream: Stream) -> tuple[str, set[int]]:
    """GIL state and cores before the first event, from the first GIL and CPU events."""
    first_gil = next((w for _, w, _ in stream if w in ("take", "acquired", "drop")), "take")
    gil = {"take": "none", "acquired": "wait", "drop": "hold"}[first_gil]
    first_cpu = next(((w, c) for _, w, c in stream if w in ("on", "off")), ("on", -1))
    return gil, {first_cpu[1]} if first_cpu[0] == "off" else set()


def thread_intervals(
    stream: Stream, t0_ns: int, t1_ns: int, inferred: list[int] | None = None
) -> list[tuple[str, int, int]]:
    """(state, start_ns, end_ns) for one thread, clipped to [t0, t1], equal neighbours merged.

    The thread is on CPU while it is the current task of some core. Tracking
    the set of cores, not one flag, keeps a migration right: a switch-in on
    core 1 stamped just before the switch-out on core 0 (clocks of two
    cores differ slightly) must not leave the thread "off".
    A GIL event runs in the thread's own context, so it proves the thread is
    on that core: when its switch-in was not recorded (seen on VMs for
    switches out of the idle task), the thread is on CPU from that event on;
    each such inference is counted in `inferred`.
    """
    gil, cores = _initial(stream)
    out: list[tuple[str, int, int]] = []
    last_t = stream[0][0] if stream else t0_ns

    def emit(until: int) -> None:
        append_span(out, _state(gil, bool(cores)), last_t, until, t0_ns, t1_ns)

    for t, what, core in stream:
        emit(t)
        last_t = t
        if what == "exit":
            return out
        if what == "on":
            cores = {core}  # a task runs on one core at a time: this is where it is now
            continue
        if what == "off":
            cores.discard(core)
            continue
        if not cores and core >= 0:  # proof of life: the switch-in went unrecorded
            cores = {core}
            if inferred is not None:
                inferred.append(t)
        if what == "take":
            gil = "wait"
        elif what == "acquired":
            gil = "hold"
        elif what == "drop":
            gil = "none"
    emit(t1_ns)
    return out


def gil_intervals(events: pd.DataFrame, root_pid: int, t0_ns: int, t1_ns: int) -> pd.DataFrame:
    """pid, tid, state, start_us, end_us (microseconds from t0) for the runner's tree.

    `frame.attrs["inferred_switch_ins"]` counts switch-ins inferred from proof of life.
    """
    owner = tid_owner(events, tree_pids(events, root_pid))
    inferred: list[int] = []
    rows = [
        (owner[tid], tid, state, (s - t0_ns) / 1000.0, (e - t0_ns) / 1000.0)
        for tid, stream in _thread_streams(events, owner).items()
        for state, s, e in thread_intervals(stream, t0_ns, t1_ns, inferred)
    ]
    frame = pd.DataFrame(rows, columns=INTERVAL_COLUMNS)
    frame = frame.sort_values(["pid", "tid", "start_us"], ignore_index=True)
    frame.attrs["inferred_switch_ins"] = sum(t0_ns <= t <= t1_ns for t in inferred)
    return frame


def gil_events_us(events: pd.DataFrame, t0_ns: int, t1_ns: int) -> pd.DataFrame:
    """tid and t_us (from t0, the intervals' clock) of every take, acquired and drop in [t0, t1]."""
    gil = events[events["kind"].isin(("take", "acquired", "drop"))]
    gil = gil[(gil["t_ns"] >= t0_ns) & (gil["t_ns"] <= t1_ns)]
    return pd.DataFrame({"tid": gil["tid"], "t_us": (gil["t_ns"] - t0_ns) / 1000.0})


Window = float | Mapping[int, float] | None  # one window, one per pid, or each thread's lifetime


def state_shares(intervals: pd.DataFrame, window_us: Window = None) -> pd.DataFrame:
    """Per thread: the percentage of the model run's window in each state.

    One denominator for the threads of a process: the window (`wall_s`; a
    number, or per pid the window less the time perf's probes stalled that
    process), so the hold shares of one process's threads add up to at most
    100% (one holder at a time). `lifetime_s` is the part of the window the
    thread was seen in; without a window, each thread's own lifetime is the
    denominator. Intervals of other states (the probes' own time) count in the
    lifetime only.
    """
    dur = intervals.assign(dur_us=intervals["end_us"] - intervals["start_us"])
    table = dur.pivot_table(
        index=["pid", "tid"], columns="state", values="dur_us", aggfunc="sum", fill_value=0.0
    )
    lifetime_us = table.sum(axis=1)
    table = table.reindex(columns=list(STATES), fill_value=0.0)
    denominator = _per_row(window_us, table.index, lifetime_us)
    shares = table.div(denominator, axis=0) * 100.0
    shares.columns = [f"{c}_pct" for c in shares.columns]
    shares.insert(0, "lifetime_s", lifetime_us / 1e6)
    shares.insert(0, "wall_s", denominator / 1e6)
    return shares.reset_index()


def _per_row(window_us: Window, index: pd.Index, lifetime_us: pd.Series) -> pd.Series:
    if window_us is None:
        return lifetime_us
    if isinstance(window_us, Mapping):
        pids = index.get_level_values("pid")
        return pd.Series([window_us[int(p)] for p in pids], index=index, dtype=float)
    return pd.Series(window_us, index=index, dtype=float)


def process_shares(intervals: pd.DataFrame, window_us: float | Mapping[int, float]) -> pd.DataFrame:
    """Per process: share of its window in which some thread holds / some thread waits."""
    rows = []
    for pid, proc in intervals.groupby("pid"):
        window = window_us[_int(pid)] if isinstance(window_us, Mapping) else window_us
        rows.append(
            {
                "pid": _int(pid),
                "gil_busy_pct": union_us(proc[proc["state"].isin(("hold", "hold_preempted"))])
                / window
                * 100.0,
                # waits can go on while the probes stall the process (not in the window)
                "gil_contended_pct": min(
                    100.0, union_us(proc[proc["state"] == "wait"]) / window * 100.0
                ),
            }
        )
    return pd.DataFrame(rows, columns=["pid", "gil_busy_pct", "gil_contended_pct"])


def _int(value: object) -> int:
    """A groupby key (typed as Hashable by pandas) as int."""
    return int(str(value))
