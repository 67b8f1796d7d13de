"""The event loop (the monitor's LoopReports: profiler.workload.hook.concprof_loop): its
stalls with the code inside them, per-loop statistics, the lag over time, and the
blockers ranked.

A stall is one callback or task step that ran at least the threshold; its `function` is
the innermost frame of the program's own code in the stacks sampled inside it (the
watchdog reads the loop thread's stack every quarter of the threshold: the commonest
such frame; none sampled, its coroutine), its `stack` the commonest sampled stack from
the task's coroutine down (frames of asyncio's loop and of concprof left out),
`cpu_pct` how much of it the thread computed rather than waited (its CPU clock from the
first sample to the end). Times are from `t0_ns` (the run's or the recording's start).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from profiler.rundir import read_doc
from profiler.workload.documents import LoopReport, LoopStall

STALL_COLUMNS = [
    "pid",
    "tid",
    "start_us",
    "duration_us",
    "cpu_pct",
    "task",
    "coroutine",
    "function",
    "file",
    "stack",
    "samples",
]
STATS_COLUMNS = [
    "pid",
    "tid",
    "window_s",
    "blocked_s",
    "blocked_pct",
    "steps",
    "stalls",
    "stall_ms",
    "lag_p50_ms",
    "lag_p95_ms",
    "lag_p99_ms",
    "lag_max_ms",
    "tasks_max",
]
LAG_COLUMNS = ["pid", "tid", "t_s", "callbacks", "lag_max_ms"]
BLOCKER_COLUMNS = [
    "function",
    "file",
    "stalls",
    "blocked_s",
    "blocked_pct",
    "mean_ms",
    "max_ms",
    "cpu_pct",
    "coroutines",
    "stack",
]
LOOP_MACHINERY = ("asyncio/events.py", "asyncio/base_events.py", "concprof_loop.py")
INLINE = ("<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>")  # their function's own (<3.12)


def recorded_loops(directory: Path) -> list[LoopReport]:
    """A recorded program's loops (raw/record/loop/loop-<pid>.json, by the start-up hook)."""
    loops: list[LoopReport] = []
    for path in sorted(directory.glob("loop-*.json")) if directory.is_dir() else []:
        doc = read_doc(path)
        if isinstance(doc, dict):
            loops += LoopReport.of_monitor(doc)
    return loops


def stalls(loops: Sequence[LoopReport], t0_ns: int) -> pd.DataFrame:
    """Every stall of every loop: STALL_COLUMNS."""
    rows = []
    for loop in loops:
        for s in loop.stalls:
            function, file = _blamed(s)
            stack = _stack(s)
            rows.append(
                (
                    loop.pid,
                    loop.tid,
                    round((s.start_ns - t0_ns) / 1e3, 3),
                    round(s.duration_ns / 1e3, 3),
                    round(100.0 * s.cpu_share, 2) if s.cpu_share >= 0 else np.nan,
                    s.task,
                    s.coroutine if s.coroutine_own else _own_root(s, stack),
                    function,
                    file,
                    stack,
                    sum(int(count) for count, _frames in s.samples),
                )
            )
    return pd.DataFrame(rows, columns=STALL_COLUMNS)


def stats(loops: Sequence[LoopReport]) -> pd.DataFrame:
    """Per loop: its window, the share of it inside stalls, the lag's percentiles."""
    rows = []
    for loop in loops:
        window_s = max(0, loop.last_ns - loop.first_ns) / 1e9
        blocked_s = sum(s.duration_ns for s in loop.stalls) / 1e9
        rows.append(
            (
                loop.pid,
                loop.tid,
                window_s,
                blocked_s,
                100.0 * blocked_s / window_s if window_s > 0 else np.nan,
                loop.steps,
                len(loop.stalls),
                loop.stall_ns / 1e6,
                *(_ms(v) for v in (loop.lag_p50_ns, loop.lag_p95_ns, loop.lag_p99_ns)),
                _ms(loop.lag_max_ns),
                loop.tasks_max,
            )
        )
    return pd.DataFrame(rows, columns=STATS_COLUMNS)


