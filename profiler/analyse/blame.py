"""GIL blame: who made whom wait, running what, and the ceiling the GIL puts on threads.

Exact part (perf): every `wait` interval of a thread overlaps the `hold` and
`hold_preempted` intervals of the other threads of its process; the overlap is
waiting that thread caused, split by the holder's state (holding and running,
or holding while descheduled). Time of a wait in which no thread held the GIL
(the hand-over itself, perf's probes) is waiting caused by nobody (`holder_tid`
-1).

Sampled part (py-spy): what the holder was running. py-spy's raw output has no
timestamps, so a holder's waiting caused is split over the stacks of its own
GIL-holding samples in the whole recording, in proportion to their counts:
exact per (waiter, holder thread), an estimate per function, assuming the
holder's mix of code while others waited is its mix while holding at all. Each
row carries the samples behind it; a holder without samples keeps its exact
time under "(no samples)".

Ceiling (Amdahl's law with the GIL as the serial part): of the work the
threads did (on CPU: holding or running without the GIL), the held part runs
one thread at a time; the rest could run on N = min(cores, threads that
worked) cores at once. That CPU work can run at most 1 / (h + (1 - h) / N)
times faster than on one thread, h = held / work. Assumes the work is the same
on one thread (no waits) and that nothing but the GIL serialises it (no locks).
Time the working threads spent blocked (I/O, sleeps: `blocked_s`) is not
work: threads overlap it, and a run that blocks a lot can beat this ceiling.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

HOLDING = ("hold", "hold_preempted")
_LINE = re.compile(r":\d+\)$")
NOBODY = -1
NO_SAMPLES = "(no samples)"
MATRIX_COLUMNS = ["pid", "waiter_tid", "holder_tid", "holder_state", "waited_s"]
BLAME_COLUMNS = [
    "pid",
    "holder_tid",
    "holder_state",
    "function",
    "stack",
    "waiter_tid",
    "waited_s",
    "samples",
]
CEILING_COLUMNS = [
    "pid",
    "window_s",
    "gil_busy_s",
    "serialised_s",
    "serialised_pct",
    "work_s",
    "blocked_s",
    "held_fraction",
    "threads_working",
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


def wait_matrix(intervals: pd.DataFrame) -> pd.DataFrame:
    """pid, waiter_tid, holder_tid, holder_state, waited_s: every wait split by who held."""
    rows: list[tuple[int, int, int, str, float]] = []
    for pid, proc in intervals.groupby("pid"):
        holds = proc[proc["state"].isin(HOLDING)].sort_values("start_us")
        starts = holds["start_us"].to_numpy(dtype=float)
        ends = holds["end_us"].to_numpy(dtype=float)
        tids = holds["tid"].to_numpy()
        states = holds["state"].to_numpy()
        # holders never overlap (gil_checks): the ends are sorted as the starts are
        waits = proc[proc["state"] == "wait"]
        totals: dict[tuple[int, int, str], float] = {}
        for waiter, s, e in zip(waits["tid"], waits["start_us"], waits["end_us"], strict=True):
            first = int(np.searchsorted(ends, s, side="right"))
            covered = 0.0
            for k in range(first, len(starts)):
                if starts[k] >= e:
                    break
                if tids[k] == waiter:
                    continue
                overlap = min(e, ends[k]) - max(s, starts[k])
                if overlap > 0:
                    key = (int(waiter), int(tids[k]), str(states[k]))
                    totals[key] = totals.get(key, 0.0) + overlap
                    covered += overlap
            nobody = (e - s) - covered
            if nobody > 0:
                key = (int(waiter), NOBODY, "")
                totals[key] = totals.get(key, 0.0) + nobody
        p = int(str(pid))
        rows += [(p, w, h, st, us / 1e6) for (w, h, st), us in totals.items()]
    frame = pd.DataFrame(rows, columns=MATRIX_COLUMNS)
    return frame.sort_values("waited_s", ascending=False, ignore_index=True)


def blame(matrix: pd.DataFrame, stacks: pd.DataFrame | None) -> pd.DataFrame:
    """The waiting each holder caused, split over its GIL-holding stacks (py-spy: pid, tid,
    samples, leaf, stack). Ranked by waiting caused."""
    caused = matrix[matrix["holder_tid"] != NOBODY]
    known = stacks if stacks is not None else pd.DataFrame(columns=["pid", "tid", "samples"])
    known = known[known["samples"] > 0]
    rows = []
    for (pid, holder), per in caused.groupby(["pid", "holder_tid"]):
        mine = known[(known["pid"] == pid) & (known["tid"] == holder)]
        total = float(mine["samples"].sum())
        for waiter, state, waited in zip(
            per["waiter_tid"], per["holder_state"], per["waited_s"], strict=True
        ):
            if total == 0:
                rows.append((pid, holder, state, NO_SAMPLES, "", waiter, waited, 0))
                continue
            for leaf, stack, n in zip(mine["leaf"], mine["stack"], mine["samples"], strict=True):
                share = waited * n / total
                rows.append((pid, holder, state, function_of(leaf), stack, waiter, share, int(n)))
    frame = pd.DataFrame(rows, columns=BLAME_COLUMNS)
    return frame.sort_values("waited_s", ascending=False, ignore_index=True)


def function_of(frame: str) -> str:
    """py-spy's `name (file:line)` as `name (file)`: one function, whichever line it was on."""
    return _LINE.sub(")", frame)


