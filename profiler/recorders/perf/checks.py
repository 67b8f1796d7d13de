"""Consistency checks on an exact GIL trace, and per-thread acquisition statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Checks:
    """Consistency checks on an exact trace; failures are reported, not hidden."""

    overlapping_holders: int = 0
    max_overlap_us: float = 0.0
    acquisitions_without_request: int = 0
    negative_intervals: int = 0
    inferred_switch_ins: int = 0  # not a failure: perf missed them, proof of life placed them
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.overlapping_holders or self.acquisitions_without_request or self.negative_intervals
        )


def check(intervals: pd.DataFrame, events: pd.DataFrame) -> Checks:
    result = Checks(inferred_switch_ins=int(intervals.attrs.get("inferred_switch_ins", 0)))
    result.negative_intervals = int((intervals["end_us"] < intervals["start_us"]).sum())
    holding = intervals[intervals["state"].isin(("hold", "hold_preempted"))]
    for _, proc in holding.groupby("pid"):
        proc = proc.sort_values("start_us")
        ends = proc["end_us"].to_numpy()
        starts = proc["start_us"].to_numpy()
        running_end = np.maximum.accumulate(ends)[:-1]
        overlap = running_end - starts[1:]
        bad = overlap > 0
        result.overlapping_holders += int(bad.sum())
        if bad.any():
            result.max_overlap_us = max(result.max_overlap_us, float(overlap[bad].max()))
    gil = events[events["kind"].isin(("take", "acquired")) & events["tid"].isin(intervals["tid"])]
    for _, thread in gil.groupby("tid"):
        kinds = thread["kind"].to_numpy()
        prev = np.concatenate([["acquired"], kinds[:-1]])
        first_is_acquired = kinds[0] == "acquired"  # requested before the trace began
        orphan = (kinds == "acquired") & (prev != "take")
        result.acquisitions_without_request += int(orphan.sum()) - int(first_is_acquired)
    if not result.ok:
        result.notes.append(
            f"{result.overlapping_holders} overlapping GIL holders "
            f"(max {result.max_overlap_us:.1f} us), "
            f"{result.acquisitions_without_request} acquisitions without a request, "
            f"{result.negative_intervals} negative intervals"
        )
    return result


def gil_stats(
    events: pd.DataFrame, intervals: pd.DataFrame, t0_ns: int, t1_ns: int
) -> pd.DataFrame:
    """Per thread: acquisitions, wait per acquisition (mean, p95), longest hold, hand-offs/s."""
    tids = set(intervals["tid"])
    gil = events[events["kind"].isin(("take", "acquired", "drop")) & events["tid"].isin(tids)]
    gil = gil[(gil["t_ns"] >= t0_ns) & (gil["t_ns"] <= t1_ns)]
    window_s = (t1_ns - t0_ns) / 1e9
    rows = []
    for (pid, tid), thread in gil.groupby(["pid", "tid"]):
        kinds, times = thread["kind"].to_numpy(), thread["t_ns"].to_numpy()
        waits, holds = [], []
        for i in range(1, len(kinds)):
            if kinds[i] == "acquired" and kinds[i - 1] == "take":
                waits.append((times[i] - times[i - 1]) / 1e3)
            if kinds[i] == "drop" and kinds[i - 1] == "acquired":
                holds.append((times[i] - times[i - 1]) / 1e3)
        acquisitions = int((kinds == "acquired").sum())
        rows.append(
            {
                "pid": _int(pid),
                "tid": _int(tid),
                "acquisitions": acquisitions,
                "wait_mean_us": float(np.mean(waits)) if waits else np.nan,
                "wait_p95_us": float(np.percentile(waits, 95)) if waits else np.nan,
                "wait_max_us": float(np.max(waits)) if waits else np.nan,
                "hold_mean_us": float(np.mean(holds)) if holds else np.nan,
                "hold_max_us": float(np.max(holds)) if holds else np.nan,
                "acquisitions_per_s": acquisitions / window_s if window_s > 0 else np.nan,
            }
        )
    stats = pd.DataFrame(rows)
    if stats.empty:
        return stats
    handoffs = _handoffs(gil)
    stats["handoffs_per_s"] = stats["pid"].map(handoffs).fillna(0) / window_s
    return stats


def _handoffs(gil: pd.DataFrame) -> dict[int, int]:
    """Per process: acquisitions by a different thread than the previous holder."""
    counts: dict[int, int] = {}
    acquired = gil[gil["kind"] == "acquired"].sort_values("t_ns")
    for pid, proc in acquired.groupby("pid"):
        tids = proc["tid"].to_numpy()
        counts[_int(pid)] = int((tids[1:] != tids[:-1]).sum())
    return counts


def _int(value: object) -> int:
    """A groupby key (typed as Hashable by pandas) as int."""
    return int(str(value))
