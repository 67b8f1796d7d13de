"""Exact per-thread states on a free-threaded build (no GIL), from perf events.

A thread's state at any instant: `lock_wait` (inside CPython's parking lot,
`_PyParkingLot_Park`, off CPU: where a thread waits on a contended PyMutex, a
per-object lock, a `threading.Lock`, an event, or for the world to restart
after a stop-the-world pause) or `parking` (inside it, on CPU: entering and
leaving it, perf's two probes included), else `running` (on CPU), `runnable`
(switched out while still runnable: preempted, waiting for a core) or
`blocked` (switched out asleep: I/O, sleep, a wait outside the parking lot).
Shares: lock_wait_pct counts both parking states, on_cpu_pct running and
parking. Built
from perf events (profiler.recorders.perf.load): park / unparked = entry to and
return from `_PyParkingLot_Park`; switch = on/off CPU with the outgoing
task's state. Stop-the-world pauses are per process: from `stop_the_world`
entered to `start_the_world` returned, in the thread that stopped it.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from profiler.recorders.perf.intervals import (
    INTERVAL_COLUMNS,
    append_span,
    tid_owner,
    tree_pids,
)
from profiler.schema import LOCK_STATES
from profiler.spans import union_us

LOCK_KINDS = ("park", "unparked", "stw_start", "stw_end")
STW_COLUMNS = ["pid", "tid", "start_us", "end_us"]

Stream = list[tuple[int, str, str]]  # (t_ns, what, switched-out state)


def has_lock_events(events: pd.DataFrame) -> bool:
    """The trace is a free-threaded build's: parking-lot probes, no GIL probes."""
    return bool(events["kind"].isin(LOCK_KINDS).any()) and not bool(
        events["kind"].isin(("take", "acquired", "drop")).any()
    )


def _streams(events: pd.DataFrame, owner: dict[int, int]) -> dict[int, Stream]:
    streams: dict[int, Stream] = defaultdict(list)
    parks = events[events["kind"].isin(("park", "unparked")) & events["tid"].isin(owner)]
    for t, tid, kind in zip(parks["t_ns"], parks["tid"], parks["kind"], strict=True):
        streams[int(tid)].append((int(t), str(kind), ""))
    sw = events[events["kind"] == "switch"]
    for t, prev, nxt, state in zip(sw["t_ns"], sw["a"], sw["b"], sw["state"], strict=True):
        if prev in owner:
            streams[int(prev)].append((int(t), "off", str(state)))
        if nxt in owner:
            streams[int(nxt)].append((int(t), "on", ""))
    ex = events[(events["kind"] == "exit") & events["a"].isin(owner)]
    for t, tid in zip(ex["t_ns"], ex["a"], strict=True):
        streams[int(tid)].append((int(t), "exit", ""))
    order = {"off": 0, "unparked": 1, "park": 2, "on": 3, "exit": 4}
    for stream in streams.values():
        stream.sort(key=lambda item: (item[0], order[item[1]]))
    return streams


def _state(parked: bool, on_cpu: bool, off_state: str) -> str:
    if parked:
        return "parking" if on_cpu else "lock_wait"
    if on_cpu:
        return "running"
    # sched_switch's prev_state: R (and R+) = preempted while runnable
    return "runnable" if off_state.startswith("R") else "blocked"


def thread_lock_intervals(stream: Stream, t0_ns: int, t1_ns: int) -> list[tuple[str, int, int]]:
    """(state, start_ns, end_ns) for one thread, clipped to [t0, t1], equal neighbours merged.

    Before its first event a thread is parked if its first parking event is a
    return, and off CPU (asleep) if its first CPU event is a switch-in.
    """
    first_park = next((w for _, w, _ in stream if w in ("park", "unparked")), "park")
    parked = first_park == "unparked"
    first_cpu = next((w for _, w, _ in stream if w in ("on", "off")), "off")
    on_cpu, off_state = first_cpu == "off", "S"
    out: list[tuple[str, int, int]] = []
    last_t = stream[0][0] if stream else t0_ns

    def emit(until: int) -> None:
        append_span(out, _state(parked, on_cpu, off_state), last_t, until, t0_ns, t1_ns)

    for t, what, state in stream:
        emit(t)
        last_t = t
        if what == "exit":
            return out
        if what == "on":
            on_cpu = True
        elif what == "off":
            on_cpu, off_state = False, state
        else:
            on_cpu = True  # a probe fires in the thread's own context: it is on a core
            parked = what == "park"
    emit(t1_ns)
    return out