def lag(loops: Sequence[LoopReport], t0_ns: int) -> pd.DataFrame:
    """The lag over time: per bin of each loop, the callbacks started and their worst lag."""
    rows = [
        (loop.pid, loop.tid, (start - t0_ns) / 1e9, n, _ms(worst))
        for loop in loops
        for start, n, worst in loop.lag_series
    ]
    return pd.DataFrame(rows, columns=LAG_COLUMNS)


def blockers(stalled: pd.DataFrame, loop_stats: pd.DataFrame) -> pd.DataFrame:
    """The functions that blocked the loop, by stall time: BLOCKER_COLUMNS (blocked_pct of
    the loops' windows together)."""
    if stalled.empty:
        return pd.DataFrame(columns=BLOCKER_COLUMNS)
    window_s = float(loop_stats["window_s"].sum())
    rows = []
    for (function, file), per in stalled.groupby(["function", "file"], sort=False):
        duration_s = per["duration_us"] / 1e6
        cpu = per["cpu_pct"].astype(float)
        known_s = float(duration_s[cpu.notna()].sum())
        weighted = float((cpu * duration_s)[cpu.notna()].sum()) / known_s if known_s else np.nan
        rows.append(
            (
                function,
                file,
                len(per),
                float(duration_s.sum()),
                100.0 * float(duration_s.sum()) / window_s if window_s > 0 else np.nan,
                float(duration_s.mean()) * 1e3,
                float(duration_s.max()) * 1e3,
                weighted,
                ", ".join(sorted(set(per["coroutine"].astype(str)) - {""})),
                Counter(per["stack"]).most_common(1)[0][0],
            )
        )
    table = pd.DataFrame(rows, columns=BLOCKER_COLUMNS)
    return table.sort_values("blocked_s", ascending=False).reset_index(drop=True)


def _blamed(stall: LoopStall) -> tuple[str, str]:
    """The innermost frame of the program's own code (a comprehension counts as the function
    it is in), commonest over the samples (none of its own: the innermost frame); none
    sampled: its coroutine or callback."""
    found: Counter[tuple[str, str]] = Counter()
    for count, sample in stall.samples:
        frames = _task_frames(sample)
        own = [f for f in frames if f[3] and f[0].rsplit(".", 1)[-1] not in INLINE]
        chosen = (own or frames)[:1]
        for name, path, line, _own in chosen:
            found[(str(name), f"{path}:{line}")] += int(count)
    if found:
        return found.most_common(1)[0][0]
    return stall.coroutine or stall.callback, ""


def _task_frames(sample: Sequence[Sequence[object]]) -> list[tuple[str, str, int, bool]]:
    """A sample's frames (innermost first) above the loop's machinery: the task's own."""
    frames = []
    for name, path, line, own in sample:
        if str(path).endswith(LOOP_MACHINERY):
            break
        frames.append((str(name), str(path), int(str(line)), bool(own)))
    return frames


def _own_root(stall: LoopStall, stack: str) -> str:
    """The outermost frame of the program's own code in the stall's samples: the coroutine a
    harness (concprof's observed run) or a library wrapped (its task's coroutine is theirs)."""
    for _count, sample in stall.samples:
        own = [name for name, _p, _l, mine in _task_frames(sample) if mine]
        if own:
            return own[-1]
    return stall.coroutine or stack.split(";", 1)[0]


def _stack(stall: LoopStall) -> str:
    """The commonest sampled stack, root first, as `function (file)` frames joined by ;
    (from the program's own outermost frame when its task's coroutine is a harness's)."""
    stacks: Counter[str] = Counter()
    for count, sample in stall.samples:
        frames = _from_own(_task_frames(sample), stall.coroutine_own)
        if frames:
            names = (f"{name} ({os.path.basename(path)})" for name, path, _l, _o in frames)
            stacks[";".join(reversed(list(names)))] += int(count)
    if not stacks:
        return stall.coroutine or stall.callback
    return stacks.most_common(1)[0][0]


def _from_own(
    frames: list[tuple[str, str, int, bool]], coroutine_own: bool
) -> list[tuple[str, str, int, bool]]:
    """Innermost-first frames cut after the outermost own one, unless the task's coroutine
    is the program's own (then its whole stack is)."""
    own = [n for n, frame in enumerate(frames) if frame[3]]
    return frames if coroutine_own or not own else frames[: own[-1] + 1]


def _ms(ns: int) -> float:
    return ns / 1e6 if ns >= 0 else np.nan
