"""Per-core occupancy: how busy each core was with this workload, and with anything else.

Two sources: perf's system-wide sched_switch (exact: who ran on each core
when), or the procfs sampler (each thread's on-CPU delta between polls,
attributed to the core it was last seen on; /proc/stat for the rest).
Window: [0, window_us] microseconds from the model run's start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CORE_COLUMNS = ["core", "busy_pct", "other_pct", "source"]
TIMELINE_COLUMNS = ["t_s", "core", "busy_frac", "source"]


def bin_width_us(window_us: float) -> float:
    """About 100 bins over the window, at least 10 ms (the procfs poll interval)."""
    return max(10_000.0, window_us / 100.0)


def _bin_spans(
    core: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    window_us: float,
    width: float,
    n_cores: int,
) -> np.ndarray:
    """Time (us) each core spends in the spans, per bin: shape (bins, cores)."""
    n_bins = max(1, int(np.ceil(window_us / width)))
    out = np.zeros((n_bins, n_cores))
    for c, s, e in zip(core, start, end, strict=True):
        s, e = max(s, 0.0), min(e, window_us)
        if e <= s:
            continue
        first, last = int(s // width), min(int((e - 1e-9) // width), n_bins - 1)
        for b in range(first, last + 1):
            lo, hi = max(s, b * width), min(e, (b + 1) * width)
            out[b, int(c)] += max(0.0, hi - lo)
    return out


def cpu_spans_from_switches(events: pd.DataFrame, t0_ns: int, t1_ns: int) -> pd.DataFrame:
    """core, tid, start_us, end_us: who ran on each core, from system-wide sched_switch.

    On a core with switches at t_0 < ... < t_n: prev(t_0) runs until t_0, then
    next(t_i) runs from t_i until t_i+1 (the last one until t1). When perf
    did not record a switch (prev(t_i+1) is not next(t_i); seen on VMs for
    switches out of the idle task), the missing one is placed at prev(t_i+1)'s
    first event on that core after t_i (its proof of life), else at t_i+1.
    """
    sw = events[events["kind"] == "switch"].sort_values("t_ns", kind="stable")
    own = events[events["kind"].isin(("take", "acquired", "drop", "switch"))]
    first_seen = {
        key: group["t_ns"].to_numpy() for key, group in own.groupby(["cpu", "tid"], sort=False)
    }
    parts = []
    for core, per_core in sw.groupby("cpu"):
        t = per_core["t_ns"].to_numpy()
        prev = per_core["a"].to_numpy()
        nxt = per_core["b"].to_numpy()
        starts, ends, running = [t0_ns], [int(t[0])], [int(prev[0])]
        for i in range(len(t)):
            until = int(t[i + 1]) if i + 1 < len(t) else t1_ns
            actual = int(prev[i + 1]) if i + 1 < len(t) else int(nxt[i])
            seam = until
            if actual != nxt[i]:
                seen = first_seen.get((core, actual), np.empty(0, dtype=np.int64))
                k = int(np.searchsorted(seen, t[i], side="right"))
                seam = int(seen[k]) if k < len(seen) and seen[k] < until else until
            starts.append(int(t[i]))
            ends.append(seam)
            running.append(int(nxt[i]))
            if seam < until:
                starts.append(seam)
                ends.append(until)
                running.append(actual)
        s_arr = np.maximum(np.array(starts, dtype=np.int64), t0_ns)
        e_arr = np.minimum(np.array(ends, dtype=np.int64), t1_ns)
        keep = e_arr > s_arr
        parts.append(
            pd.DataFrame(
                {
                    "core": int(str(core)),
                    "tid": np.array(running, dtype=np.int64)[keep],
                    "start_us": (s_arr[keep] - t0_ns) / 1e3,
                    "end_us": (e_arr[keep] - t0_ns) / 1e3,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["core", "tid", "start_us", "end_us"])
    return pd.concat(parts, ignore_index=True)


def cores_from_perf(
    spans: pd.DataFrame, workload_tids: set[int], window_us: float, n_cores: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    mine = spans["tid"].isin(workload_tids)
    other = (~mine) & (spans["tid"] != 0)
    width = bin_width_us(window_us)
    args = (window_us, width, n_cores)
    busy = _bin_spans(
        spans.loc[mine, "core"].to_numpy(),
        spans.loc[mine, "start_us"].to_numpy(),
        spans.loc[mine, "end_us"].to_numpy(),
        *args,
    )
    rest = _bin_spans(
        spans.loc[other, "core"].to_numpy(),
        spans.loc[other, "start_us"].to_numpy(),
        spans.loc[other, "end_us"].to_numpy(),
        *args,
    )
    return _summaries(busy, rest, window_us, width, "perf")


def cores_from_procfs(
    threads: pd.DataFrame,
    cores: pd.DataFrame,
    workload_pids: set[int],
    window_us: float,
    clock_ticks_per_s: int,
    n_cores: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """On-CPU deltas of the workload's threads per poll, on the core each was last seen on."""
    mine = threads[threads["pid"].isin(workload_pids)].sort_values(["tid", "t_us"])
    delta_us = mine.groupby("tid")["oncpu_ns"].diff().fillna(0.0) / 1e3
    prev_t = mine.groupby("tid")["t_us"].shift(1)
    spans = pd.DataFrame(
        {
            "core": mine["cpu"],
            "end_us": mine["t_us"],
            "start_us": np.maximum(prev_t.fillna(mine["t_us"]), mine["t_us"] - delta_us),
        }
    )
    spans = spans[delta_us > 0]
    # the delta is spread evenly over the poll interval it happened in
    width = bin_width_us(window_us)
    busy = _bin_spans(
        spans["core"].to_numpy(),
        spans["start_us"].to_numpy(),
        spans["end_us"].to_numpy(),
        window_us,
        width,
        n_cores,
    )
    span_us = float((spans["end_us"] - spans["start_us"]).sum()) or 1.0
    scale = float(delta_us[delta_us > 0].sum()) / span_us
    busy *= scale
    total = _core_busy_from_stat(cores, window_us, width, clock_ticks_per_s, n_cores)
    rest = np.clip(total - busy, 0.0, None)
    return _summaries(busy, rest, window_us, width, "procfs")


