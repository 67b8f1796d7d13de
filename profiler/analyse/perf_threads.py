"""The runner's processes and threads in perf's events, and the time a set of intervals covers."""

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


def union_us(spans: pd.DataFrame) -> float:
    """Time covered by the union of [start_us, end_us) spans (overlaps counted once)."""
    if spans.empty:
        return 0.0
    spans = spans.sort_values("start_us")
    total, cur_s, cur_e = 0.0, None, None
    for s, e in zip(spans["start_us"], spans["end_us"], strict=True):
        if cur_e is None or s > cur_e:
            if cur_e is not None and cur_s is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None and cur_s is not None:
        total += cur_e - cur_s
    return float(total)
