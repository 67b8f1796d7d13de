"""Matplotlib figures, each saved as PNG and SVG under figures/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from profiler.analysis import RunAnalysis
from profiler.atomic import write_with
from profiler.recorders import best_source
from profiler.render.blame_figures import icicle_figure
from profiler.render.dask_figures import break_even_figure, dask_tasks_figure
from profiler.render.gil_figures import gil_states_figure, gil_timeline_figure, sampled_gil_figure
from profiler.render.loop_figures import loop_blockers_figure, loop_lag_figure
from profiler.render.plotting import Figure, plt

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


def speedup_ci_figure(comparison: pd.DataFrame) -> Figure | None:
    """The first screen's figure: each model's speedup against sequential as a bar with its
    95% interval, fastest at the top, the baseline's 1x dashed."""
    rows = comparison[comparison["speedup"].notna()].sort_values("speedup")
    if rows.empty:
        return None
    fig, ax = plt.subplots(figsize=(5.4, 0.9 + 0.42 * len(rows)), layout="constrained")
    speed = rows["speedup"].to_numpy(dtype=float)
    low = rows["speedup_ci_low"].to_numpy(dtype=float)
    high = rows["speedup_ci_high"].to_numpy(dtype=float)
    errors = np.vstack([np.clip(speed - low, 0, None), np.clip(high - speed, 0, None)])
    colours = [MODEL_COLOURS.get(m, "#9467bd") for m in rows["model"]]
    y = np.arange(len(rows))
    ax.barh(y, speed, color=colours, xerr=np.nan_to_num(errors), capsize=4, height=0.6)
    ax.axvline(1.0, color="black", lw=0.8, ls="--")
    for n, (value, top) in enumerate(zip(speed, high, strict=True)):
        ax.annotate(
            f"{value:.2f}x",
            (np.nanmax([value, top]), n),
            textcoords="offset points",
            xytext=(4, 0),
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, list(rows["model"]))
    ax.set_xlim(0, float(np.nanmax(np.concatenate([high, speed]))) * 1.25)
    ax.set_xlabel("speedup against sequential (timing runs, 95% interval)", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def cores_figure(timeline: pd.DataFrame) -> Figure | None:
    """Per model: busy fraction of each core over time (best source)."""
    if timeline.empty:
        return None
    source = best_source(timeline["source"])
    timeline = timeline[timeline["source"] == source]
    models = list(dict.fromkeys(timeline["model"]))
    fig, axes = plt.subplots(
        len(models),
        1,
        figsize=(10, 1.2 + 1.3 * len(models)),
        squeeze=False,
        sharex=False,
        layout="constrained",
    )
    for ax, model in zip(axes[:, 0], models, strict=True):
        per = timeline[timeline["model"] == model]
        grid = per.pivot_table(index="core", columns="t_s", values="busy_frac", aggfunc="first")
        t = grid.columns.to_numpy(dtype=float)
        step = float(t[1] - t[0]) if len(t) > 1 else 0.01
        ax.imshow(
            grid.to_numpy(),
            aspect="auto",
            cmap="Reds",
            vmin=0,
            vmax=1,
            extent=(0, t[-1] + step, len(grid) - 0.5, -0.5),
            interpolation="nearest",
        )
        ax.set_yticks(range(len(grid)), [f"core {c}" for c in grid.index], fontsize=8)
        ax.set_title(model, fontsize=10, loc="left")
    axes[-1, 0].set_xlabel(
        f"seconds from the model run's start — busy with this workload "
        f"(white 0 → red 1), source: {source}"
    )
    return fig


def parallelism_figure(comparison: pd.DataFrame, cores: int) -> Figure:
    """Effective parallelism (CPU time / wall time) per model, against the core count."""
    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    models = list(comparison["model"])
    values = comparison["parallelism"].to_numpy(dtype=float)
    ax.bar(range(len(models)), values, color=[MODEL_COLOURS.get(m, "#9467bd") for m in models])
    ax.axhline(cores, color="black", ls="--", lw=0.8)
    ax.annotate(f"{cores} cores", (len(models) - 0.5, cores), ha="right", va="bottom", fontsize=8)
    for x, value in enumerate(values):
        ax.annotate(
            f"{value:.2f}",
            (x, value),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            fontsize=9,
        )
    ax.set_xticks(range(len(models)), models)
    ax.set_ylabel("CPU time / wall time")
    ax.set_title("effective parallelism (timing runs, median)", fontsize=10)
    return fig


def render_figures(
    figures_dir: Path, a: RunAnalysis, title: str, cores: int
) -> dict[str, list[Path]]:
    """Every figure the analysis allows, as PNG and SVG; keyed by figure name."""
    made: dict[str, Figure | None] = {}
    if a.comparison is not None and a.timing is not None:  # a profile, not a recording
        made["speedup"] = speedup_figure(a.timing, a.comparison, title)
        made["speedup_ci"] = speedup_ci_figure(a.comparison)
        made["parallelism"] = parallelism_figure(a.comparison, cores)
    if a.gil_blame is not None:
        blamed = a.gil_blame
        made["gil_blame"] = icicle_figure(blamed, "GIL blame: waiting caused, by holder's stack")
        made["gil_blame_preempted"] = icicle_figure(
            blamed[blamed["holder_state"] == "hold_preempted"],
            "waiting caused while the holder was descheduled (hold_preempted)",
        )
    if a.gil_intervals is not None and a.threads is not None:
        made["gil_timeline"] = gil_timeline_figure(a.gil_intervals, a.threads)
    if a.threads is not None:
        made["gil_states"] = gil_states_figure(a.threads)
        if len(a.threads) > 8:  # a crowd drawn as one row: every thread behind a toggle
            made["gil_states_every"] = gil_states_figure(a.threads, crowded=False)
        made["gil_sampled"] = sampled_gil_figure(a.threads)
    if a.cores_timeline is not None:
        made["cores"] = cores_figure(a.cores_timeline)
    if a.loop_lag is not None and a.loop_stalls is not None and a.loop_stats is not None:
        stall_ms = float(a.loop_stats["stall_ms"].iloc[0]) if len(a.loop_stats) else 0.0
        made["loop_lag"] = loop_lag_figure(a.loop_lag, a.loop_stalls, stall_ms)
        made["loop_blockers"] = loop_blockers_figure(a.loop_stalls)
    if a.dask_tasks is not None:
        made["dask_tasks"] = dask_tasks_figure(a.dask_tasks)
    evidence = a.answer.evidence if a.answer is not None else []
    for e in evidence:
        if e.dask is not None:
            made["dask_break_even"] = break_even_figure(e, evidence)
    return {name: save(fig, figures_dir, name) for name, fig in made.items() if fig is not None}
