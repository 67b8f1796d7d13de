"""The page of a sweep (index.html of reports/<scenario>-sweep/<stamp>/): what it says, the
speedup at each value per model with its intervals (and for workers the cores line), the
table, and a link to each value's report."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pandas as pd

from profiler.layout import RunDir
from profiler.render.common import ENV
from profiler.render.figures import save
from profiler.render.plotting import Figure, plt
from profiler.spine import WORKERS, SweepResult, Swept

SHOWN = ["model", "speedup", "speedup_ci_low", "speedup_ci_high", "vs_sequential"]


def scaling_figure(swept: Swept, table: pd.DataFrame, cores: int, title: str) -> Figure:
    """Speedup against the swept setting per model, 95% intervals as error bars, and
    sequential's 1x; for workers, on a log scale, the line a perfect pool would follow
    (one worker per core, up to the cores)."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    values = [str(v) for v in swept.values]
    if swept.setting == WORKERS:
        counts = [int(v) for v in swept.values]
        ideal = [min(c, cores) for c in counts]
        ax.plot(counts, ideal, color="#999", linestyle="--", label=f"one per core ({cores} cores)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(counts, values)
        where = {v: float(v) for v in values}
    else:
        where = {v: float(i) for i, v in enumerate(values)}
        ax.set_xticks(list(where.values()), values)
        ax.set_xlim(-0.5, len(values) - 0.5)
    ax.axhline(1.0, color="#555", linewidth=0.8, label="sequential")
    for model, per in table.groupby("model", sort=False):
        x = per[swept.setting].astype(str).map(where).to_numpy(float)
        speedup = per["speedup"].to_numpy(float)
        low = speedup - per["speedup_ci_low"].to_numpy(float)
        high = per["speedup_ci_high"].to_numpy(float) - speedup
        ax.errorbar(
            x,
            speedup,
            yerr=np.vstack([np.nan_to_num(low), np.nan_to_num(high)]),
            marker="o",
            capsize=3,
            label=str(model),
        )
        chosen = per["recommended"].astype(bool).to_numpy()
        ax.scatter(x[chosen], speedup[chosen], s=160, facecolors="none", edgecolors="k")
    ax.set_xlabel(f"{swept.label} (circled: the one to use)")
    ax.set_ylabel("speedup against sequential (timing runs, 95% interval)")
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=8)
    return fig


def sweep_html(result: SweepResult) -> str:
    swept = result.swept
    title = f"{result.scenario}: speedup by {swept.label}"
    figure = save(
        scaling_figure(swept, result.table, result.cores, title),
        RunDir(result.out_dir).figures,
        "scaling",
    )[0]
    links = {
        f"{swept.label} {value}": os.path.relpath(RunDir(path).report, result.out_dir)
        for value, path in result.runs.items()
    }
    if result.observed_run is not None:
        links[f"{swept.label} {result.observed_value}, observed (recorders)"] = os.path.relpath(
            RunDir(result.observed_run).report, result.out_dir
        )
    columns = [SHOWN[0], swept.setting, *SHOWN[1:]]
    shown = result.table.reindex(columns=columns).round(3).fillna("")
    return ENV.get_template("sweep.html").render(
        scenario=result.scenario,
        setting=swept.label,
        table=f"tables/{swept.table_name}.csv",
        rule=(
            "the smallest count whose speedup is within the margin of the model's best"
            if swept.setting == WORKERS
            else "the interpreter's default unless another is faster beyond the margin"
        ),
        values=[str(v) for v in result.runs],
        said=result.lines,
        image=_data_uri(figure),
        columns=columns,
        rows=shown.to_dict("records"),
        links=links,
        duration_s=result.duration_s,
    )


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
