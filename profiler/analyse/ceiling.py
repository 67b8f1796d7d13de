"""The ceiling the GIL puts on thread speedup, from one perf recording.

Ceiling (Amdahl's law with the GIL as the serial part): of the work the
threads did (on CPU: holding or running without the GIL), the held part runs
one thread at a time; the rest could run on N = min(cores, threads that
wanted to run at once, sustained) cores at once. That CPU work can run at most 1 / (h + (1 - h) / N)
times faster than on one thread, h = held / work. Assumes the work is the same
on one thread (no waits) and that nothing but the GIL serialises it (no locks).
Time the working threads spent blocked (I/O, sleeps: `blocked_s`) is not
work: threads overlap it, and a run that blocks a lot can beat this ceiling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from profiler.analyse.blame import HOLDING
from profiler.spans import merged_spans, union_us

CEILING_COLUMNS = [
    "pid",
    "window_s",
    "gil_busy_s",
    "serialised_s",
    "serialised_pct",
    "work_s",
    "blocked_s",
    "held_fraction",
    "threads_working",  # threads that wanted to run at once (sustained_concurrency)
    "cores",
    "ceiling_speedup",
    "assumptions",
]
ASSUMPTIONS = (
    "Amdahl with the GIL as the serial part, for the threads' CPU work: held work runs one "
    "thread at a time, the rest on min(cores, threads that worked) cores; the same work on "
    "one thread, nothing else serialising it. Blocked time (I/O, sleep: blocked_s) is not "
    "work: threads overlap it, so a run that blocks a lot can beat the ceiling"
)


def ceiling(intervals: pd.DataFrame, cores: int) -> pd.DataFrame:
    """Per process: GIL busy, serialised time (held while another waited), the threads' work,
    the held fraction of it and the speedup ceiling it implies (module docstring)."""
    rows = []
    for pid, proc in intervals.groupby("pid"):
        window_us = float(proc["end_us"].max() - proc["start_us"].min())
        held = proc[proc["state"].isin(HOLDING)]
        busy_us = union_us(held)
        serial_us = _held_while_waited_us(proc)
        dur = proc["end_us"] - proc["start_us"]
        work = dur[proc["state"].isin(("hold", "nogil_running"))].groupby(proc["tid"]).sum()
        work_us = float(work.sum())
        held_us = float(dur[proc["state"] == "hold"].sum())
        busy = work[work > 0]
        working = sustained_concurrency(proc, window_us)
        blocked = dur[(proc["state"] == "blocked") & proc["tid"].isin(busy.index)].sum()
        n = max(1, min(cores, working))
        h = held_us / work_us if work_us > 0 else float("nan")
        rows.append(
            {
                "pid": int(str(pid)),
                "window_s": window_us / 1e6,
                "gil_busy_s": busy_us / 1e6,
                "serialised_s": serial_us / 1e6,
                "serialised_pct": serial_us / window_us * 100.0 if window_us > 0 else np.nan,
                "work_s": work_us / 1e6,
                "blocked_s": float(blocked) / 1e6,
                "held_fraction": h,
                "threads_working": working,
                "cores": cores,
                "ceiling_speedup": 1.0 / (h + (1.0 - h) / n) if h == h else np.nan,
                "assumptions": ASSUMPTIONS,
            }
        )
    return pd.DataFrame(rows, columns=CEILING_COLUMNS)


SUSTAINED_SHARE = 0.01  # a concurrency level counts when held for this share of the window


def sustained_concurrency(proc: pd.DataFrame, window_us: float) -> int:
    """How many threads wanted to run Python at once (holding, waiting or running without
    the GIL), at the highest level held for SUSTAINED_SHARE of the window: threads that
    merely overlap for a moment, as a thread per request does, do not count."""
    active = proc[proc["state"].isin(("hold", "hold_preempted", "wait", "nogil_running"))]
    if active.empty or window_us <= 0:
        return 0
    times = np.concatenate([active["start_us"].to_numpy(float), active["end_us"].to_numpy(float)])
    steps = np.concatenate([np.ones(len(active)), -np.ones(len(active))])
    order = np.lexsort((steps, times))  # at one instant, ends before starts
    times, level = times[order], np.cumsum(steps[order])
    spans = np.diff(times)  # level[i] holds from times[i] to times[i + 1]
    at_least = [float(spans[level[:-1] >= k].sum()) for k in range(1, int(level.max()) + 1)]
    sustained = [k for k, t in enumerate(at_least, 1) if t >= SUSTAINED_SHARE * window_us]
    return max(sustained, default=1)


def _held_while_waited_us(proc: pd.DataFrame) -> float:
    """Time in which some thread held the GIL and another waited for it."""
    held = merged_spans(proc[proc["state"].isin(HOLDING)])
    waited = merged_spans(proc[proc["state"] == "wait"])
    total, j = 0.0, 0
    for s, e in held:
        while j < len(waited) and waited[j][1] <= s:
            j += 1
        k = j
        while k < len(waited) and waited[k][0] < e:
            total += max(0.0, min(e, waited[k][1]) - max(s, waited[k][0]))
            k += 1
    return total
