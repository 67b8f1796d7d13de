"""The page of a worker sweep (index.html of reports/<scenario>-sweep/<stamp>/): what it says,
the speedup against workers per model with its intervals and the cores line, the table,
and a link to each count's report."""

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
from profiler.spine import SweepResult

SHOWN = ["model", "workers", "speedup", "speedup_ci_low", "speedup_ci_high", "vs_sequential"]


def scaling_figure(table: pd.DataFrame, cores: int, title: str) -> Figure:
    """Speedup against workers per model, 95% intervals as error bars; the line a perfect
    pool would follow (one worker per core, up to the cores) and sequential's 1x."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    counts = sorted(int(w) for w in table["workers"].unique())
    ideal = [min(c, cores) for c in counts]
    ax.plot(counts, ideal, color="#999", linestyle="--", label=f"one per core ({cores} cores)")
    ax.axhline(1.0, color="#555", linewidth=0.8, label="sequential")
    for model, per in table.groupby("model", sort=False):
        per = per.sort_values("workers")
        speedup = per["speedup"].to_numpy(float)
        low = speedup - per["speedup_ci_low"].to_numpy(float)
        high = per["speedup_ci_high"].to_numpy(float) - speedup
        ax.errorbar(
            per["workers"].to_numpy(float),
            speedup,
            yerr=np.vstack([np.nan_to_num(low), np.nan_to_num(high)]),
            marker="o",
            capsize=3,
            label=str(model),
        )
        chosen = per[per["recommended"].astype(bool)]
        ax.scatter(chosen["workers"], chosen["speedup"], s=160, facecolors="none", edgecolors="k")
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(c) for c in counts])
    ax.set_xlabel("workers (circled: the count to use)")
    ax.set_ylabel("speedup against sequential (timing runs, 95% interval)")
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=8)
    return fig


def sweep_html(result: SweepResult) -> str:
    figure = save(
        scaling_figure(result.table, result.cores, f"{result.scenario}: speedup by workers"),
        RunDir(result.out_dir).figures,
        "scaling",
    )[0]
    links = {
        f"{count} workers": os.path.relpath(RunDir(path).report, result.out_dir)
        for count, path in result.runs.items()
    }
    if result.observed_run is not None:
        links[f"{result.observed_workers} workers, observed (recorders)"] = os.path.relpath(
            RunDir(result.observed_run).report, result.out_dir
        )
    shown = result.table.reindex(columns=SHOWN).round(3).fillna("")
    return ENV.get_template("sweep.html").render(
        scenario=result.scenario,
        counts=list(result.runs),
        said=result.lines,
        image=_data_uri(figure),
        columns=SHOWN,
        rows=shown.to_dict("records"),
        links=links,
        duration_s=result.duration_s,
    )


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
