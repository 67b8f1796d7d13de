"""The exact tier's observer effect: the probes' own time, carved out of the states it inflates.

A uprobe hit traps into the kernel: on this kind of VM about 2-4 µs. Every
interval between two GIL events of a thread (hold: acquired..drop; released:
drop..take; wait: take..acquired) holds about one hit's cost, whatever part
of it falls before or after the timestamp (docs/measurement.md: cpu-clock
samples inside the probe machinery split 3.2 / 3.3 / 2.5+0.8 µs per cycle
across hold / released / wait on the `syscalls` loop). So:

- an acquisition is *uncontended* when no other thread of its process held
  the GIL at any instant of its wait (holders of one process never overlap:
  a search in the sorted holds); its whole wait is probe time;
- the cost of one hit, `probe_us`, is the median uncontended wait (at least
  MIN_UNCONTENDED of them; else only the uncontended waits are carved);
- the first `probe_us` of every interval that starts at a GIL event and runs
  on CPU (hold, nogil_running, a contended wait) is probe time too.
Probe time becomes intervals of state `probe` (column `probe_of`: the state
it was carved from), so the raw states can be rebuilt and every thread's
intervals still cover its life. A process is *stalled by the probes* while
one of its threads is in a probe and none holds the GIL or runs without it:
that time would not exist without perf, so shares are taken of the window
less it (`stall_us`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from profiler.schema import PROBE  # the state of perf's own time, carved out of the others

MIN_UNCONTENDED = 5
HOLDING = ("hold", "hold_preempted")
ON_CPU_AFTER_EVENT = ("hold", "nogil_running", "wait")  # where a hit's cost lands
WORKING = ("hold", "hold_preempted", "nogil_running")  # a process doing its own work


@dataclass(frozen=True)
class ProbeCorrection:
    probe_us: float  # the calibrated cost of one probe hit (median uncontended wait)
    uncontended: int  # acquisitions no other thread delayed
    contended: int
    removed_us: float  # probe time carved out of all states
    wait_removed_us: float  # of which out of waits
    stall_us: dict[int, float]  # per pid: time the probes stalled the whole process


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


def correct_probe_cost(
    intervals: pd.DataFrame, gil_events_us: pd.DataFrame
) -> tuple[pd.DataFrame, ProbeCorrection]:
    """Intervals with every hit's cost carved out as `probe` intervals, and what was done.

    `gil_events_us`: tid and t_us (same clock as the intervals) of every
    take, acquired and drop event of the trace.
    """
    if intervals.empty:
        return intervals.assign(probe_of=pd.Series(dtype=object)), ProbeCorrection(
            0.0, 0, 0, 0.0, 0.0, {}
        )
    frame = intervals.sort_values(["pid", "tid", "start_us"], ignore_index=True)
    state = frame["state"].to_numpy()
    is_wait = state == "wait"
    starts = frame["start_us"].to_numpy(dtype=float)
    duration = frame["end_us"].to_numpy(dtype=float) - starts
    free = uncontended_mask(frame) & is_wait
    contended = is_wait & ~free
    probe_us = float(np.median(duration[free])) if free.sum() >= MIN_UNCONTENDED else 0.0
    at_event = pd.MultiIndex.from_arrays([frame["tid"], frame["start_us"]]).isin(
        pd.MultiIndex.from_arrays([gil_events_us["tid"], gil_events_us["t_us"]])
    )
    carve = np.where(
        at_event & np.isin(state, ON_CPU_AFTER_EVENT), np.minimum(duration, probe_us), 0.0
    )
    carve = np.where(free, duration, carve)  # nobody else held it: all of it was the probes
    cut = carve > 0
    pieces = frame.loc[cut].assign(state=PROBE, probe_of=state[cut])
    pieces["end_us"] = starts[cut] + carve[cut]
    rest = frame.assign(start_us=starts + carve, probe_of=None)
    corrected = pd.concat([rest[rest["end_us"] > rest["start_us"]], pieces], ignore_index=True)
    corrected = corrected.sort_values(["pid", "tid", "start_us"], ignore_index=True)
    return corrected, ProbeCorrection(
        probe_us=probe_us,
        uncontended=int(free.sum()),
        contended=int(contended.sum()),
        removed_us=float(carve.sum()),
        wait_removed_us=float(carve[is_wait].sum()),
        stall_us=stalled_us(corrected),
    )


def stalled_us(intervals: pd.DataFrame) -> dict[int, float]:
    """Per pid: time some thread was in a probe while none held the GIL or ran without it."""
    out: dict[int, float] = {}
    for pid, proc in intervals.groupby("pid", sort=False):
        probes = proc[proc["state"] == PROBE]
        working = proc[proc["state"].isin(WORKING)]
        times = np.concatenate(
            [probes["start_us"], probes["end_us"], working["start_us"], working["end_us"]]
        ).astype(float)
        d_probe = np.concatenate([np.ones(len(probes)), -np.ones(len(probes))])
        d_work = np.concatenate([np.ones(len(working)), -np.ones(len(working))])
        d_probe = np.concatenate([d_probe, np.zeros(2 * len(working))])
        d_work = np.concatenate([np.zeros(2 * len(probes)), d_work])
        order = np.argsort(times, kind="stable")
        times, d_probe, d_work = times[order], d_probe[order], d_work[order]
        in_probe, in_work = np.cumsum(d_probe), np.cumsum(d_work)
        gaps = np.diff(times)
        stalled = (in_probe[:-1] > 0) & (in_work[:-1] <= 0)
        out[int(str(pid))] = float(gaps[stalled].sum()) if len(gaps) else 0.0
    return out


def raw_shares_us(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per (pid, tid): hold (on CPU) and wait time before the correction, and the probe time."""
    raw_state = intervals["state"].where(intervals["state"] != PROBE, intervals["probe_of"])
    dur = intervals["end_us"] - intervals["start_us"]
    frame = pd.DataFrame(
        {
            "pid": intervals["pid"],
            "tid": intervals["tid"],
            "hold_raw_us": dur.where(raw_state == "hold", 0.0),
            "wait_raw_us": dur.where(raw_state == "wait", 0.0),
            "probe_s": dur.where(intervals["state"] == PROBE, 0.0) / 1e6,
        }
    )
    return frame.groupby(["pid", "tid"], as_index=False).sum()
