"""Matplotlib figures, each saved as PNG and SVG under figures/."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from profiler.rundir import write_with

MODEL_COLOURS = {
    "sequential": "#7f7f7f",
    "threads": "#1f77b4",
    "processes": "#d62728",
    "asyncio": "#2ca02c",
}


def save(fig: Figure, figures_dir: Path, stem: str) -> list[Path]:
    paths = []
    for ext in ("png", "svg"):

        def draw(path: Path, fmt: str = ext) -> None:
            fig.savefig(path, format=fmt)

        paths.append(write_with(figures_dir / f"{stem}.{ext}", draw))
    plt.close(fig)
    return paths


def speedup_figure(timing: pd.DataFrame, comparison: pd.DataFrame, title: str) -> Figure:
    """Left: wall time of every timing run. Right: speedup with its 95% interval."""
    fig, (ax_wall, ax_speed) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    models = list(comparison["model"])
    colours = [MODEL_COLOURS.get(m, "#9467bd") for m in models]
    ok = timing[timing["ok"].astype(bool)]
    for x, model in enumerate(models):
        walls = ok.loc[ok["model"] == model, "wall_s"].to_numpy(dtype=float)
        jitter = np.linspace(-0.12, 0.12, len(walls)) if len(walls) > 1 else np.zeros(len(walls))
        ax_wall.scatter(x + jitter, walls, color=colours[x], alpha=0.7, s=18)
        if len(walls):
            ax_wall.hlines(np.median(walls), x - 0.25, x + 0.25, color="black", lw=1.5)
    ax_wall.set_xticks(range(len(models)), models)
    ax_wall.set_ylabel("wall time per run (s)")
    ax_wall.set_ylim(bottom=0)
    ax_wall.set_title("every timing run (bar: median)", fontsize=10)

    speed = comparison["speedup"].to_numpy(dtype=float)
    low = comparison["speedup_ci_low"].to_numpy(dtype=float)
    high = comparison["speedup_ci_high"].to_numpy(dtype=float)
    errors = np.vstack([np.clip(speed - low, 0, None), np.clip(high - speed, 0, None)])
    ax_speed.bar(range(len(models)), speed, color=colours, yerr=errors, capsize=5)
    ax_speed.axhline(1.0, color="black", lw=0.8, ls="--")
    for x, value in enumerate(speed):
        if np.isfinite(value):
            ax_speed.annotate(
                f"{value:.2f}x",
                (x, value),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                va="bottom",
                fontsize=9,
            )
    ax_speed.set_xticks(range(len(models)), models)
    ax_speed.set_ylabel("speedup vs sequential")
    ax_speed.set_title("median speedup, 95% bootstrap interval", fontsize=10)
    fig.suptitle(title, fontsize=11)
    return fig


def render_figures(
    figures_dir: Path, timing: pd.DataFrame, comparison: pd.DataFrame, title: str
) -> dict[str, list[Path]]:
    return {"speedup": save(speedup_figure(timing, comparison, title), figures_dir, "speedup")}
