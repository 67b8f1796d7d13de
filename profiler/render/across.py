"""The page of a profile across interpreters (index.html of reports/<scenario>-across/<stamp>/):
what it says first, with the speedup of each model on each interpreter beside it; the table
and each interpreter's report below."""

from __future__ import annotations

import base64
import os

import numpy as np
import pandas as pd

from profiler.layout import RunDir
from profiler.render.common import ENV
from profiler.render.figures import save
from profiler.render.plotting import Figure, plt
from profiler.spine import AcrossResult

SHOWN = [
    "interpreter",
    "model",
    "free_threaded",
    "wall_median_s",
    "speedup",
    "vs_sequential",
    "speedup_vs_first",
    "vs_first",
    "vs_fastest",
    "parallelism",
]
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def across_figure(table: pd.DataFrame, first: str) -> Figure | None:
    """Per model, a bar per interpreter: its speedup against the first interpreter's
    sequential run, with the 95% interval."""
    rows = table[table["speedup_vs_first"].notna()]
    if rows.empty:
        return None
    models = list(dict.fromkeys(rows["model"]))
    labels = list(dict.fromkeys(rows["interpreter"]))
    width = 0.8 / len(labels)
    fig, ax = plt.subplots(figsize=(5.4, 2.9), layout="constrained")
    for n, label in enumerate(labels):
        mine = rows[rows["interpreter"] == label].set_index("model").reindex(models)
        value = mine["speedup_vs_first"].to_numpy(dtype=float)
        low = value - mine["speedup_vs_first_ci_low"].to_numpy(dtype=float)
        high = mine["speedup_vs_first_ci_high"].to_numpy(dtype=float) - value
        x = np.arange(len(models)) + (n - (len(labels) - 1) / 2) * width
        ax.bar(
            x, value, width * 0.9, label=label, color=PALETTE[n % len(PALETTE)],
            yerr=np.nan_to_num(np.vstack([np.clip(low, 0, None), np.clip(high, 0, None)])),
            capsize=3,
        )  # fmt: skip
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_xticks(range(len(models)), models)
    ax.set_ylabel(f"speedup against sequential on {first}", fontsize=8)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def across_html(result: AcrossResult) -> str:
    links = {
        label: os.path.relpath(RunDir(path).report, result.out_dir)
        for label, path in result.runs.items()
    }
    figure = across_figure(result.table, result.labels[0])
    image = None
    if figure is not None:
        path = save(figure, RunDir(result.out_dir).figures, "across")[0]
        image = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    shown = result.table.reindex(columns=SHOWN).round(3).fillna("")
    return ENV.get_template("across.html").render(
        scenario=result.scenario,
        labels=result.labels,
        said=result.lines,
        image=image,
        columns=SHOWN,
        rows=shown.to_dict("records"),
        links=links,
        duration_s=result.duration_s,
    )
