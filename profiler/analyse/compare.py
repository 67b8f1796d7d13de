"""Speedups against the sequential baseline, with bootstrap intervals and honest verdicts.

Input: the tidy timing frame (one row per timing run: model, rep, attempt,
wall_s, user_s, sys_s, max_rss_mb, tasks, ok, used, disturbed, ...). Only runs
that are ok and used (the last attempt of each repeat) enter the statistics.

Verdicts use a practical-equivalence margin (default 5%): a difference whose
whole interval lies inside the margin is "same"; "faster" and "slower" need the
whole interval beyond it; anything between is "inconclusive". Fewer than
MIN_RUNS runs give no interval and no verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from profiler.spine import DEFAULT_MARGIN

BASELINE = "sequential"
BOOTSTRAP_RESAMPLES = 4000
CONFIDENCE = 0.95
MIN_RUNS = 3  # fewer runs give no interval
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
    "vs_fastest",
    "cpu_s",
    "parallelism",
    "peak_rss_mb",
    "disturbed_reps",
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


def verdict(ci_low: float, ci_high: float, margin: float = DEFAULT_MARGIN) -> str:
    """A speedup interval against 1: faster, slower, same (inside the margin) or inconclusive."""
    if np.isnan(ci_low) or np.isnan(ci_high):
        return "n/a"
    if ci_low > 1.0 + margin:
        return "faster"
    if ci_high < 1.0 / (1.0 + margin):
        return "slower"
    if ci_low >= 1.0 / (1.0 + margin) and ci_high <= 1.0 + margin:
        return "same"
    return "inconclusive"


def no_interval(runs: int) -> str:
    return "one run: no interval" if runs == 1 else f"{runs} runs: no interval"


def used_runs(timing: pd.DataFrame) -> pd.DataFrame:
    """The runs that count: ok, and the last attempt of each repeat."""
    ok = timing["ok"].astype(bool)
    if "used" in timing.columns:
        ok &= timing["used"].astype(bool)
    return timing[ok]


def compare(timing: pd.DataFrame, margin: float = DEFAULT_MARGIN, seed: int = 0) -> pd.DataFrame:
    """One row per model: median wall time and speedup, each with a 95% interval.

    `vs_fastest` relates each model to the one with the lowest median wall
    time, through the bootstrap interval of their wall-time ratio.
    """
    rng = np.random.default_rng(seed)
    ok = used_runs(timing)
    models = list(dict.fromkeys(timing["model"]))
    walls = {m: ok.loc[ok["model"] == m, "wall_s"].to_numpy(dtype=float) for m in models}
    boot = {m: bootstrap_medians(w, rng) for m, w in walls.items() if len(w) >= MIN_RUNS}
    base = walls.get(BASELINE, np.array([]))
    medians = {m: float(np.median(w)) for m, w in walls.items() if len(w)}
    fastest = min(medians, key=lambda m: medians[m]) if medians else None
    rows = []
    for model in models:
        wall = walls[model]
        frame = ok[ok["model"] == model]
        row: dict[str, object] = {"model": model, "reps": len(wall)}
        if len(wall) == 0:
            rows.append(row)
            continue
        median = medians[model]
        row["wall_median_s"] = median
        if model in boot:
            row["wall_ci_low_s"], row["wall_ci_high_s"] = _interval(boot[model])
        if len(base):
            row["speedup"] = float(np.median(base)) / median
            if model == BASELINE:
                row["speedup_ci_low"] = row["speedup_ci_high"] = 1.0
                row["vs_sequential"] = "baseline"
            elif model in boot and BASELINE in boot:
                low, high = _interval(boot[BASELINE] / boot[model])
                row["speedup_ci_low"], row["speedup_ci_high"] = low, high
                row["vs_sequential"] = verdict(low, high, margin)
            else:
                row["vs_sequential"] = no_interval(min(len(wall), len(base)))
        row["vs_fastest"] = _vs_fastest(model, fastest, boot, len(wall), margin)
        cpu = (frame["user_s"] + frame["sys_s"]).to_numpy(dtype=float)
        row["cpu_s"] = float(np.median(cpu))
        row["parallelism"] = float(np.median(cpu / frame["wall_s"].to_numpy(dtype=float)))
        row["peak_rss_mb"] = float(frame["max_rss_mb"].max())
        disturbed = (
            frame["disturbed"] if "disturbed" in frame.columns else pd.Series([], dtype=bool)
        )
        row["disturbed_reps"] = int(disturbed.fillna(False).astype(bool).sum())
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS)


def _vs_fastest(
    model: str, fastest: str | None, boot: dict[str, np.ndarray], runs: int, margin: float
) -> str:
    """fastest; same (the wall ratio's interval inside the margin); slower; inconclusive."""
    if model == fastest:
        return "fastest"
    if fastest is None or model not in boot or fastest not in boot:
        return no_interval(runs)
    low, high = _interval(boot[model] / boot[fastest])  # > 1: this model takes longer
    if low >= 1.0 / (1.0 + margin) and high <= 1.0 + margin:
        return "same"
    if low > 1.0 + margin:
        return "slower"
    return "inconclusive"