def functions(blamed: pd.DataFrame) -> pd.DataFrame:
    """The ranked lists: holder_state `any` (all the waiting caused) and `hold_preempted`
    (caused while the holder was descheduled), by_function's columns."""
    return pd.concat(
        [
            by_function(blamed).assign(holder_state="any"),
            by_function(blamed, "hold_preempted").assign(holder_state="hold_preempted"),
        ],
        ignore_index=True,
    )


def by_function(blamed: pd.DataFrame, state: str | None = None) -> pd.DataFrame:
    """function, waited_s (it was running itself), waited_incl_s (it or what it called: any
    frame of the holder's stack), samples: the ranked list (one holder state, or both),
    ranked by its own time."""
    rows = blamed if state is None else blamed[blamed["holder_state"] == state]
    frames = rows.assign(frame=rows["stack"].map(_functions)).explode("frame")
    inclusive = frames.dropna(subset=["frame"]).groupby("frame")["waited_s"].sum()
    own = rows.groupby("function")["waited_s"].sum()
    # a holder's stack is on one row per waiter: its samples count once
    distinct = rows.drop_duplicates(["pid", "holder_tid", "stack"])
    samples = distinct.groupby("function")["samples"].sum()
    names = list(dict.fromkeys([*own.index, *inclusive.index]))
    ranked = pd.DataFrame({"function": names})
    ranked["waited_s"] = ranked["function"].map(own).fillna(0.0)
    ranked["waited_incl_s"] = ranked["function"].map(inclusive).fillna(ranked["waited_s"])
    ranked["samples"] = ranked["function"].map(samples).fillna(0).astype(int)
    ranked = ranked.sort_values(["waited_s", "waited_incl_s"], ascending=False, ignore_index=True)
    return ranked[["function", "waited_s", "waited_incl_s", "samples"]]


def _functions(stack: object) -> list[str]:
    """The distinct functions of a stack (each counts once however deep it recurses)."""
    if not isinstance(stack, str) or not stack:
        return []
    return list(dict.fromkeys(function_of(frame) for frame in stack.split(";")))


def ceiling(intervals: pd.DataFrame, cores: int) -> pd.DataFrame:
    """Per process: GIL busy, serialised time (held while another waited), the threads' work,
    the held fraction of it and the speedup ceiling it implies (module docstring)."""
    rows = []
    for pid, proc in intervals.groupby("pid"):
        window_us = float(proc["end_us"].max() - proc["start_us"].min())
        held = proc[proc["state"].isin(HOLDING)]
        busy_us = sum(e - s for s, e in _merged(held))
        serial_us = _held_while_waited_us(proc)
        dur = proc["end_us"] - proc["start_us"]
        work = dur[proc["state"].isin(("hold", "nogil_running"))].groupby(proc["tid"]).sum()
        work_us = float(work.sum())
        held_us = float(dur[proc["state"] == "hold"].sum())
        busy = work[work > 0.01 * max(work_us, 1.0)]
        working = len(busy)
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


def _held_while_waited_us(proc: pd.DataFrame) -> float:
    """Time in which some thread held the GIL and another waited for it."""
    held = _merged(proc[proc["state"].isin(HOLDING)])
    waited = _merged(proc[proc["state"] == "wait"])
    total, j = 0.0, 0
    for s, e in held:
        while j < len(waited) and waited[j][1] <= s:
            j += 1
        k = j
        while k < len(waited) and waited[k][0] < e:
            total += max(0.0, min(e, waited[k][1]) - max(s, waited[k][0]))
            k += 1
    return total


def _merged(spans: pd.DataFrame) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(zip(spans["start_us"], spans["end_us"], strict=True)):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((float(s), float(e)))
    return out
