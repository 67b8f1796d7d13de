"""A worker sweep (`--workers 1,2,4`): each model's speedup at each worker count, with its
95% interval, and the count to use: the smallest whose speedup is within the margin of the
model's best (more workers than that buy nothing measurable).

Each count's profile is an ordinary run with its own sequential baseline; every row here
comes from its timing runs (analyse.compare), so an interval is a real one.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from profiler.analyse.compare import BASELINE

SCALING_COLUMNS = [
    "model",
    "workers",
    "reps",
    "wall_median_s",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "vs_sequential",
    "recommended",
]


def scaling(comparisons: Mapping[int, pd.DataFrame], margin: float) -> pd.DataFrame:
    """`comparisons`: worker count -> that run's comparison.csv."""
    rows = []
    for workers, comparison in sorted(comparisons.items()):
        for r in comparison.to_dict("records"):
            if r["model"] == BASELINE:
                continue
            rows.append({**{c: r.get(c) for c in SCALING_COLUMNS}, "workers": workers})
    table = pd.DataFrame(rows, columns=SCALING_COLUMNS)
    table["recommended"] = False
    for _, per in table.groupby("model", sort=False):
        best = float(per["speedup"].max())
        enough = per[per["speedup"] >= best / (1.0 + margin)]
        if len(enough):
            table.loc[enough["workers"].idxmin(), "recommended"] = True
    return table


def recommended(table: pd.DataFrame) -> dict[str, int]:
    """Per model, the worker count to use."""
    rows = table[table["recommended"].astype(bool)]
    return {str(m): int(w) for m, w in zip(rows["model"], rows["workers"], strict=True)}


def sweep_lines(table: pd.DataFrame, cores: int) -> list[str]:
    """What the sweep says, one line per model."""
    said = []
    for model, per in table.groupby("model", sort=False):
        per = per.sort_values("workers")
        steps = ", ".join(
            f"{int(r['workers'])}: {r['speedup']:.2f}x "
            f"[{r['speedup_ci_low']:.2f}, {r['speedup_ci_high']:.2f}]"
            for r in per.to_dict("records")
        )
        best = per[per["recommended"].astype(bool)]
        use = (
            f"use {int(best['workers'].iloc[0])} (more buy nothing beyond the margin)"
            if len(best)
            else "no count stands out"
        )
        said.append(f"{model}: {steps}; {use}; {cores} cores")
    return said