def lock_intervals(events: pd.DataFrame, root_pid: int, t0_ns: int, t1_ns: int) -> pd.DataFrame:
    """pid, tid, state, start_us, end_us (microseconds from t0) for the runner's tree."""
    owner = tid_owner(events, tree_pids(events, root_pid))
    rows = [
        (owner[tid], tid, state, (s - t0_ns) / 1000.0, (e - t0_ns) / 1000.0)
        for tid, stream in _streams(events, owner).items()
        for state, s, e in thread_lock_intervals(stream, t0_ns, t1_ns)
    ]
    frame = pd.DataFrame(rows, columns=INTERVAL_COLUMNS)
    return frame.sort_values(["pid", "tid", "start_us"], ignore_index=True)


def stw_pauses(events: pd.DataFrame, root_pid: int, t0_ns: int, t1_ns: int) -> pd.DataFrame:
    """pid, tid (the thread that stopped the world), start_us, end_us of every pause in [t0, t1]."""
    pids = tree_pids(events, root_pid)
    stw = events[events["kind"].isin(("stw_start", "stw_end")) & events["pid"].isin(pids)]
    rows, open_at = [], {}
    for t, pid, tid, kind in zip(stw["t_ns"], stw["pid"], stw["tid"], stw["kind"], strict=True):
        if kind == "stw_start":
            open_at[int(tid)] = int(t)
        elif int(tid) in open_at:
            start = max(open_at.pop(int(tid)), t0_ns)
            end = min(int(t), t1_ns)
            if end > start:
                rows.append((int(pid), int(tid), (start - t0_ns) / 1e3, (end - t0_ns) / 1e3))
    return pd.DataFrame(rows, columns=STW_COLUMNS)


def lock_shares(intervals: pd.DataFrame, window_us: float) -> pd.DataFrame:
    """Per thread: % of the window running, runnable, in the parking lot (lock_wait_pct: on or
    off CPU), blocked; on CPU (running and parking); its lifetime in the window."""
    dur = intervals.assign(dur_us=intervals["end_us"] - intervals["start_us"])
    table = dur.pivot_table(
        index=["pid", "tid"], columns="state", values="dur_us", aggfunc="sum", fill_value=0.0
    )
    lifetime_us = table.sum(axis=1)
    table = table.reindex(columns=list(LOCK_STATES), fill_value=0.0)
    shares = table / window_us * 100.0
    shares.columns = [f"{c}_pct" for c in shares.columns]
    shares["on_cpu_pct"] = shares["running_pct"] + shares["parking_pct"]
    shares["lock_wait_pct"] += shares.pop("parking_pct")
    shares.insert(0, "lifetime_s", lifetime_us / 1e6)
    shares.insert(0, "wall_s", window_us / 1e6)
    return shares.reset_index()


def process_lock_shares(
    intervals: pd.DataFrame, pauses: pd.DataFrame, window_us: float
) -> pd.DataFrame:
    """Per process: % of the window some thread waits on a lock; the world stopped; pauses."""
    rows = []
    for pid, proc in intervals.groupby("pid"):
        mine = pauses[pauses["pid"] == pid]
        waiting = proc[proc["state"].isin(("parking", "lock_wait"))]
        rows.append(
            {
                "pid": int(str(pid)),
                "lock_contended_pct": union_us(waiting) / window_us * 100.0,
                "stw_pct": union_us(mine) / window_us * 100.0,
                "stw_pauses": len(mine),
            }
        )
    return pd.DataFrame(rows, columns=["pid", "lock_contended_pct", "stw_pct", "stw_pauses"])
