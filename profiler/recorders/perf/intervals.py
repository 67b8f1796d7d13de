"""The runner's processes and threads in perf's events, and each thread's states as spans."""

from __future__ import annotations

import pandas as pd

INTERVAL_COLUMNS = ["pid", "tid", "state", "start_us", "end_us"]


PROBE_KINDS = ("take", "acquired", "drop", "park", "unparked", "stw_start", "stw_end")


def tree_pids(events: pd.DataFrame, root_pid: int) -> set[int]:
    """The root and every process forked below it (tids from fork events that act as pids),
    and every process perf's probes fired in: perf follows only the processes it was
    attached to and their children (`concprof attach`: children started before it)."""
    forks = events[events["kind"] == "fork"]
    probed = set(events.loc[events["kind"].isin(PROBE_KINDS), "pid"].astype(int))
    inside = {root_pid} | probed
    for parent, child in zip(forks["a"], forks["b"], strict=True):
        if parent in inside:
            inside.add(int(child))
    seen_pids = set(events["pid"].unique())
    return {p for p in inside if p in seen_pids or p == root_pid}


def tid_owner(events: pd.DataFrame, pids: set[int]) -> dict[int, int]:
    """OS tid -> pid for every thread of the given processes."""
    own = events[events["pid"].isin(pids)][["tid", "pid"]].drop_duplicates("tid")
    return dict(zip(own["tid"].astype(int), own["pid"].astype(int), strict=True))


Span = tuple[str, int, int]  # (state, start_ns, end_ns)


def append_span(out: list[Span], state: str, start: int, end: int, t0: int, t1: int) -> None:
    """Add a thread's state from start to end, clipped to [t0, t1]; a span that continues
    the last one in the same state extends it."""
    start, end = max(start, t0), min(end, t1)
    if end <= start:
        return
    if out and out[-1][0] == state and out[-1][2] == start:
        out[-1] = (state, out[-1][1], end)
    else:
        out.append((state, start, end))
