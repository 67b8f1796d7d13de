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
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

HOLDING = ("hold", "hold_preempted")
_LINE = re.compile(r":\d+\)$")
NOBODY = -1
NO_SAMPLES = "(no samples)"
MATRIX_COLUMNS = ["pid", "waiter_tid", "holder_tid", "holder_state", "waited_s"]


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


CROWD = -2  # a tid standing for all the threads of one kind (a thread per request)
CROWD_SIZE = 10  # threads of one kind from which they are blamed as one


def crowds(kinds: Mapping[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """(pid, tid) -> its kind, for threads whose kind has CROWD_SIZE threads or more."""
    sizes: dict[tuple[int, str], int] = {}
    for (pid, _), kind in kinds.items():
        if kind:
            sizes[(pid, kind)] = sizes.get((pid, kind), 0) + 1
    return {
        (pid, tid): f"{kind} ({sizes[(pid, kind)]} threads)"
        for (pid, tid), kind in kinds.items()
        if kind and sizes[(pid, kind)] >= CROWD_SIZE
    }


def blame(
    matrix: pd.DataFrame,
    stacks: pd.DataFrame | None,
    kinds: Mapping[tuple[int, int], str] | None = None,
) -> pd.DataFrame:
    """The waiting each holder caused, split over GIL-holding stacks (py-spy: pid, tid,
    samples, leaf, stack); ranked by waiting caused.

    Threads of a kind with CROWD_SIZE members or more (the same name but for its
    digits, e.g. one thread per request) are one holder and one waiter, tid CROWD,
    named in `holder_crowd` / `waiter_crowd`. `basis` says whose samples split a
    holder's time: its own (`thread`, or its crowd's: `kind`), else, when it has
    none (too short-lived for the sampler), all its process's threads' (`process`);
    no samples at all: "(no samples)"."""
    crowd = crowds(kinds or {})
    caused = matrix[matrix["holder_tid"] != NOBODY].copy()
    for role in ("holder", "waiter"):
        keys = list(zip(caused["pid"], caused[f"{role}_tid"], strict=True))
        caused[f"{role}_crowd"] = [crowd.get((int(p), int(t)), "") for p, t in keys]
        caused[f"{role}_key"] = caused[f"{role}_tid"].where(caused[f"{role}_crowd"] == "", CROWD)
    group = ["pid", "holder_key", "holder_crowd", "waiter_key", "waiter_crowd", "holder_state"]
    summed = caused.groupby(group, as_index=False).agg(waited_s=("waited_s", "sum"))
    known = stacks if stacks is not None else pd.DataFrame(columns=["pid", "tid", "samples"])
    known = known[known["samples"] > 0]
    members: dict[tuple[int, str], list[int]] = {}
    for (member_pid, member_tid), crowd_label in crowd.items():
        members.setdefault((member_pid, crowd_label), []).append(member_tid)
    rows = []
    for key, per in summed.groupby(["pid", "holder_key", "holder_crowd"]):
        pid_, holder, label = (str(k) for k in key)
        p, h = int(pid_), int(holder)
        tids = members.get((p, label), []) if h == CROWD else [h]
        mine, basis = _samples_for(known, p, tids, "kind" if h == CROWD else "thread")
        total = float(mine["samples"].sum())
        records: list[dict[Hashable, Any]] = per.to_dict("records")
        for r in records:
            head = (p, h, r["holder_state"])
            tail = (r["waiter_key"], label, r["waiter_crowd"])
            if total == 0:
                rows.append((*head, NO_SAMPLES, "", r["waited_s"], 0, "", *tail))
                continue
            for leaf, stack, n in zip(mine["leaf"], mine["stack"], mine["samples"], strict=True):
                share = r["waited_s"] * n / total
                rows.append((*head, function_of(leaf), stack, share, int(n), basis, *tail))
    columns = ["pid", "holder_tid", "holder_state", "function", "stack", "waited_s", "samples"]
    columns += ["basis", "waiter_tid", "holder_crowd", "waiter_crowd"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("waited_s", ascending=False, ignore_index=True)


def _samples_for(
    known: pd.DataFrame, pid: int, tids: list[int], basis: str
) -> tuple[pd.DataFrame, str]:
    """The holder's (or its crowd's) samples, else its process's, stacks merged."""
    process = known[known["pid"] == pid]
    own = process[process["tid"].isin(tids)]
    if len(own):
        return _merged_stacks(own), basis
    return _merged_stacks(process), "process"


def _merged_stacks(samples: pd.DataFrame) -> pd.DataFrame:
    if samples.empty:
        return samples
    return samples.groupby(["leaf", "stack"], as_index=False).agg(samples=("samples", "sum"))


CONCPROF_THREAD = "concprof-"  # a thread concprof put in the program (the loop watchdog)


def thread_kind(name: str) -> str:
    """A thread's kind: its name without digits (`Thread-12 (process_request_thread)` and
    `Thread-13 (...)` are one kind; threads nobody named, `tid 123`, are one kind too)."""
    return "(unnamed)" if name.startswith("tid ") else re.sub(r"\d+", "#", name)


NO_FRAME = "(no Python frame)"  # a holding sample whose stack was empty (start-up, C code)


def function_of(frame: str) -> str:
    """py-spy's `name (file:line)` as `name (file)`: one function, whichever line it was on."""
    return _LINE.sub(")", frame) if frame else NO_FRAME


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
