"""The exact tier's observer effect: what perf's uprobes add to the waits they measure.

A uprobe costs a trap into the kernel: on this kind of VM about 1-4 µs per
hit. take_gil's entry and return probes bracket every acquisition, so each
`wait` interval holds the probes' own cost even when nobody else held the GIL:
a single-threaded process then shows GIL "contention" with no other thread.

Correction, calibrated on the trace itself:
- an acquisition is *uncontended* when no other thread of its process held
  the GIL at any instant of its wait (holders of one process never overlap,
  so this is a search in the sorted holds);
- the probe cost per acquisition is the median wait of the uncontended ones
  (at least MIN_UNCONTENDED of them; else contended waits keep their time);
- an uncontended wait becomes no wait at all; a contended one loses the
  probe cost (never below zero). The time removed goes to the thread's
  previous state (it had released the GIL and was running or blocked), so
  every thread's states still cover its lifetime.
The raw waits are kept (`wait_raw_us`) beside the corrected ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_MAX_SLOWDOWN = 1.5  # observed run / timing run that exact probes may cause (--max-slowdown)

MIN_UNCONTENDED = 5
HOLDING = ("hold", "hold_preempted")


@dataclass(frozen=True)
class ProbeCorrection:
    probe_wait_us: float  # the calibrated probe cost per acquisition (median uncontended wait)
    uncontended: int  # acquisitions no other thread delayed
    contended: int
    removed_us: float  # wait time removed in total
    raw_wait_us: dict[tuple[int, int], float]  # per (pid, tid): wait before the correction


def uncontended_mask(intervals: pd.DataFrame) -> np.ndarray:
    """For each wait interval: True when no other thread of its process held the GIL meanwhile."""
    mask = np.zeros(len(intervals), dtype=bool)
    waits = intervals["state"].to_numpy() == "wait"
    for pid, proc in intervals.groupby("pid", sort=False):
        holds = proc[proc["state"].isin(HOLDING)].sort_values("start_us")
        starts = holds["start_us"].to_numpy(dtype=float)
        ends = holds["end_us"].to_numpy(dtype=float)
        rows = np.flatnonzero(waits & (intervals["pid"].to_numpy() == pid))
        if len(rows) == 0:
            continue
        w_start = intervals["start_us"].to_numpy(dtype=float)[rows]
        w_end = intervals["end_us"].to_numpy(dtype=float)[rows]
        # the first hold that ends after the wait starts; it overlaps if it starts before the end
        first = np.searchsorted(ends, w_start, side="right")
        overlaps = np.zeros(len(rows), dtype=bool)
        inside = first < len(starts)
        overlaps[inside] = starts[first[inside]] < w_end[inside]
        mask[rows] = ~overlaps
    return mask


def correct_probe_cost(intervals: pd.DataFrame) -> tuple[pd.DataFrame, ProbeCorrection]:
    """Intervals with the probes' cost taken out of every wait, and what was done."""
    if intervals.empty:
        return intervals.assign(wait_raw_us=[]), ProbeCorrection(0.0, 0, 0, 0.0, {})
    frame = intervals.sort_values(["pid", "tid", "start_us"], ignore_index=True)
    is_wait = frame["state"].to_numpy() == "wait"
    duration = (frame["end_us"] - frame["start_us"]).to_numpy(dtype=float)
    free = uncontended_mask(frame) & is_wait
    contended = is_wait & ~free
    probe_us = float(np.median(duration[free])) if free.sum() >= MIN_UNCONTENDED else 0.0
    removed = np.where(free, duration, 0.0)
    removed = np.where(contended, np.minimum(duration, probe_us), removed)
    frame["wait_raw_us"] = np.where(is_wait, duration, np.nan)
    raw_wait = frame.groupby(["pid", "tid"])["wait_raw_us"].sum()
    starts = frame["start_us"].to_numpy(dtype=float) + removed
    ends = frame["end_us"].to_numpy(dtype=float).copy()
    # the previous interval of the same thread ends where the wait now starts
    same_thread = np.zeros(len(frame), dtype=bool)
    same_thread[1:] = (frame["tid"].to_numpy()[1:] == frame["tid"].to_numpy()[:-1]) & (
        frame["pid"].to_numpy()[1:] == frame["pid"].to_numpy()[:-1]
    )
    shift = (removed > 0) & same_thread
    previous = np.flatnonzero(shift) - 1
    ends[previous] = starts[previous + 1]
    frame["start_us"], frame["end_us"] = starts, ends
    orphan = (removed > 0) & ~same_thread  # a thread's first interval: a wait with no before
    if orphan.any():
        lead = frame.loc[orphan].copy()
        lead["state"] = "nogil_running"
        lead["end_us"] = lead["start_us"]
        lead["start_us"] = lead["start_us"] - removed[orphan]
        lead["wait_raw_us"] = np.nan
        frame = pd.concat([frame, lead], ignore_index=True)
    kept = frame[frame["end_us"] > frame["start_us"]]
    corrected = kept.sort_values(["pid", "tid", "start_us"], ignore_index=True)
    return corrected, ProbeCorrection(
        probe_wait_us=probe_us,
        uncontended=int(free.sum()),
        contended=int(contended.sum()),
        removed_us=float(removed.sum()),
        raw_wait_us={
            (int(pid), int(tid)): float(v)
            for pid, tid, v in zip(
                raw_wait.index.get_level_values(0),
                raw_wait.index.get_level_values(1),
                raw_wait.to_numpy(),
                strict=True,
            )
        },
    )
