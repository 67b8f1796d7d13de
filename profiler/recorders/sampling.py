"""Per-thread shares from the samplers: py-spy (GIL holder) and procfs (on CPU).

py-spy: GIL share = GIL-holding samples / sampling rounds in the window.
The rounds are counted by the reference process (profiler.workload.models.reference):
then the 95% error is the binomial half-width 1.96 sqrt(p(1-p)/n), n rounds.
Without it the rounds are only expected, rate x window, and py-spy's rounds
are a Poisson process: the count itself varies, and the error is
1.96 sqrt(p/n). Both add 1/n (one sample). Samples before the window
(interpreter start-up, in MainThread) are counted too: py-spy's raw output
has no timestamps.
procfs: on-CPU share = schedstat on-CPU ns gained within the window / window;
its error is one poll interval at each end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

ROUND_EFFICIENCY = 0.8  # py-spy's counted rounds per second / its nominal rate, under load
MAX_PASSES = 20  # an observed run repeats a short model run at most this often


def rounds_needed(error_pct: float) -> int:
    """Sampling rounds for a 95% error of at most `error_pct` points on any share.

    The binomial half-width is largest at p = 1/2: 1.96 sqrt(1/4n) <= e, plus the
    one-sample term 1/n.
    """
    e = error_pct / 100.0
    n = (1.96 * 0.5 / e) ** 2
    return math.ceil(n + 1.0 / e)


def passes_for(error_pct: float, rate_hz: float, wall_s: float, timeout_s: float) -> int:
    """How many passes of a model run of `wall_s` give a sampler enough rounds.

    At most MAX_PASSES, and never so many that the observed run nears its
    timeout; a run long enough on its own gets 1.
    """
    if wall_s <= 0:
        return 1
    window_s = rounds_needed(error_pct) / (rate_hz * ROUND_EFFICIENCY)
    wanted = math.ceil(window_s / wall_s)
    affordable = max(1, int(timeout_s / 2 / wall_s))
    return max(1, min(wanted, MAX_PASSES, affordable))


def native_tids(samples: pd.DataFrame, idents: dict[tuple[int, int], int]) -> pd.DataFrame:
    """py-spy's thread ids as OS thread ids.

    On Python < 3.11 py-spy reads the native id from the OS, which can fail
    (--nonblocking); it then reports the pthread ident, which the runner noted
    for every thread: (pid, ident) -> native tid.
    """
    if samples.empty or not idents:
        return samples
    keys = list(zip(samples["pid"].astype(int), samples["tid"].astype(int), strict=True))
    mapped = [idents.get(key, key[1]) for key in keys]
    return samples.assign(tid=np.array(mapped, dtype=np.int64))


def pyspy_shares(
    samples: pd.DataFrame, rate_hz: float, window_s: float, rounds: int | None = None
) -> pd.DataFrame:
    """pid, tid, gil_hold_pct, gil_hold_err_pct; `rounds` counted, or None (expected only)."""
    per_thread = samples.groupby(["pid", "tid"], as_index=False).agg(samples=("samples", "sum"))
    n = float(rounds) if rounds else max(1.0, rate_hz * window_s)
    p = np.clip(per_thread["samples"] / n, 0.0, 1.0)
    per_thread["gil_hold_pct"] = p * 100.0
    per_thread["gil_hold_err_pct"] = sampled_error_pct(p, n, bool(rounds))
    return per_thread.drop(columns="samples")


def late_found(
    found_ns: Mapping[int, int],
    started_ns: Mapping[int, int],
    ended_ns: Mapping[int, int],
    window_ns: tuple[int, int],
) -> dict[int, tuple[float, float]]:
    """pid -> (extrapolation factor, % of its life in the window py-spy missed).

    py-spy finds a new process by polling (every 100 ms), then needs tens of
    ms to find its interpreter: a worker that starts inside the model run is
    unsampled for its first 50-150 ms, which is a large part of a short run.
    Its samples cover only [found, end] of its life [start, end] in the
    window; assuming the missed part behaved like the rest, its shares are
    scaled by (end - start) / (end - found), errors too. A process py-spy
    never found within its life gets no factor (its cells stay empty).
    """
    t0, t1 = window_ns
    out: dict[int, tuple[float, float]] = {}
    for pid, found in found_ns.items():
        if pid not in started_ns:
            continue
        start = max(t0, started_ns[pid])
        end = min(t1, ended_ns.get(pid, t1))
        if end <= start or found <= start:
            continue
        missed = min(found, end) - start
        factor = (end - start) / (end - found) if found < end else float("nan")
        out[pid] = (factor, missed / (end - start) * 100.0)
    return out


def extrapolate(
    threads: pd.DataFrame, processes: pd.DataFrame, late: Mapping[int, tuple[float, float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """py-spy's thread and process shares with late-found processes extrapolated (late_found).

    processes gains `unsampled_pct`: the part of the process's life py-spy missed.
    """
    factor = {pid: f for pid, (f, _) in late.items()}
    missed = {pid: m for pid, (_, m) in late.items()}
    threads, processes = threads.copy(), processes.copy()
    for frame, columns in (
        (threads, ["gil_hold_pct", "gil_hold_err_pct"]),
        (processes, ["gil_busy_pct", "gil_busy_err_pct"]),
    ):
        scale = frame["pid"].map(factor).fillna(1.0).astype(float)
        for column in columns:
            frame[column] = (frame[column] * scale).clip(upper=100.0)
    processes["unsampled_pct"] = processes["pid"].map(missed).fillna(0.0).astype(float)
    return threads, processes


def sampled_error_pct(p: np.ndarray | pd.Series, n: float, counted: bool) -> np.ndarray:
    """95% error, in points, of a sampled share p over n rounds (module docstring)."""
    spread = p * (1 - p) if counted else p
    return np.asarray(1.96 * np.sqrt(spread / n) * 100.0 + 100.0 / n)


def pyspy_process_shares(
    samples: pd.DataFrame, rate_hz: float, window_s: float, rounds: int | None = None
) -> pd.DataFrame:
    """pid, gil_busy_pct, gil_busy_err_pct, sample_rounds: some thread of the process holds the GIL.

    One holder per process per round, so the process's share is its threads'
    samples over the rounds, with its own (binomial) error.
    """
    per_pid = samples.groupby("pid", as_index=False).agg(samples=("samples", "sum"))
    n = float(rounds) if rounds else max(1.0, rate_hz * window_s)
    p = np.clip(per_pid["samples"] / n, 0.0, 1.0)
    per_pid["gil_busy_pct"] = p * 100.0
    per_pid["gil_busy_err_pct"] = sampled_error_pct(p, n, bool(rounds))
    per_pid["sample_rounds"] = int(n)
    return per_pid.drop(columns="samples")


def procfs_shares(threads: pd.DataFrame, window_us: float, interval_s: float) -> pd.DataFrame:
    """pid, tid, on_cpu_pct, on_cpu_err_pct, cpu_s (whole lifetime), vcs, nvcs."""
    rows = []
    for (pid, tid), t in threads.sort_values("t_us").groupby(["pid", "tid"]):
        inside = t[(t["t_us"] >= 0) & (t["t_us"] <= window_us)]
        after = t[t["t_us"] > window_us].head(1)
        before = t[t["t_us"] < 0].tail(1)
        window = pd.concat([before, inside, after])
        gained = (
            float(window["oncpu_ns"].max() - window["oncpu_ns"].min()) if len(window) > 1 else 0.0
        )
        status = t[t["vcs"] >= 0]
        rows.append(
            {
                "pid": int(str(pid)),
                "tid": int(str(tid)),
                "on_cpu_pct": min(100.0, gained / 1e3 / window_us * 100.0),
                "on_cpu_err_pct": 2 * interval_s * 1e6 / window_us * 100.0,
                "cpu_s": float(t["oncpu_ns"].max()) / 1e9,
                "voluntary_switches": int(status["vcs"].max()) if len(status) else -1,
                "involuntary_switches": int(status["nvcs"].max()) if len(status) else -1,
            }
        )
    return pd.DataFrame(rows)


MIN_RATE_WINDOW_S = 0.2  # a shorter window has too few status reads (every 50 ms) for a rate


def switch_rates_hz(threads: pd.DataFrame, window_us: float) -> dict[int, float]:
    """pid -> its threads' voluntary context switches per second of the window (procfs).

    A thread that waits for the GIL, for a lock or for I/O blocks: one voluntary
    switch. Each thread's count is the difference between its last status read
    in the window (or the first after it) and its last before it (or the first
    in it); a process's rate is its threads' counts over the window (threads
    that lived one after another do not add up as if side by side). A window
    shorter than MIN_RATE_WINDOW_S gives no rate.
    """
    window_s = window_us / 1e6
    if window_s < MIN_RATE_WINDOW_S:
        return {}
    status = threads[threads["vcs"] >= 0]
    counts: dict[int, float] = {}
    for (pid, _tid), t in status.sort_values("t_us").groupby(["pid", "tid"]):
        before = t[t["t_us"] < 0].tail(1)
        inside = t[(t["t_us"] >= 0) & (t["t_us"] <= window_us)]
        after = t[t["t_us"] > window_us].head(1)
        reads = pd.concat([before, inside, after])
        if len(reads) < 2:
            continue
        key = int(str(pid))
        counts[key] = counts.get(key, 0.0) + float(reads["vcs"].iloc[-1] - reads["vcs"].iloc[0])
    return {pid: n / window_s for pid, n in counts.items()}


def subtree(processes: pd.DataFrame, root_pid: int) -> set[int]:
    """root_pid and its descendants, from the sampled (pid, ppid) pairs."""
    pairs = processes[["pid", "ppid"]].drop_duplicates()
    inside, changed = {root_pid}, True
    while changed:
        grown = inside | set(pairs.loc[pairs["ppid"].isin(inside), "pid"])
        changed, inside = grown != inside, grown
    return inside