def _core_busy_from_stat(
    cores: pd.DataFrame, window_us: float, width: float, ticks: int, n_cores: int
) -> np.ndarray:
    busy_cols = ["user", "nice", "system", "irq", "softirq", "steal"]
    frame = cores.sort_values(["core", "t_us"]).copy()
    frame["busy_us"] = frame.groupby("core")[busy_cols].diff().sum(axis=1) / ticks * 1e6
    frame["prev_t"] = frame.groupby("core")["t_us"].shift(1)
    frame = frame.dropna(subset=["prev_t"])
    n_bins = max(1, int(np.ceil(window_us / width)))
    out = np.zeros((n_bins, n_cores))
    for core, s, e, busy in zip(
        frame["core"], frame["prev_t"], frame["t_us"], frame["busy_us"], strict=True
    ):
        if e <= 0 or s >= window_us or e <= s or core >= n_cores:
            continue
        s2, e2 = max(s, 0.0), min(e, window_us)
        rate = busy / (e - s)
        for b in range(int(s2 // width), min(int((e2 - 1e-9) // width), n_bins - 1) + 1):
            lo, hi = max(s2, b * width), min(e2, (b + 1) * width)
            out[b, int(core)] += max(0.0, hi - lo) * rate
    return out


def _summaries(
    busy: np.ndarray, rest: np.ndarray, window_us: float, width: float, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_bins, n_cores = busy.shape
    summary = pd.DataFrame(
        {
            "core": np.arange(n_cores),
            # poll timing jitter can overshoot a little; a core is busy 100% at most
            "busy_pct": np.minimum(busy.sum(axis=0) / window_us * 100.0, 100.0),
            "other_pct": rest.sum(axis=0) / window_us * 100.0,
            "source": source,
        }
    )
    bin_len = np.minimum(width, window_us - np.arange(n_bins) * width)
    safe_len = np.where(bin_len > 0, bin_len, 1.0)  # a last bin of zero length holds nothing
    frac = np.clip(busy / safe_len[:, None], 0.0, 1.0)
    timeline = pd.DataFrame(
        {
            "t_s": np.repeat(np.arange(n_bins) * width / 1e6, n_cores),
            "core": np.tile(np.arange(n_cores), n_bins),
            "busy_frac": frac.ravel(),
            "source": source,
        }
    )
    return summary.reindex(columns=CORE_COLUMNS), timeline.reindex(columns=TIMELINE_COLUMNS)
