"""A sweep: each model's speedup at each value of one setting, with its 95% interval, and
the value to use per model.

Two settings can be swept. `--workers 1,2,4`: the count to use is the smallest whose
speedup is within the margin of the model's best (more workers than that buy nothing
measurable). `--start-method fork,spawn`: the interpreter's default unless another method
is faster beyond the margin (a change must pay for itself), else the fastest.

Each value's profile is an ordinary run with its own sequential baseline; every row here
comes from its timing runs (analyse.compare), so an interval is a real one.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from profiler.analyse.compare import BASELINE
from profiler.spine import WORKERS, Setting, Swept

MEASURED_COLUMNS = [
    "reps",
    "wall_median_s",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "vs_sequential",
    "recommended",
]


def scaling(
    swept: Swept, comparisons: Mapping[Setting, pd.DataFrame], margin: float
) -> pd.DataFrame:
    """`comparisons`: each swept value -> that run's comparison.csv."""
    columns = ["model", swept.setting, *MEASURED_COLUMNS]
    rows = []
    for value in swept.values:
        if value not in comparisons:
            continue
        for r in comparisons[value].to_dict("records"):
            if r["model"] == BASELINE:
                continue
            rows.append({**{c: r.get(c) for c in columns}, swept.setting: value})
    table = pd.DataFrame(rows, columns=columns)
    table["recommended"] = False
    for _, per in table.groupby("model", sort=False):
        best = float(per["speedup"].max())
        enough = per[per["speedup"] >= best / (1.0 + margin)]
        if len(enough):
            table.loc[_to_use(swept, per, enough), "recommended"] = True
    return table


def _to_use(swept: Swept, per: pd.DataFrame, enough: pd.DataFrame) -> object:
    """The row (index) of the value to use among those within the margin of the best."""
    if swept.setting == WORKERS:
        return enough[WORKERS].astype(int).idxmin()
    kept = enough[enough[swept.setting] == swept.kept]
    return kept.index[0] if len(kept) else per["speedup"].astype(float).idxmax()


def recommended(swept: Swept, table: pd.DataFrame) -> dict[str, Setting]:
    """Per model, the value to use."""
    rows = table[table["recommended"].astype(bool)]
    kind = int if swept.setting == WORKERS else str
    return {str(m): kind(v) for m, v in zip(rows["model"], rows[swept.setting], strict=True)}


def sweep_lines(swept: Swept, table: pd.DataFrame, cores: int) -> list[str]:
    """What the sweep says, one line per model."""
    said = []
    for model, per in table.groupby("model", sort=False):
        steps = ", ".join(
            f"{r[swept.setting]}: {r['speedup']:.2f}x "
            f"[{r['speedup_ci_low']:.2f}, {r['speedup_ci_high']:.2f}]"
            for r in per.to_dict("records")
        )
        best = per[per["recommended"].astype(bool)]
        use = f"use {best[swept.setting].iloc[0]}" if len(best) else "none stands out"
        if len(best) and swept.setting == WORKERS:
            use += " (more buy nothing beyond the margin)"
        elif len(best) and best[swept.setting].iloc[0] == swept.kept:
            use += " (the default; no other is faster beyond the margin)"
        elif len(best) and swept.kept in set(per[swept.setting]):
            use += f" (faster than the default, {swept.kept}, beyond the margin)"
        elif len(best):
            use += " (the fastest)"
        said.append(f"{model}: {steps}; {use}; {cores} cores")
    return said
