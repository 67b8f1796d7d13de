"""Two runs side by side (`concprof compare BASE NEW`): per model, the wall-time ratio
NEW/BASE with a 95% bootstrap interval from both runs' timing runs and a verdict with the
margin; the change in speedup; the GIL and core shares with their sources; for
recordings, the GIL blame by function.

The verdict is on the speed ratio BASE/NEW, as a speedup's is (analyse.compare.verdict):
`faster` when the whole interval is above 1 + margin, `slower` below 1 / (1 + margin),
`same` inside the margin, else `inconclusive`. Each run's samples are resampled on their
own (the two runs are independent); the seed is fixed, so a comparison is reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from profiler.analyse.compare import MIN_RUNS, bootstrap_medians, used_runs, verdict
from profiler.analysis import RunAnalysis
from profiler.recorders import best_source

DIFF_COLUMNS = [
    "model",
    "verdict",  # NEW against BASE: faster, slower, same, inconclusive
    "wall_ratio",  # NEW / BASE
    "wall_ratio_ci_low",
    "wall_ratio_ci_high",
    "in_runs",  # both, base only, new only
    "base_reps",
    "new_reps",
    "base_wall_median_s",
    "new_wall_median_s",
    "base_speedup",
    "new_speedup",
    "speedup_change",
    "base_gil_busy_pct",
    "new_gil_busy_pct",
    "base_gil_busy_err_pct",  # a sampled share's 95% error (exact sources: empty)
    "new_gil_busy_err_pct",
    "gil_source",
    "base_cores_busy_pct",
    "new_cores_busy_pct",
    "cores_source",
]
BLAME_DIFF_COLUMNS = ["function", "base_waited_s", "new_waited_s", "change_s"]


def wall_ratio(
    base: np.ndarray, new: np.ndarray, rng: np.random.Generator, margin: float
) -> tuple[float, float, float, str]:
    """NEW/BASE median wall ratio, its 95% interval, and NEW's verdict against BASE."""
    ratio = float(np.median(new) / np.median(base))
    if len(base) < MIN_RUNS or len(new) < MIN_RUNS:
        return ratio, np.nan, np.nan, f"fewer than {MIN_RUNS} runs: no interval"
    ratios = bootstrap_medians(new, rng) / bootstrap_medians(base, rng)
    low, high = (float(v) for v in np.percentile(ratios, [2.5, 97.5]))
    return ratio, low, high, verdict(1.0 / high, 1.0 / low, margin)


def diff_models(base: RunAnalysis, new: RunAnalysis, margin: float) -> pd.DataFrame:
    """One row per model of either run: DIFF_COLUMNS."""
    rng = np.random.default_rng(0)
    walls = [_walls(a) for a in (base, new)]
    models = list(dict.fromkeys([*walls[0], *walls[1]]))
    speedups = [_column(a, "speedup") for a in (base, new)]
    gil = [_gil_busy(a) for a in (base, new)]
    cores = [_cores_busy(a) for a in (base, new)]
    rows = []
    for model in models:
        b, n = walls[0].get(model), walls[1].get(model)
        row: dict[str, object] = {
            "model": model,
            "in_runs": "both" if b is not None and n is not None else _only(b is not None),
            "base_reps": len(b) if b is not None else 0,
            "new_reps": len(n) if n is not None else 0,
        }
        if b is not None and n is not None and len(b) and len(n):
            ratio, low, high, said = wall_ratio(b, n, rng, margin)
            row.update(
                base_wall_median_s=float(np.median(b)),
                new_wall_median_s=float(np.median(n)),
                wall_ratio=ratio,
                wall_ratio_ci_low=low,
                wall_ratio_ci_high=high,
                verdict=said,
            )
        s0, s1 = speedups[0].get(model, np.nan), speedups[1].get(model, np.nan)
        row.update(base_speedup=s0, new_speedup=s1, speedup_change=s1 - s0)
        for name, found in (("gil", gil), ("cores", cores)):
            (v0, e0, src0), (v1, e1, src1) = (f.get(model, (np.nan, np.nan, "")) for f in found)
            row[f"base_{name}_busy_pct"], row[f"new_{name}_busy_pct"] = v0, v1
            if name == "gil":
                row["base_gil_busy_err_pct"], row["new_gil_busy_err_pct"] = e0, e1
            row[f"{name}_source"] = src0 if src0 == src1 or not src1 else f"{src0} / {src1}"
        rows.append(row)
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def diff_blame(base: RunAnalysis, new: RunAnalysis) -> pd.DataFrame:
    """The GIL waiting each function caused in BASE and NEW (gil_blame_functions, all
    holder states), the largest change first."""
    both = [_blamed(a) for a in (base, new)]
    if both[0].empty and both[1].empty:
        return pd.DataFrame(columns=BLAME_DIFF_COLUMNS)
    table = pd.concat(both, axis=1, keys=["base_waited_s", "new_waited_s"]).fillna(0.0)
    table.columns = ["base_waited_s", "new_waited_s"]
    table["change_s"] = table["new_waited_s"] - table["base_waited_s"]
    table = table.reset_index(names="function")
    order = table["change_s"].abs().sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True).reindex(columns=BLAME_DIFF_COLUMNS)


def _only(in_base: bool) -> str:
    return "base only" if in_base else "new only"


def _walls(a: RunAnalysis) -> dict[str, np.ndarray]:
    if a.timing is None or a.timing.empty:
        return {}
    ok = used_runs(a.timing)
    return {
        str(m): ok.loc[ok["model"] == m, "wall_s"].to_numpy(dtype=float)
        for m in dict.fromkeys(a.timing["model"])
    }


def _column(a: RunAnalysis, column: str) -> dict[str, float]:
    if a.comparison is None or column not in a.comparison:
        return {}
    return {
        str(m): float(v) for m, v in zip(a.comparison["model"], a.comparison[column], strict=True)
    }


def _gil_busy(a: RunAnalysis) -> dict[str, tuple[float, float, str]]:
    """Per model: the share of its main process's time some thread held the GIL (the best
    source's row), its 95% error (a sampled source's), and that source."""
    p = a.processes
    if p is None or p.empty:
        return {}
    rows = p[p["best"].astype(bool) & p["gil_busy_pct"].notna()]
    main = rows[rows["process_role"] == "main"]
    return {
        str(m): (
            float(g["gil_busy_pct"].iloc[0]),
            float(g["gil_busy_err_pct"].iloc[0]),
            str(g["source"].iloc[0]),
        )
        for m, g in main.groupby("model", sort=False)
    }


def _cores_busy(a: RunAnalysis) -> dict[str, tuple[float, float, str]]:
    """Per model: the cores' mean share busy with the workload, from the best source."""
    c = a.cores
    if c is None or c.empty:
        return {}
    out = {}
    for model, per in c.groupby("model", sort=False):
        source = best_source(per["source"]) or ""
        mine = per[per["source"] == source]
        out[str(model)] = (float(mine["busy_pct"].mean()), np.nan, source)
    return out


def _blamed(a: RunAnalysis) -> pd.Series:
    ranked = a.gil_blame_functions
    if ranked is None or ranked.empty:
        return pd.Series(dtype=float)
    rows = ranked[ranked["holder_state"] == "any"]
    return rows.groupby("function")["waited_s"].sum()
