"""Speedups against the sequential baseline, with bootstrap confidence intervals.

Input: the tidy timing frame (one row per timing run: model, rep, wall_s,
user_s, sys_s, max_rss_mb, tasks, ok). Only runs with ok are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BASELINE = "sequential"
BOOTSTRAP_RESAMPLES = 4000
CONFIDENCE = 0.95
COMPARISON_COLUMNS = [
    "model",
    "reps",
    "wall_median_s",
    "wall_ci_low_s",
    "wall_ci_high_s",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "vs_sequential",
    "cpu_s",
    "parallelism",
    "peak_rss_mb",
    "recording_overhead",
]


def bootstrap_medians(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Medians of BOOTSTRAP_RESAMPLES resamples (with replacement) of `values`."""
    picks = rng.integers(0, len(values), size=(BOOTSTRAP_RESAMPLES, len(values)))
    medians: np.ndarray = np.median(values[picks], axis=1)
    return medians


def _interval(samples: np.ndarray) -> tuple[float, float]:
    tail = (1.0 - CONFIDENCE) / 2.0 * 100.0
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return float(low), float(high)


def verdict(ci_low: float, ci_high: float) -> str:
    """faster / slower than the baseline when the interval excludes 1, else inconclusive."""
    if np.isnan(ci_low) or np.isnan(ci_high):
        return "n/a"
    if ci_low > 1.0:
        return "faster"
    if ci_high < 1.0:
        return "slower"
    return "inconclusive"


def compare(timing: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per model: median wall time and speedup, each with a 95% interval."""
    rng = np.random.default_rng(seed)
    ok = timing[timing["ok"].astype(bool)]
    models = list(dict.fromkeys(timing["model"]))
    walls = {m: ok.loc[ok["model"] == m, "wall_s"].to_numpy(dtype=float) for m in models}
    boot = {m: bootstrap_medians(w, rng) for m, w in walls.items() if len(w)}
    base = walls.get(BASELINE, np.array([]))
    rows = []
    for model in models:
        wall = walls[model]
        frame = ok[ok["model"] == model]
        row: dict[str, object] = {"model": model, "reps": len(wall)}
        if len(wall) == 0:
            rows.append(row)
            continue
        median = float(np.median(wall))
        row["wall_median_s"] = median
        row["wall_ci_low_s"], row["wall_ci_high_s"] = _interval(boot[model])
        if len(base):
            row["speedup"] = float(np.median(base)) / median
            low, high = _interval(boot[BASELINE] / boot[model])
            row["speedup_ci_low"], row["speedup_ci_high"] = low, high
            row["vs_sequential"] = "baseline" if model == BASELINE else verdict(low, high)
        cpu = (frame["user_s"] + frame["sys_s"]).to_numpy(dtype=float)
        row["cpu_s"] = float(np.median(cpu))
        row["parallelism"] = float(np.median(cpu / frame["wall_s"].to_numpy(dtype=float)))
        row["peak_rss_mb"] = float(frame["max_rss_mb"].max())
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS)
